"""One Zalo event -> the engine -> the replies sent back. Shared by webhook and polling.

Who is the learner: `chat.id`. In a private chat (the only kind a Zalo bot normally has)
it equals `from.id`, and it is the id replies are addressed to, so the learner row's
channel_user_id is directly where reminders and broadcasts go later, as on Telegram.
Group chats (chat.id != from.id) are not learners: the group gets one note, once,
remembered in the database.

The message_id goes to the engine as Inbound.update_id, so a redelivered event (webhook
retry, a repeated getUpdates answer) is dropped by the database. An event without one is
keyed by a hash of its content, a duplicate within CONTENT_DEDUPE_WINDOW_SECONDS.
Non-text events claim their key the same way before the friendly "text only" reply.
Every reply is recorded with the event before it is sent (bot.channels.base.answer).
"""

import logging
from dataclasses import dataclass

from bot.channels.handling import (
    answer,
    answer_once,
    content_key,
    guarded,
    id_of,
    object_at,
    update_key,
)
from bot.channels.zalo import texts
from bot.channels.zalo.client import ZaloClient, ZaloError
from bot.channels.zalo.constants import (
    CHANNEL,
    CHAT_PRIVATE,
    CONTENT_DEDUPE_WINDOW_SECONDS,
    EVENT_IMAGE,
    EVENT_STICKER,
    EVENT_TEXT,
    EVENT_UNSUPPORTED,
    GROUP_NOTE_KEY,
    MAX_ID_CHARS,
)
from bot.channels.zalo.render import render
from bot.engine import Engine
from bot.messages import Inbound, Outbound
from bot.outreach.replies import Sent

log = logging.getLogger("hocai.zalo")

NON_TEXT_REPLIES = {EVENT_IMAGE: texts.IMAGE, EVENT_STICKER: texts.STICKER}


@dataclass(frozen=True)
class Event:
    name: str
    message_id: str | None
    chat_id: str
    private: bool
    display_name: str | None
    from_bot: bool
    text: str | None
    date: str = ""  # the platform's timestamp, when given (part of the content key)


def parse_event(body: object) -> Event | None:
    """An event from a webhook body or a getUpdates result: `{"ok": true, "result": {...}}`
    or the flat `{"event_name": ..., "message": {...}}`. None when it has no chat."""
    if isinstance(body, dict) and "event_name" not in body and isinstance(body.get("result"), dict):
        body = body["result"]
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        return None
    msg = body["message"]
    chat, sender = object_at(msg, "chat"), object_at(msg, "from")
    chat_id = id_of(chat.get("id")) or id_of(sender.get("id"))
    if not chat_id:
        return None
    text = msg.get("text") if isinstance(msg.get("text"), str) else None
    name = body.get("event_name")
    if not isinstance(name, str) or not name:  # older getUpdates answers carry no name
        name = EVENT_TEXT if text else EVENT_UNSUPPORTED
    chat_type = chat.get("chat_type")
    private = chat_type is None or str(chat_type).upper() == CHAT_PRIVATE
    display = sender.get("display_name") or sender.get("first_name") or sender.get("name")
    return Event(
        name=name,
        message_id=id_of(msg.get("message_id")) or None,
        chat_id=chat_id,
        private=private,
        display_name=str(display)[:128] if display else None,
        from_bot=sender.get("is_bot") is True,
        text=text,
        date=id_of(msg.get("date") or body.get("timestamp")),
    )


def event_key(event: Event) -> tuple[str, float | None]:
    """(de-duplication key, window): the message_id for good, or without one a hash of
    the content for CONTENT_DEDUPE_WINDOW_SECONDS."""
    key = update_key(event.message_id)
    if key:
        return key, None
    content = content_key(event.chat_id, event.name, event.text or "", event.date)
    return content, CONTENT_DEDUPE_WINDOW_SECONDS


class EventHandler:
    def __init__(self, tutor: Engine, client: ZaloClient):
        self.tutor = tutor
        self.client = client

    async def handle(self, body: object) -> None:
        """Process one event. Raises Unavailable only (the database or the network is
        down: deliver it again); any other failure is logged and the next event runs."""
        await guarded(self._event(body), log, "zalo event")

    async def _event(self, body: object) -> None:
        event = parse_event(body)
        if event is None:
            log.warning("event without a chat ignored")
        elif len(event.chat_id) > MAX_ID_CHARS:
            log.warning("event with an over-long chat id ignored")
        elif event.from_bot:
            log.info("event from a bot ignored")
        elif not event.private:
            await self._group(event.chat_id)
        elif event.name == EVENT_TEXT and event.text and event.text.strip():
            await self._text(event)
        else:
            await self._non_text(event)

    async def _text(self, event: Event) -> None:
        key, window = event_key(event)
        inbound = Inbound(
            CHANNEL,
            event.chat_id,
            text=event.text,
            update_id=key,
            update_window=window,
            display_name=event.display_name,
        )
        await answer(
            self.tutor,
            inbound,
            lambda replies: self.send(event.chat_id, replies),
            lambda: self.client.send_chat_action(event.chat_id),
        )

    async def _non_text(self, event: Event) -> None:
        """Image, sticker, unsupported (content unknown), or text with no text."""
        if event.name not in (EVENT_IMAGE, EVENT_STICKER, EVENT_UNSUPPORTED, EVENT_TEXT):
            log.info("unknown event %s: answered as unsupported", event.name[:64])
        key, window = event_key(event)
        reply = NON_TEXT_REPLIES.get(event.name, texts.UNSUPPORTED)
        await self._once(CHANNEL, key, event.chat_id, Outbound(reply), window)

    async def _group(self, chat_id: str) -> None:
        await self._once(GROUP_NOTE_KEY, chat_id, chat_id, Outbound(texts.GROUP_NOTE))

    async def _once(
        self, namespace: str, key: str, chat_id: str, reply: Outbound, window=None
    ) -> None:
        """Answer `key` once: claimed and the reply recorded in one transaction."""
        send = lambda r: self.send(chat_id, r)  # noqa: E731
        await answer_once(self.tutor, namespace, key, CHANNEL, chat_id, reply, send, window)

    async def send(self, chat_id: str, replies: list[Outbound]) -> Sent:
        """Send every piece in order. A piece the platform refuses (4xx) is logged and
        skipped; one that still fails after the client's retries (network, 5xx, 429)
        stops the sending, the rest left to the outbox; after a 401 too."""
        for i, message in enumerate(replies):
            for part in render(message):
                try:
                    if part.photo:
                        await self.client.send_photo(chat_id, part.photo, part.text or None)
                    else:
                        await self.client.send_message(chat_id, part.text)
                except ZaloError as e:
                    log.error("%s failed: %s %s", e.method, e.code or "network", e.description)
                    if e.unauthorized or e.retryable:
                        return Sent("unsent", replies[i:])
        return Sent()
