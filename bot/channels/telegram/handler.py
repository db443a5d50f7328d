"""One Telegram update -> the engine -> the replies sent back. Shared by webhook and polling.

Update ids go to the engine as Inbound.update_id, so a redelivered update (webhook retry,
polling restart) is dropped by the database. Group chats get one note per group, also
remembered in the database (processed_update under GROUP_NOTE_KEY), and nothing else.
"""

import logging
from pathlib import Path

from aiogram import Bot
from aiogram.enums import ChatAction, ChatType
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendChatAction,
    SendDocument,
    SendMessage,
    SendPhoto,
)
from aiogram.types import CallbackQuery, FSInputFile, Message, Update, User

from bot.channels.base import typing_while
from bot.channels.telegram import texts
from bot.channels.telegram.constants import CHANNEL, MAX_CAPTION_CHARS
from bot.channels.telegram.render import answered_question, keyboard, render, tg_len
from bot.channels.telegram.sender import ChatUnreachable, Sender
from bot.engine import Tutor
from bot.messages import Inbound, Outbound
from storage.repository import DuplicateUpdate, Repository

log = logging.getLogger("hocai.telegram")

GROUP_NOTE_KEY = "telegram:group"  # processed_update.channel for "group was told"


def display_name(user: User | None) -> str | None:
    return user.full_name if user else None


def chat_of(update: Update) -> int | None:
    if update.message:
        return update.message.chat.id
    if update.callback_query:
        return update.callback_query.from_user.id
    return None


class UpdateHandler:
    def __init__(self, tutor: Tutor, bot: Bot):
        self.tutor = tutor
        self.sender = Sender(bot, self._mark_unreachable)
        self.bot_username: str | None = None  # from getMe, for the group note's link

    async def handle(self, update: Update) -> None:
        """Process one update. Never raises: a failure is logged and the next update runs."""
        try:
            if update.message:
                await self._message(update.update_id, update.message)
            elif update.callback_query:
                await self._callback(update.update_id, update.callback_query)
        except ChatUnreachable:
            pass
        except Exception:
            log.exception("update failed")

    async def _message(self, update_id: int, msg: Message) -> None:
        chat_id = msg.chat.id
        if msg.chat.type != ChatType.PRIVATE:
            await self._group(chat_id)
            return
        if msg.text is None:  # photo, sticker, voice...: the tutor reads text only
            if await self._claim(CHANNEL, str(update_id)):
                await self.send(chat_id, [Outbound(texts.NON_TEXT)])
            return
        inbound = Inbound(
            CHANNEL,
            str(chat_id),
            text=msg.text,
            update_id=str(update_id),
            display_name=display_name(msg.from_user),
        )
        typing = SendChatAction(chat_id=chat_id, action=ChatAction.TYPING)
        replies = await typing_while(
            self.tutor.handle(inbound), lambda: self.sender.call(typing, chat_id)
        )
        await self.send(chat_id, replies)

    async def _callback(self, update_id: int, query: CallbackQuery) -> None:
        # Answer first: it stops the spinner on the learner's button at once.
        await self.sender.call(AnswerCallbackQuery(callback_query_id=query.id))
        msg = query.message
        if msg is None or not query.data or msg.chat.type != ChatType.PRIVATE:
            return
        chat_id = msg.chat.id
        inbound = Inbound(
            CHANNEL,
            str(chat_id),
            action=query.data,
            update_id=str(update_id),
            display_name=display_name(query.from_user),
        )
        replies = await self.tutor.handle(inbound)
        if replies and replies[0].kind == "feedback" and isinstance(msg, Message) and msg.text:
            await self._show_verdict(msg, query.data, replies[0])
            replies = replies[1:]
        await self.send(chat_id, replies)

    async def _show_verdict(self, question: Message, pressed: str, feedback: Outbound) -> None:
        """Edit the answered question to show the choice and the verdict, without its
        buttons; send the verdict as a new message if the edit is not possible."""
        chat_id, message_id = question.chat.id, question.message_id
        text = answered_question(question.text or "", _label(question, pressed), feedback.text)
        if text is not None:
            edit = EditMessageText(
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                reply_markup=keyboard(feedback.choices) if feedback.choices else None,
            )
            if await self.sender.call(edit, chat_id) is not None:
                return
        else:
            await self.sender.call(
                EditMessageReplyMarkup(chat_id=chat_id, message_id=message_id), chat_id
            )
        await self.send(chat_id, [feedback])

    async def send(self, chat_id: int, replies: list[Outbound]) -> None:
        """Send the replies in order; stop at the first 403 (the chat is unreachable)."""
        try:
            for out in replies:
                await self._send_one(chat_id, out)
        except ChatUnreachable:
            pass

    async def _send_one(self, chat_id: int, out: Outbound) -> None:
        has_file = out.kind in ("document", "image") and out.attachment
        if has_file and await self._send_file(chat_id, out):
            return
        for chunk in render(out):
            await self.sender.call(
                SendMessage(chat_id=chat_id, text=chunk.text, reply_markup=chunk.markup), chat_id
            )

    async def _send_file(self, chat_id: int, out: Outbound) -> bool:
        """Send the file, with the text as its caption when it fits. True when the text
        went with it; False when the text still has to be sent as a message."""
        ref = out.attachment or ""
        if not ref.startswith(("https://", "http://")):
            if not Path(ref).is_file():
                log.error("attachment missing: %s", ref)
                return False
            ref = FSInputFile(ref)
        caption = out.text if tg_len(out.text) <= MAX_CAPTION_CHARS else None
        markup = keyboard(out.choices) if caption is not None and out.choices else None
        if out.kind == "image":
            method = SendPhoto(chat_id=chat_id, photo=ref, caption=caption, reply_markup=markup)
        else:
            method = SendDocument(
                chat_id=chat_id, document=ref, caption=caption, reply_markup=markup
            )
        await self.sender.call(method, chat_id)
        return caption is not None

    async def _group(self, chat_id: int) -> None:
        if not await self._claim(GROUP_NOTE_KEY, str(chat_id)):
            return
        note = texts.GROUP_NOTE
        if self.bot_username:
            note += "\n" + texts.GROUP_NOTE_LINK.format(username=self.bot_username)
        # No chat_id for the policy: a group refusing us is not a learner to mark.
        await self.sender.call(SendMessage(chat_id=chat_id, text=note))

    async def _claim(self, namespace: str, key: str) -> bool:
        """Record `key` once in the database; False when it was recorded before."""
        try:
            async with self.tutor.sessions() as session, session.begin():
                await Repository(session).claim_update(namespace, key)
        except DuplicateUpdate:
            return False
        return True

    async def _mark_unreachable(self, chat_id: int) -> None:
        try:
            async with self.tutor.sessions() as session, session.begin():
                await Repository(session).mark_unreachable(CHANNEL, str(chat_id))
        except Exception:
            log.exception("could not mark a chat unreachable")


def _label(message: Message, payload: str) -> str | None:
    """The text of the button that carried `payload` (e.g. the quiz letter pressed)."""
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else []:
        for button in row:
            if button.callback_data == payload:
                return button.text
    return None
