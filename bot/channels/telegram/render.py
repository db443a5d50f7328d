"""Outbound -> Telegram messages: text chunks within the limit, choices as inline buttons.

Text goes out with no parse mode, so every character (<, >, & included) shows exactly as
the engine wrote it and nothing needs escaping; the limit then counts the same characters
we split on.
"""

import logging
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram import texts
from bot.channels.telegram.constants import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_INLINE_BUTTONS,
    MAX_MESSAGE_CHARS,
)
from bot.messages import Choice, Outbound

log = logging.getLogger("hocai.telegram")

SEPARATORS = ("\n\n", "\n", " ")  # paragraph, then line, then word


@dataclass(frozen=True)
class Chunk:
    text: str
    markup: InlineKeyboardMarkup | None = None


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji may count 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Non-empty chunks of at most `limit`, cut at paragraph breaks where possible."""
    return [c.strip() for c in _split(text.strip(), limit, SEPARATORS) if c.strip()]


def _split(text: str, limit: int, seps: tuple[str, ...]) -> list[str]:
    if tg_len(text) <= limit:
        return [text]
    if not seps:
        return _hard_cut(text, limit)
    sep, finer = seps[0], seps[1:]
    chunks: list[str] = []
    current = ""
    for part in text.split(sep):
        if tg_len(part) > limit:
            chunks += [current, *_split(part, limit, finer)]
            current = ""
            continue
        joined = f"{current}{sep}{part}" if current else part
        if tg_len(joined) <= limit:
            current = joined
        else:
            chunks.append(current)
            current = part
    return [*chunks, current]


def _hard_cut(text: str, limit: int) -> list[str]:
    chunks, current, size = [], [], 0
    for ch in text:
        width = tg_len(ch)
        if size + width > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    return [*chunks, "".join(current)]


def _per_row(choices: tuple[Choice, ...]) -> int:
    widest = max(len(c.label) for c in choices)
    return 5 if widest <= 3 else 2 if widest <= 14 else 1  # quiz letters share one row


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    """Inline buttons; a payload Telegram would refuse is dropped (and logged) so the
    message itself still reaches the learner."""
    usable = []
    for c in choices:
        if 0 < len(c.action.encode()) <= MAX_CALLBACK_DATA_BYTES:
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
