"""Free questions: what the learner sees on "Hỏi đáp". The answers come from the AI tutor
(bot/tutor/answerer.py): retrieval over the lessons and glossary, an optional model."""

from bot.flows.common import TO_MENU
from bot.flows.context import Context
from bot.flows.states import State
from bot.flows.texts import ask as texts
from bot.messages import Outbound


def start(ctx: Context) -> list[Outbound]:
    """«Hỏi đáp»: what follows as free text is a question for the tutor."""
    ctx.goto(State.ask)
    return [Outbound(texts.ASK_PROMPT, (TO_MENU,))]
