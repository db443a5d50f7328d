"""One Zalo event -> the engine -> the replies sent back. Shared by webhook and polling.

Who is the learner: `chat.id`. In a private chat (the only kind a Zalo bot normally has)
it equals `from.id`, and it is the id replies are addressed to, so the learner row's
channel_user_id is directly where reminders and broadcasts go later, as on Telegram.
Group chats (chat.id != from.id) are not learners: the group gets one note, once,
remembered in the database.

The message_id goes to the engine as Inbound.update_id, so a redelivered event (webhook
retry, a repeated getUpdates answer) is dropped by the database. Non-text events claim
their message_id the same way before the friendly "text only" reply.
"""

import hashlib
import logging
from dataclasses import dataclass

from bot.channels.base import typing_while
from bot.channels.zalo import texts
from bot.channels.zalo.client import ZaloClient, ZaloError
from bot.channels.zalo.constants import (
    CHANNEL,
    CHAT_PRIVATE,
    EVENT_IMAGE,
    EVENT_STICKER,
    EVENT_TEXT,
    EVENT_UNSUPPORTED,
    GROUP_NOTE_KEY,
    MAX_ID_CHARS,
)
from bot.channels.zalo.render import render
from bot.engine import Tutor
from bot.messages import Inbound, Outbound
from storage.repository import DuplicateUpdate, Repository

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


def _id(value: object) -> str:
    return str(value).strip() if isinstance(value, str | int) else ""


def parse_event(body: object) -> Event | None:
    """An event from a webhook body or a getUpdates result: `{"ok": true, "result": {...}}`
    or the flat `{"event_name": ..., "message": {...}}`. None when it has no chat."""
    if isinstance(body, dict) and "event_name" not in body and isinstance(body.get("result"), dict):
        body = body["result"]
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        return None
    msg = body["message"]
    chat = msg.get("chat") if isinstance(msg.get("chat"), dict) else {}
    sender = msg.get("from") if isinstance(msg.get("from"), dict) else {}
    chat_id = _id(chat.get("id")) or _id(sender.get("id"))
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
        message_id=_id(msg.get("message_id")) or None,
        chat_id=chat_id,
        private=private,
        display_name=str(display)[:128] if display else None,
        from_bot=sender.get("is_bot") is True,
        text=text,
    )


def update_key(message_id: str | None) -> str | None:
    """The de-duplication key: the message_id, hashed if longer than the column."""
    if not message_id or len(message_id) <= MAX_ID_CHARS:
        return message_id
    return hashlib.sha256(message_id.encode()).hexdigest()[:MAX_ID_CHARS]


async def claim(tutor: Tutor, key: str, update_id: str | None) -> bool:
    """True the first time this id is seen (always True without an id): events the
    engine does not see (images, stickers, group notes) are de-duplicated here."""
    if not update_id:
        return True
    try:
        async with tutor.sessions() as session, session.begin():
            await Repository(session).claim_update(key, update_id)
    except DuplicateUpdate:
        log.info("duplicate event dropped channel=%s", key)
        return False
    return True


class EventHandler:
    def __init__(self, tutor: Tutor, client: ZaloClient):
        self.tutor = tutor
        self.client = client

    async def handle(self, body: object) -> None:
        """Process one event. Never raises: a failure is logged and the next event runs."""
        try:
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
        except Exception:
            log.exception("zalo event failed")

    async def _text(self, event: Event) -> None:
        inbound = Inbound(
            CHANNEL,
            event.chat_id,
            text=event.text,
            update_id=update_key(event.message_id),
            display_name=event.display_name,
        )
        replies = await typing_while(
            self.tutor.handle(inbound), lambda: self.client.send_chat_action(event.chat_id)
        )
        await self.send(event.chat_id, replies)

    async def _non_text(self, event: Event) -> None:
        """Image, sticker, unsupported (content unknown), or text with no text."""
        if event.name not in (EVENT_IMAGE, EVENT_STICKER, EVENT_UNSUPPORTED, EVENT_TEXT):
            log.info("unknown event %s: answered as unsupported", event.name[:64])
        if await self._claim(CHANNEL, update_key(event.message_id)):
            reply = NON_TEXT_REPLIES.get(event.name, texts.UNSUPPORTED)
            await self.send(event.chat_id, [Outbound(reply)])

    async def _group(self, chat_id: str) -> None:
        if await self._claim(GROUP_NOTE_KEY, chat_id):
            await self.send(chat_id, [Outbound(texts.GROUP_NOTE)])

    async def _claim(self, key: str, update_id: str | None) -> bool:
        return await claim(self.tutor, key, update_id)

    async def send(self, chat_id: str, replies: list[Outbound]) -> None:
        """Send every piece in order. A piece that still fails after the client's retries
        is logged and skipped; after a 401 nothing more is tried."""
        for message in replies:
            for part in render(message):
                try:
                    if part.photo:
                        await self.client.send_photo(chat_id, part.photo, part.text or None)
                    else:
                        await self.client.send_message(chat_id, part.text)
                except ZaloError as e:
                    if e.unauthorized:
                        return
                    log.error("%s failed: %s %s", e.method, e.code or "network", e.description)
