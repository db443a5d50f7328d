"""Outbound -> Zalo messages. There are no buttons: choices are rendered as in the console
(bot/channels/render.py: a numbered list with a hint; lettered quiz options get the hint
only), and the learner replies by typing.

Text is cut within MAX_TEXT_CHARS at paragraph breaks where possible (then lines, then
words); the list of choices always stays with the last piece.
"""

import logging
from dataclasses import dataclass

from bot.channels.render import choice_block, utf16_len
from bot.channels.render import split_text as shared_split
from bot.channels.zalo import texts
from bot.channels.zalo.constants import MAX_CAPTION_CHARS, MAX_TEXT_CHARS
from bot.messages import Outbound

log = logging.getLogger("hocai.zalo")

MIN_ROOM_FOR_TEXT = 200  # below this, a huge list of choices goes in pieces of its own


@dataclass(frozen=True)
class Part:
    """One API call: a text message, or a photo (URL) with an optional caption."""

    text: str
    photo: str | None = None


zalo_len = utf16_len  # never less than the characters Zalo counts


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Non-empty pieces of at most `limit`, cut at paragraph breaks where possible."""
    return shared_split(text, limit)


def render_text(message: Outbound) -> list[str]:
    """The text pieces of one Outbound, the choices with the last one."""
    if not message.choices:
        return split_text(message.text)
    return with_block(message.text.strip() or texts.CHOOSE, choice_block(message))


def with_block(body: str, block: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """`body` in pieces of at most `limit`, `block` (the choices) after the last one."""
    room = limit - zalo_len(block) - 2
    if room < MIN_ROOM_FOR_TEXT:
        return split_text(body, limit) + split_text(block, limit)
    pieces = split_text(body, limit)
    last = pieces.pop()
    if zalo_len(last) > room:
        tail = split_text(last, room)
        pieces += tail[:-1]
        last = tail[-1]
    return [*pieces, f"{last}\n\n{block}"]


def render(message: Outbound) -> list[Part]:
    """The calls for one Outbound. Zalo sends photos by URL and no documents: anything
    else attached goes as a link, or is left out (and logged) when it is a local file
    without a public URL."""
    pieces = render_text(message)
    url = message.public_url or message.attachment or ""
    if not url:
        return [Part(t) for t in pieces]
    if not url.startswith(("https://", "http://")):
        log.warning("attachment left out: Zalo takes URLs only (kind=%s)", message.kind)
        return [Part(t) for t in pieces]
    if message.kind != "image":
        return [Part(t) for t in pieces] + [Part(texts.LINK.format(url=url))]
    if len(pieces) == 1 and zalo_len(pieces[0]) <= MAX_CAPTION_CHARS and not message.choices:
        return [Part(pieces[0], photo=url)]
    return [Part("", photo=url), *(Part(t) for t in pieces)]
