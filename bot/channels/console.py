"""Console channel: the whole learner experience in a terminal, or driven by a pipe.

Interactive: a prompt per message, lines wrapped at word boundaries to the terminal's
width. Piped: one learner message per input line, each echoed as '> line' and followed by
the replies (not wrapped), so scripts and demos read like a transcript. Choices are shown
as on Zalo (bot/channels/render.py).
"""

import asyncio
import re
import shutil
import sys
import textwrap
import uuid
from typing import TextIO

from bot.channels.render import numbered
from bot.engine import Engine
from bot.failures import Unavailable
from bot.flows.common import ERROR
from bot.messages import Inbound, Outbound

CHANNEL = "console"
QUIT_WORDS = {"/thoat", "/quit", "/exit"}
MIN_WIDTH = 20  # narrower than this, wrapping helps nobody: lines are left as they are
# A list item's marker ("1. ", "A. ", "- "): its wrapped lines are indented past it.
_ITEM = re.compile(r"^(\d+\.|[A-Z]\.|-)\s+")


def wrap(text: str, width: int) -> str:
    """Each line cut at spaces to at most `width` characters (a word longer than that, such
    as a link, stays whole); blank lines and line breaks are kept."""
    if width < MIN_WIDTH:
        return text
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        item = _ITEM.match(line)
        out += textwrap.wrap(
            line,
            width,
            subsequent_indent=" " * len(item.group(0)) if item else "",
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(out)


def terminal_width() -> int:
    # One column spare: an emoji takes two cells where Python counts one character.
    return shutil.get_terminal_size().columns - 1


def _print(replies: list[Outbound], out: TextIO, width: int | None = None) -> None:
    for message in replies:
        text = numbered(message)
        out.write((wrap(text, width) if width else text) + "\n\n")
        if message.kind in ("document", "image") and message.attachment:
            out.write(f"[tệp: {message.attachment}]\n\n")
    out.flush()


async def run(
    tutor: Engine,
    user_id: str = "local",
    display_name: str | None = None,
    inp: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    say_start: bool = True,
    width: int | None = None,
) -> None:
    """width: wrap replies at this many characters; by default the terminal's width when
    the output is a terminal, and no wrapping when it is piped."""

    async def send(text: str) -> None:
        inbound = Inbound(
            CHANNEL, user_id, text=text, update_id=uuid.uuid4().hex, display_name=display_name
        )
        columns = width if width is not None else terminal_width() if out.isatty() else None
        try:
            replies = await tutor.handle(inbound)
        except Unavailable:  # nobody redelivers here: the person types it again
            replies = [ERROR]
        _print(replies, out, columns)

    interactive = inp.isatty() and out.isatty()
    if interactive:
        out.write("hocai – gõ số để chọn, /menu để về menu, /thoat để thoát.\n\n")
    if say_start:
        await send("/start")
    while True:
        if interactive:
            try:
                line = await asyncio.to_thread(input, "> ")
            except (EOFError, KeyboardInterrupt):
                out.write("\nTạm biệt!\n")
                return
        else:
            line = inp.readline()
            if not line:
                return
            line = line.rstrip("\n")
            out.write(f"> {line}\n")
        if line.strip().lower() in QUIT_WORDS:
            out.write("Tạm biệt!\n")
            return
        await send(line)
