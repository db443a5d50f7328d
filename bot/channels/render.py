"""Rendering shared by channels without buttons (console, Zalo): numbered choices."""

from bot.messages import Outbound


def numbered(message: Outbound) -> str:
    """The message text followed by '1. Label' lines; the learner replies with the number."""
    if not message.choices:
        return message.text
    lines = [f"{i}. {c.label}" for i, c in enumerate(message.choices, 1)]
    return message.text + "\n\n" + "\n".join(lines)
