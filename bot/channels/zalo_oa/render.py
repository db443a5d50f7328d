"""Outbound -> Zalo OA consultation messages.

Choices become buttons (up to MAX_BUTTONS) that send the action back hidden
("oa.query.hide", payload ACTION_PREFIX + action), so lessons and quizzes are chosen,
not typed. A label too long for a button title is listed in the text, numbered, and its
button is titled with the number. More choices than buttons: the Bot Platform's numbered
list and hint (bot/channels/zalo/render.py), and the learner types the number. Quiz
options are already lettered in the text: their buttons are the letters.

Text is cut within MAX_TEXT_CHARS the Bot Platform's way (same limit, same counting).
"""

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from bot.channels.render import choice_block, lettered
from bot.channels.zalo.render import split_text, with_block
from bot.channels.zalo_oa import texts
from bot.channels.zalo_oa.constants import (
    ACTION_PREFIX,
    FILE_TYPES,
    IMAGE_TYPES,
    MAX_BUTTON_PAYLOAD_CHARS,
    MAX_BUTTON_TITLE_CHARS,
    MAX_BUTTONS,
    MAX_FILE_BYTES,
    MAX_IMAGE_BYTES,
    MAX_TEXT_CHARS,
)
from bot.messages import Choice, Outbound

log = logging.getLogger("hocai.zalo_oa")

_OWN_NUMBER = re.compile(r"^\d+\.\s+")  # "4. An toàn": numbered by the flow


@dataclass(frozen=True)
class Part:
    """One consultation message: text (with buttons), an image, or a file."""

    text: str = ""
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload)
    image_url: str | None = None
    image_path: str | None = None  # uploaded first (upload/image)
    file_path: str | None = None  # uploaded first (upload/file)


def payload(action: str) -> str:
    return ACTION_PREFIX + action


def _buttons_fit(choices: tuple[Choice, ...]) -> bool:
    return 0 < len(choices) <= MAX_BUTTONS and all(
        0 < len(payload(c.action)) <= MAX_BUTTON_PAYLOAD_CHARS for c in choices
    )


def render_text(message: Outbound) -> list[Part]:
    body = message.text.strip()
    if not message.choices:
        return [Part(t) for t in split_text(body, MAX_TEXT_CHARS)]
    if not _buttons_fit(message.choices):  # typed numbers, as on the Bot Platform
        block = choice_block(message)
        return [Part(t) for t in with_block(body or texts.CHOOSE, block, MAX_TEXT_CHARS)]
    labels = [_OWN_NUMBER.sub("", c.label) for c in message.choices]
    if lettered(message) or all(len(label) <= MAX_BUTTON_TITLE_CHARS for label in labels):
        titles = labels
        pieces = split_text(body or texts.CHOOSE, MAX_TEXT_CHARS)
    else:
        titles = [str(i) for i in range(1, len(labels) + 1)]
        block = "\n".join(f"{i}. {label}" for i, label in enumerate(labels, 1))
        pieces = with_block(body or texts.CHOOSE, block, MAX_TEXT_CHARS)
    buttons = tuple(
        (title, payload(c.action)) for title, c in zip(titles, message.choices, strict=True)
    )
    return [*(Part(t) for t in pieces[:-1]), Part(pieces[-1], buttons)]


def _local(path: str, types: dict[str, str], limit: int) -> bool:
    p = Path(path)
    try:
        return p.suffix.lower() in types and p.is_file() and p.stat().st_size <= limit
    except OSError:
        return False


def render(message: Outbound) -> list[Part]:
    """The messages for one Outbound. Images go by URL, or uploaded from a local JPG/PNG
    file; documents are uploaded (PDF, DOC, DOCX), or sent as a link when a URL."""
    parts = render_text(message)
    where = message.attachment or ""
    if not where:
        return parts
    remote = where.startswith(("https://", "http://"))
    if message.kind == "image" and remote:
        return [Part(image_url=where), *parts]
    if message.kind == "image" and _local(where, IMAGE_TYPES, MAX_IMAGE_BYTES):
        return [Part(image_path=where), *parts]
    if remote:
        return [*parts, Part(texts.LINK.format(url=where))]
    if _local(where, FILE_TYPES, MAX_FILE_BYTES):
        return [*parts, Part(file_path=where)]
    log.warning("attachment left out: not a URL nor a file Zalo takes (kind=%s)", message.kind)
    return parts
