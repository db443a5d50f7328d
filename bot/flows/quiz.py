"""Rendering a multiple-choice question and judging an answer, shared by the lesson quiz,
the final assessment and the review."""

from bot.flows.context import Context
from bot.flows.texts import quiz as texts
from bot.messages import Choice, Outbound
from lessons.schema import Question

LETTERS = "ABCD"


def question_message(
    q: Question, order: list[int], number: int, total: int, payload, meta: dict
) -> Outbound:
    """A question with lettered options in the shuffled order; payload(i) for option i."""
    lines = [f"{LETTERS[pos]}. {q.options[i].text}" for pos, i in enumerate(order)]
    return Outbound(
        texts.question(number, total, q.question, lines),
        tuple(Choice(LETTERS[pos], payload(i), q.options[i].text) for pos, i in enumerate(order)),
        kind="quiz",
        meta=meta,
    )


def verdict(q: Question, order: list[int], chosen: int, explain: bool = True) -> tuple[bool, str]:
    """(correct?, the ✅/❌ text) for an answer given as an option index in the file."""
    if chosen == q.correct_index:
        return True, texts.right(q.explanation) if explain else texts.RIGHT
    letter = LETTERS[order.index(q.correct_index)]
    text = texts.wrong(letter, q.options[q.correct_index].text)
    return False, f"{text}\n\n{q.explanation}" if explain else text


def shuffled_options(ctx: Context, q: Question) -> list[int]:
    order = list(range(len(q.options)))
    ctx.rng.shuffle(order)
    return order
