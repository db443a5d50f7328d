"""Rendering shared by channels without buttons (console, Zalo): choices become a numbered
list with a hint ("Trả lời 1, 2 hoặc 3."), and the learner replies by typing; the engine
maps the reply back (Tutor._choice_from_text). Quiz options are already lettered in the
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
