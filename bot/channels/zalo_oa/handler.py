"""One Zalo OA webhook event -> the engine -> the replies sent back.

Who is the learner: `sender.id` (the user's id for this OA), where replies go. A button
tap arrives as user_send_text whose text is the button's payload (ACTION_PREFIX +
action): it goes to the engine as an action, which the engine checks against the
learner's state like any button. `follow` starts onboarding (as /start does), `unfollow`
marks the learner unreachable. Anonymous messages carry no user to answer: ignored.

The msg_id goes to the engine as Inbound.update_id, so a redelivered event is dropped by
the database; non-text events claim their msg_id the same way (bot.channels.base
.answer_once) before the polite "text only" reply. Every reply is recorded with the event
before it is sent (bot.channels.base.answer).
"""

import logging
from dataclasses import dataclass

from bot.channels.handling import (
    answer,
    answer_once,
    content_key,
    guarded,
    id_of,
    mark_unreachable,
    object_at,
    update_key,
)
from bot.channels.zalo_oa import texts
from bot.channels.zalo_oa.client import OAError
from bot.channels.zalo_oa.constants import (
    ACTION_PREFIX,
    ANONYMOUS_PREFIX,
    CHANNEL,
    EVENT_FOLLOW,
    EVENT_IMAGE,
    EVENT_TEXT,
    EVENT_UNFOLLOW,
    MAX_ID_CHARS,
    USER_EVENT_PREFIX,
)
from bot.channels.zalo_oa.sender import OASender
from bot.engine import Engine
from bot.messages import Inbound, Outbound
from bot.outreach.replies import Sent

log = logging.getLogger("hocai.zalo_oa")


@dataclass(frozen=True)
class Event:
    name: str
    user_id: str
    msg_id: str | None
    text: str | None
    timestamp: str


def parse_event(body: object) -> Event | None:
    """None when it names no event or no user."""
    if not isinstance(body, dict) or not isinstance(body.get("event_name"), str):
        return None
    name = body["event_name"]
    sender, follower = object_at(body, "sender"), object_at(body, "follower")
    user_id = id_of(sender.get("id")) or id_of(follower.get("id"))
    message = object_at(body, "message")
    text = message.get("text") if isinstance(message.get("text"), str) else None
    return Event(
        name=name,
        user_id=user_id,
        msg_id=id_of(message.get("msg_id")) or None,
        text=text,
        timestamp=id_of(body.get("timestamp")),
    )


class EventHandler:
    def __init__(self, tutor: Engine, sender: OASender):
        self.tutor = tutor
        self.sender = sender

    async def handle(self, body: object) -> None:
        """Process one event. Raises Unavailable only (the database or the network is
        down: Zalo should deliver it again); any other failure is logged."""
        await guarded(self._event(body), log, "zalo oa event")

    async def _event(self, body: object) -> None:
        event = parse_event(body)
        if event is None:
            log.warning("webhook body without an event ignored")
        elif event.name.startswith(ANONYMOUS_PREFIX):
            log.info("anonymous message ignored")
        elif not event.user_id or len(event.user_id) > MAX_ID_CHARS:
            log.info("event %s without a usable user id ignored", event.name[:40])
        elif event.name == EVENT_TEXT and event.text and event.text.strip():
            await self._text(event)
        elif event.name == EVENT_FOLLOW:
            key = update_key(f"follow:{event.timestamp}:{event.user_id}")
            await self._engine(event.user_id, Inbound(CHANNEL, event.user_id, "/start", None, key))
        elif event.name == EVENT_UNFOLLOW:
            await self._unfollow(event.user_id)
        elif event.name.startswith(USER_EVENT_PREFIX):
            await self._non_text(event)
        else:  # oa_send_*, user_seen_message, ...: nothing to answer
            log.debug("event %s ignored", event.name[:40])

    async def _text(self, event: Event) -> None:
        text = event.text or ""
        key = update_key(event.msg_id)
        if text.startswith(ACTION_PREFIX):  # a button tap
            inbound = Inbound(
                CHANNEL, event.user_id, action=text[len(ACTION_PREFIX) :], update_id=key
            )
        else:
            inbound = Inbound(CHANNEL, event.user_id, text=text, update_id=key)
        await self._engine(event.user_id, inbound)

    async def _engine(self, user_id: str, inbound: Inbound) -> None:
        # No "typing…" here: the OA API v3 has no such call that we could confirm.
        await answer(self.tutor, inbound, lambda replies: self.send(user_id, replies))

    async def _non_text(self, event: Event) -> None:
        reply = Outbound(texts.IMAGE if event.name == EVENT_IMAGE else texts.UNSUPPORTED)
        send = lambda replies: self.send(event.user_id, replies)  # noqa: E731
        key = event_key(event)
        await answer_once(self.tutor, CHANNEL, key, CHANNEL, event.user_id, reply, send)

    async def _unfollow(self, user_id: str) -> None:
        if await mark_unreachable(self.tutor.sessions, CHANNEL, user_id):
            log.info("a learner unfollowed the OA: marked unreachable")

    async def send(self, user_id: str, replies: list[Outbound]) -> Sent:
        """Send the replies in order. A failure after the client's retries ends this
        reply: a passing one (network, server, quota, token) leaves the rest to the outbox,
        an unreachable learner is reported blocked, a refusal drops the rest (it would
        arrive out of context)."""
        for i, message in enumerate(replies):
            try:
                await self.sender.send(user_id, [message])
            except OAError as e:
                log.error("reply not sent: %s %s (%s)", e.code, e.description, e.kind)
                if e.kind in ("network", "server", "quota", "token"):
                    return Sent("unsent", replies[i:])
                if e.kind == "unreachable":
                    return Sent("blocked")
                return Sent()
        return Sent()


def event_key(event: Event) -> str:
    """The de-duplication key: the msg_id, or without one (follow, some user events) a
    hash of what Zalo signed: the event, the user and the timestamp."""
    return update_key(event.msg_id) or content_key(event.name, event.user_id, event.timestamp)
