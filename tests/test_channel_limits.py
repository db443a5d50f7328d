"""bot/channels/limits.py is the one door to the adapters' limits for the code above them."""

import ast
from pathlib import Path

from bot.channels import limits
from bot.channels.telegram import constants as telegram
from bot.channels.zalo import constants as zalo
from bot.channels.zalo_oa import constants as zalo_oa
from bot.outreach import broadcasts

BOT = Path(__file__).resolve().parents[1] / "bot"
ADAPTERS = ("telegram", "zalo", "zalo_oa")


def test_each_messenger_is_read_from_its_adapter():
    assert limits.MESSENGERS == {
        "telegram": limits.TELEGRAM,
        "zalo": limits.ZALO,
        "zalo_oa": limits.ZALO_OA,
    }
    assert (limits.TELEGRAM.max_text, limits.TELEGRAM.max_buttons) == (
        telegram.MAX_MESSAGE_CHARS,
        telegram.MAX_INLINE_BUTTONS,
    )
    assert limits.TELEGRAM.messages_per_second == telegram.MESSAGES_PER_SECOND
    assert (limits.ZALO.max_text, limits.ZALO.max_buttons) == (zalo.MAX_TEXT_CHARS, 0)
    assert (limits.ZALO_OA.max_text, limits.ZALO_OA.max_buttons) == (
        zalo_oa.MAX_TEXT_CHARS,
        zalo_oa.MAX_BUTTONS,
    )
    assert limits.SKIP_OUTSIDE_WINDOW == zalo_oa.SKIP_OUTSIDE_WINDOW


def test_a_broadcast_fits_the_smallest_limit_of_its_recipients():
    assert broadcasts.CHANNEL_LIMITS == {"telegram": 4096, "zalo": 2000, "zalo_oa": 2000}
    assert broadcasts.MAX_TEXT == 4096
    assert broadcasts.widest_channel() == "telegram"
    assert broadcasts.limit_for({"telegram": 5, "zalo": 1})[0] == 2000
    assert broadcasts.limit_for({"telegram": 5}) == (4096, "telegram")
    assert broadcasts.limit_for({"console": 3})[0] == 2000  # unknown: the smallest of all
    assert broadcasts.CHANNEL_NAMES["zalo_oa"] == "Zalo OA"


def _adapter_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            adapter = parts[:2] == ["bot", "channels"] and parts[2:3] and parts[2] in ADAPTERS
            if adapter and "constants" in parts[3:]:
                found.append(f"{path.relative_to(BOT.parent)}: {name}")
    return found


def test_nothing_above_the_channels_imports_an_adapters_constants():
    outside = [p for p in BOT.rglob("*.py") if BOT / "channels" not in p.parents]
    assert outside
    assert [hit for p in outside for hit in _adapter_imports(p)] == []
