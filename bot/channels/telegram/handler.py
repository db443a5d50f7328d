"""One Telegram update -> the engine -> the replies sent back. Shared by webhook and polling.

Update ids go to the engine as Inbound.update_id, so a redelivered update (webhook retry,
polling restart) is dropped by the database. Group chats get one note per group, also
remembered in the database (processed_update under GROUP_NOTE_KEY), and nothing else.
Every reply is recorded with the update before it is sent (bot.channels.base.answer).
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

from bot.channels.handling import answer, guarded, mark_unreachable, send_recorded
from bot.channels.telegram import texts
from bot.channels.telegram.constants import CHANNEL, MAX_CAPTION_CHARS
from bot.channels.telegram.delivery import TelegramDelivery
from bot.channels.telegram.render import answered_question, keyboard, tg_len
from bot.channels.telegram.sender import ChatUnreachable, GaveUp, TelegramSender
from bot.engine import Engine
from bot.messages import Inbound, Outbound
from bot.outreach.replies import Sent

log = logging.getLogger("hocai.telegram")

GROUP_NOTE_KEY = "telegram:group"  # processed_update.channel for "group was told"
# A button may spin this long while its reply is prepared before the press is answered
# apart from the webhook's response: longer than "typing…" waits, because the spinner is
# itself the sign that the press is being handled, and on a saturated core most replies
# take over 0.3 s (then the call the webhook's answer saves would be made anyway).
SPINNER_AFTER_SECONDS = 3.0


def display_name(user: User | None) -> str | None:
    return user.full_name if user else None


def chat_of(update: Update) -> int | None:
    if update.message:
        return update.message.chat.id
    if update.callback_query:
        return update.callback_query.from_user.id
    return None


class UpdateHandler:
    def __init__(self, tutor: Engine, bot: Bot, delivery: TelegramDelivery):
        self.tutor = tutor
        self.sender = TelegramSender(bot, self._mark_unreachable, delivery)
        self.bot_username: str | None = None  # from getMe, for the group note's link

    async def handle(self, update: Update) -> None:
        """Process one update. Raises Unavailable only (the database or the network is
        down: deliver it again); any other failure is logged and the next update runs."""
        await self._handle(update, None)

    async def handle_webhook(self, update: Update) -> dict | None:
        """As handle(), for a webhook: returns the method call for the response body (a
        button press's answer, see Spinner), or None."""
        spinner = Spinner(self.sender, update.callback_query.id) if update.callback_query else None
        await self._handle(update, spinner)
        return spinner.take() if spinner else None

    async def _handle(self, update: Update, spinner: "Spinner | None") -> None:
        if update.message:
            work = self._message(update.update_id, update.message)
        elif update.callback_query:
            spinner = spinner or Spinner(self.sender, update.callback_query.id, now=True)
            work = self._callback(update.update_id, update.callback_query, spinner)
        else:
            return
        await guarded(work, log, "update", ignore=(ChatUnreachable,))

    async def _message(self, update_id: int, msg: Message) -> None:
        chat_id = msg.chat.id
        if msg.chat.type != ChatType.PRIVATE:
            await self._group(chat_id)
            return
        if msg.text is None:  # photo, sticker, voice...: the tutor reads text only
            await self._once(CHANNEL, str(update_id), chat_id, [Outbound(texts.NON_TEXT)])
            return
        inbound = _inbound(update_id, chat_id, msg.from_user, text=msg.text)
        typing = SendChatAction(chat_id=chat_id, action=ChatAction.TYPING)
        await answer(
            self.tutor,
            inbound,
            lambda replies: self.send(chat_id, replies),
            lambda: self.sender.call(typing, chat_id),
        )

    async def _callback(self, update_id: int, query: CallbackQuery, spinner: "Spinner") -> None:
        await spinner.started()
        msg = query.message
        if msg is None or not query.data or msg.chat.type != ChatType.PRIVATE:
            return
        chat_id, pressed = msg.chat.id, query.data
        inbound = _inbound(update_id, chat_id, query.from_user, action=pressed)

        async def send(replies: list[Outbound]) -> Sent:
            if replies[0].kind == "feedback" and isinstance(msg, Message) and msg.text:
                try:
                    await self._show_verdict(msg, pressed, replies[0])
                except ChatUnreachable:
                    return Sent("blocked")
                except GaveUp:
                    return Sent("unsent", replies)
                replies = replies[1:]
            return await self.send(chat_id, replies)

        await answer(self.tutor, inbound, send, spinner.stop, SPINNER_AFTER_SECONDS)

    async def _show_verdict(self, question: Message, pressed: str, feedback: Outbound) -> None:
        """Edit the answered question to show the choice and the verdict, without its
        buttons; send the verdict as a new message if the edit is not possible.
        Raises ChatUnreachable, GaveUp (as `send` does)."""
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
        await self._send_one(chat_id, feedback)

    async def send(self, chat_id: int, replies: list[Outbound]) -> Sent:
        """Send the replies in order; stop at the first 403 (the chat is unreachable) or
        at a message that would not go (the rest is left to the outbox)."""
        for i, out in enumerate(replies):
            try:
                await self._send_one(chat_id, out)
            except ChatUnreachable:
                return Sent("blocked")
            except GaveUp:
                return Sent("unsent", replies[i:])
        return Sent()

    async def _send_one(self, chat_id: int, out: Outbound) -> None:
        has_file = out.kind in ("document", "image") and out.attachment
        if has_file and await self._send_file(chat_id, out):
            return
        await self.sender.send_message(chat_id, out)

    async def _send_file(self, chat_id: int, out: Outbound) -> bool:
        """Send the file, with the text as its caption when it fits. True when the text
        went with it; False when the text still has to be sent as a message."""
        ref = out.attachment or ""
        media: str | FSInputFile = ref
        if not ref.startswith(("https://", "http://")):
            if not Path(ref).is_file():
                log.error("attachment missing: %s", ref)
                return False
            media = FSInputFile(ref)
        caption = out.text if tg_len(out.text) <= MAX_CAPTION_CHARS else None
        markup = keyboard(out.choices) if caption is not None and out.choices else None
        method: SendPhoto | SendDocument
        if out.kind == "image":
            method = SendPhoto(chat_id=chat_id, photo=media, caption=caption, reply_markup=markup)
        else:
            method = SendDocument(
                chat_id=chat_id, document=media, caption=caption, reply_markup=markup
            )
        await self.sender.call(method, chat_id, must=True)
        return caption is not None

    async def _group(self, chat_id: int) -> None:
        note = texts.GROUP_NOTE
        if self.bot_username:
            note += "\n" + texts.GROUP_NOTE_LINK.format(username=self.bot_username)

        async def send(replies: list[Outbound]) -> Sent:
            # No chat_id for the policy: a group refusing us is not a learner to mark.
            try:
                await self.sender.call(SendMessage(chat_id=chat_id, text=note), must=True)
            except GaveUp:
                return Sent("unsent", replies)
            return Sent()

        handled = await self.tutor.claim_and_record(
            GROUP_NOTE_KEY, str(chat_id), CHANNEL, str(chat_id), [Outbound(note)]
        )
        if handled is not None:
            await send_recorded(self.tutor, handled, send)

    async def _once(self, namespace: str, key: str, chat_id: int, replies: list[Outbound]):
        """Answer `key` once (claimed and recorded in one transaction)."""
        handled = await self.tutor.claim_and_record(namespace, key, CHANNEL, str(chat_id), replies)
        if handled is not None:
            await send_recorded(self.tutor, handled, lambda r: self.send(chat_id, r))

    async def _mark_unreachable(self, chat_id: int) -> None:
        await mark_unreachable(self.tutor.sessions, CHANNEL, str(chat_id))


class Spinner:
    """The answer to a button press (answerCallbackQuery), which stops the spinner on the
    learner's button. Polling sends it first thing. A webhook returns it in its response
    body, which Telegram runs (one Bot API call fewer per press: docs/PERFORMANCE.md,
    webhook), unless the reply is slow: then it is sent after SPINNER_AFTER_SECONDS."""

    def __init__(self, sender: TelegramSender, query_id: str, now: bool = False):
        self.sender, self.query_id, self.now = sender, query_id, now
        self.pending = True

    async def started(self) -> None:
        if self.now:
            await self.stop()

    async def stop(self) -> None:
        """Send the answer now (once)."""
        if self.pending:
            self.pending = False
            await self.sender.call(AnswerCallbackQuery(callback_query_id=self.query_id))

    def take(self) -> dict | None:
        """The answer as a webhook response body, unless it was sent."""
        if not self.pending:
            return None
        self.pending = False
        return {"method": "answerCallbackQuery", "callback_query_id": self.query_id}


def _inbound(update_id: int, chat_id: int, user: User | None, **content) -> Inbound:
    return Inbound(
        CHANNEL,
        str(chat_id),
        update_id=str(update_id),
        display_name=display_name(user),
        **content,
    )


def _label(message: Message, payload: str) -> str | None:
    """The text of the button that carried `payload` (e.g. the quiz letter pressed)."""
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else []:
        for button in row:
            if button.callback_data == payload:
                return button.text
    return None
