"""Rendering shared by channels without buttons (console, Zalo): choices become a numbered
list with a hint ("Trả lời 1, 2 hoặc 3."), and the learner replies by typing; the engine
maps the reply back (Engine._choice_from_text). Quiz options are already lettered in the
text ("A. …"), so they are not listed again: they only get the hint ("Trả lời A, B, C
hoặc D."); a typed number works for them too."""

import re

from bot.messages import Outbound

CHOOSE = "Mời bạn chọn:"  # choices that came with no text of their own
HINT_ONE = "Trả lời {first} để chọn."
HINT_FEW = "Trả lời {listed} hoặc {last}."  # "Trả lời 1, 2 hoặc 3."
HINT_MANY = "Trả lời một số từ 1 đến {last}."
HINT_MANY_OPTIONS = 4  # up to this many, every option is spelled out in the hint
_OWN_NUMBER = re.compile(r"^\d+\.\s+")  # a label numbered by the flow: "4. An toàn"


def lettered(message: Outbound) -> bool:
    """A quiz-style message: every choice is a letter whose option line is in the text."""
    lines = message.text.splitlines()
    return all(
        len(c.label) == 1
        and c.label.isalpha()
        and any(line.startswith(f"{c.label}. ") for line in lines)
        for c in message.choices
    )


def hint(keys: list[str]) -> str:
    if len(keys) == 1:
        return HINT_ONE.format(first=keys[0])
    if len(keys) <= HINT_MANY_OPTIONS:
        return HINT_FEW.format(listed=", ".join(keys[:-1]), last=keys[-1])
    return HINT_MANY.format(last=len(keys))


def choice_block(message: Outbound) -> str:
    """The numbered list and the hint (only the hint for lettered options)."""
    if lettered(message):
        return hint([c.label for c in message.choices])
    lines = [f"{i}. {_OWN_NUMBER.sub('', c.label)}" for i, c in enumerate(message.choices, 1)]
    return "\n".join(lines) + "\n\n" + hint([str(i) for i in range(1, len(lines) + 1)])


def numbered(message: Outbound) -> str:
    """The whole message as text: its text, then the choices (see choice_block)."""
    if not message.choices:
        return message.text
    return (message.text.strip() or CHOOSE) + "\n\n" + choice_block(message)


# --- cutting long text (every channel has a length limit) -------------------------------

SEPARATORS = ("\n\n", "\n", " ")  # paragraph, then line, then word


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (an emoji may count 2); never less
    than the characters Zalo counts, so a piece within a limit by it is within it by any."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Non-empty pieces of at most `limit` (utf16_len), cut at paragraph breaks where
    possible, then lines, then words, then anywhere."""
    return [p.strip() for p in _split(text.strip(), limit, SEPARATORS) if p.strip()]


def _split(text: str, limit: int, seps: tuple[str, ...]) -> list[str]:
    if utf16_len(text) <= limit:
        return [text]
    if not seps:
        return _hard_cut(text, limit)
    sep, finer = seps[0], seps[1:]
    pieces: list[str] = []
    current = ""
    for part in text.split(sep):
        if utf16_len(part) > limit:
            pieces += [current, *_split(part, limit, finer)]
            current = ""
        elif utf16_len(joined := f"{current}{sep}{part}" if current else part) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = part
    return [*pieces, current]


def _hard_cut(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        width = utf16_len(ch)
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += width
    return [*pieces, "".join(current)]
