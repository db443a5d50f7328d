"""What every messenger adapter offers the rest of the app."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from fastapi import APIRouter

from bot.messages import Outbound

log = logging.getLogger("hocai.channels")
T = TypeVar("T")

# A reply slower than this shows "typing…" while it is prepared. Lessons, quizzes and the
# offline tutor answer in milliseconds and need none (that saves a Bot API call per
# message: docs/PERFORMANCE.md, webhook); a model's answer takes seconds and gets one.
TYPING_AFTER_SECONDS = 0.3


class ChannelService(Protocol):
    """A running messenger channel (Telegram, Zalo).

    The runner calls start() once (a polling channel starts its loop there) and stop()
    on shutdown; a webhook channel returns the router the web app mounts.
    """

    name: str

    def webhook_router(self) -> APIRouter | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """What happened to one outbox message on its channel."""

    # retry: 429, send later; failed: transient, back off; rejected: the platform refused
    # this message for good (400), do not retry; skipped: not sent on purpose, `error`
    # says why (the Zalo OA's 48-hour window), counted apart from failures
    status: Literal["sent", "blocked", "retry", "failed", "rejected", "skipped"]
    retry_after: float = 0.0  # seconds the whole channel must wait (429)
    error: str = ""


class Sender(Protocol):
    """Sends queued messages (reminders, broadcasts) for the dispatcher.

    deliver() makes one attempt and reports: it must not wait out a 429 itself, because
    the dispatcher pauses the whole channel and reschedules the message.
    """

    name: str

    async def deliver(self, user_id: str, messages: list[Outbound]) -> Delivery: ...


async def typing_while(
    work: Awaitable[T],
    show_typing: Callable[[], Awaitable[object]],
    after: float = TYPING_AFTER_SECONDS,
) -> T:
    """Await `work`; if it is not done within `after` seconds, call `show_typing` once
    (best effort: its failure never stands in the reply's way)."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=after)
        if not done:
            try:
                await show_typing()
            except Exception as e:  # e.g. the chat blocked us: the reply will say so
                log.debug("typing indicator not shown: %s", type(e).__name__)
        return await task
    finally:
        task.cancel()  # a no-op once done; if we are cancelled, the work stops too
