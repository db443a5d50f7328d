"""Sending on the Zalo OA: the message JSON for each rendered Part (uploading images and
files first), for replies and for the outbox (bot.channels.base.Sender).

The outbox side keeps the 48-hour rule: a reminder or broadcast to a learner whose last
message to the OA (learner.last_active_at: learner rows are per channel, and the engine
sets it on every message or button tap handled) is older than the window is not sent;
it is reported "skipped" with the reason, and counted as such. Zalo's own "outside the
window" answer is reported the same way. ZNS templates are no way around it here: ZNS
is addressed by phone number, and hocai keeps none (docs/ZALO_OA.md).
"""

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Delivery
from bot.channels.zalo_oa.client import NO_RETRY, OAClient, OAError
from bot.channels.zalo_oa.constants import (
    BUTTON_QUERY_HIDE,
    CHANNEL,
    QUOTA_PAUSE_SECONDS,
    SKIP_OUTSIDE_WINDOW,
    WINDOW,
    WINDOW_MARGIN,
)
from bot.channels.zalo_oa.render import Part, render
from bot.messages import Outbound
from storage.repository import Repository
from storage.types import utcnow

log = logging.getLogger("hocai.zalo_oa")


class OASender:
    def __init__(
        self,
        client: OAClient,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
        quota_pause: float = QUOTA_PAUSE_SECONDS,
    ):
        self.client = client
        self.sessions = sessions
        self.clock = clock
        self.quota_pause = quota_pause

    async def message(self, part: Part, retry=None) -> dict:
        """The `message` object of one consultation message."""
        if part.image_url or part.image_path:
            element = {"media_type": "image"}
            if part.image_url:
                element["url"] = part.image_url
            elif part.image_path:
                element["attachment_id"] = await self.client.upload_image(
                    Path(part.image_path), retry=retry
                )
            media = {
                "type": "template",
                "payload": {"template_type": "media", "elements": [element]},
            }
            return {"text": part.text, "attachment": media} if part.text else {"attachment": media}
        if part.file_path:
            token = await self.client.upload_file(Path(part.file_path), retry=retry)
            return {"attachment": {"type": "file", "payload": {"token": token}}}
        out: dict = {"text": part.text}
        if part.buttons:
            buttons = [
                {"title": title, "type": BUTTON_QUERY_HIDE, "payload": data}
                for title, data in part.buttons
            ]
            out["attachment"] = {"type": "template", "payload": {"buttons": buttons}}
        return out

    async def send(self, user_id: str, messages: list[Outbound], retry=None) -> None:
        """Every part in order; raises the first OAError."""
        for message in messages:
            for part in render(message):
                await self.client.send_message(
                    user_id, await self.message(part, retry), retry=retry
                )

    async def in_window(self, user_id: str) -> bool:
        async with self.sessions() as session:
            last = await Repository(session).last_active_at(CHANNEL, user_id)
        return last is not None and last + WINDOW - WINDOW_MARGIN > self.clock()

    async def deliver(self, user_id: str, messages: list[Outbound]) -> Delivery:
        """One outbox message: one attempt, the outcome for the dispatcher."""
        if not await self.in_window(user_id):
            return Delivery("skipped", error=SKIP_OUTSIDE_WINDOW)
        try:
            await self.send(user_id, messages, retry=NO_RETRY)
        except OAError as e:
            return outcome(e, self.quota_pause)
        return Delivery("sent")


def outcome(e: OAError, quota_pause: float) -> Delivery:
    """Zalo's refusal as the dispatcher's outcome: retry, drop, or mark unreachable."""
    error = f"{e.code if e.code is not None else 'network'} {e.description}"[:200]
    kind = e.kind
    if kind == "quota":
        return Delivery("retry", retry_after=quota_pause, error=error)
    if kind == "window":
        return Delivery("skipped", error=SKIP_OUTSIDE_WINDOW)
    if kind == "unreachable":
        return Delivery("blocked", error=error)
    if kind in ("network", "server", "token"):  # back off; a token may be fixed meanwhile
        return Delivery("failed", error=error)
    return Delivery("rejected", error=error)
