"""What each messenger channel allows, for the code above the adapters (broadcasts).

The facts themselves stay in each adapter's constants module, where they are named and
sourced; this module only gathers the few that outreach needs, by channel name, so that
nothing outside bot/channels/ imports an adapter's constants.
"""

from dataclasses import dataclass

from bot.channels.telegram import constants as telegram
from bot.channels.zalo import constants as zalo
from bot.channels.zalo_oa import constants as zalo_oa


@dataclass(frozen=True)
class Limits:
    channel: str  # Inbound.channel and the learner table's channel column
    name: str  # how staff see the channel in messages and on the dashboard
    max_text: int  # longest text of one message, in UTF-16 code units
    max_buttons: int  # buttons under one message; 0: choices are numbered replies
    messages_per_second: float | None  # per bot, across chats; None: no published rate


TELEGRAM = Limits(
    telegram.CHANNEL,
    "Telegram",
    telegram.MAX_MESSAGE_CHARS,
    telegram.MAX_INLINE_BUTTONS,
    telegram.MESSAGES_PER_SECOND,
)
ZALO = Limits(zalo.CHANNEL, "Zalo", zalo.MAX_TEXT_CHARS, 0, None)
ZALO_OA = Limits(zalo_oa.CHANNEL, "Zalo OA", zalo_oa.MAX_TEXT_CHARS, zalo_oa.MAX_BUTTONS, None)

# The channels that deliver queued messages to learners, by channel name (the console
# and the demo channel are not among them).
MESSENGERS: dict[str, Limits] = {lim.channel: lim for lim in (TELEGRAM, ZALO, ZALO_OA)}

# Why an adapter skipped a message on purpose: outbox.error of a 'skipped' row.
SKIP_OUTSIDE_WINDOW = zalo_oa.SKIP_OUTSIDE_WINDOW  # Zalo OA: past the 48-hour window
