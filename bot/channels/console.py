"""Console channel: the whole learner experience in a terminal, or driven by a pipe.

Interactive: a prompt per message. Piped: one learner message per input line, each echoed
as '> line' and followed by the replies, so scripts and demos read like a transcript.
"""

import asyncio
import sys
import uuid
from typing import TextIO

from bot.channels.render import numbered
from bot.engine import Tutor
from bot.failures import Unavailable
from bot.flows.common import ERROR
from bot.messages import Inbound, Outbound

CHANNEL = "console"
QUIT_WORDS = {"/thoat", "/quit", "/exit"}


def _print(replies: list[Outbound], out: TextIO) -> None:
    for message in replies:
        out.write(numbered(message) + "\n\n")
    out.flush()


async def run(
    tutor: Tutor,
    user_id: str = "local",
    display_name: str | None = None,
    inp: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    say_start: bool = True,
) -> None:
    async def send(text: str) -> None:
        inbound = Inbound(
            CHANNEL, user_id, text=text, update_id=uuid.uuid4().hex, display_name=display_name
        )
        try:
            replies = await tutor.handle(inbound)
        except Unavailable:  # nobody redelivers here: the person types it again
            replies = [ERROR]
        _print(replies, out)

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
