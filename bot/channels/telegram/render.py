"""Outbound -> Telegram messages: text chunks within the limit, choices as inline buttons.

Text goes out with no parse mode, so every character (<, >, & included) shows exactly as
the engine wrote it and nothing needs escaping; the limit then counts the same characters
we split on.
"""

import logging
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.render import split_text as shared_split
from bot.channels.render import utf16_len
from bot.channels.telegram import texts
from bot.channels.telegram.constants import MAX_CALLBACK_DATA_BYTES as MAX_PAYLOAD_BYTES
from bot.channels.telegram.constants import MAX_INLINE_BUTTONS, MAX_MESSAGE_CHARS
from bot.messages import Choice, Outbound

log = logging.getLogger("hocai.telegram")


@dataclass(frozen=True)
class Chunk:
    text: str
    markup: InlineKeyboardMarkup | None = None


tg_len = utf16_len  # Telegram's own measure


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Non-empty chunks of at most `limit`, cut at paragraph breaks where possible."""
    return shared_split(text, limit)


def _per_row(choices: tuple[Choice, ...]) -> int:
    widest = max(len(c.label) for c in choices)
    return 5 if widest <= 3 else 2 if widest <= 14 else 1  # quiz letters share one row


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    """Inline buttons; a payload Telegram would refuse is dropped (and logged) so the
    message itself still reaches the learner."""
    usable = []
    for c in choices:
        if 0 < len(c.action.encode()) <= MAX_PAYLOAD_BYTES:
            usable.append(c)
        else:
            log.error("button dropped: payload of %d bytes", len(c.action.encode()))
    usable = usable[:MAX_INLINE_BUTTONS]
    if not usable:
        return None
    n = _per_row(tuple(usable))
    buttons = [InlineKeyboardButton(text=c.label, callback_data=c.action) for c in usable]
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + n] for i in range(0, len(buttons), n)]
    )


def render(message: Outbound) -> list[Chunk]:
    """The messages to send for one Outbound; the buttons go under the last one."""
    parts = split_text(message.text) or ([texts.CHOOSE] if message.choices else [])
    chunks = [Chunk(t) for t in parts]
    markup = keyboard(message.choices) if message.choices else None
    if chunks and markup:
        chunks[-1] = Chunk(chunks[-1].text, markup)
    return chunks


def answered_question(question: str, label: str | None, feedback: str) -> str | None:
    """The quiz message after an answer: the question, the choice, the verdict.
    None when it would not fit in one message."""
    chose = f"{texts.YOU_CHOSE.format(label=label)}\n" if label else ""
    text = f"{question}\n\n{chose}{feedback}"
    return text if tg_len(text) <= MAX_MESSAGE_CHARS else None
