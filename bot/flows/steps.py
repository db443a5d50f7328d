"""Where a learner is in a lesson (a card, the practice, a quiz question), shown again,
and the refusal of a stale or forged button. Learning, review and the assessment all
refuse this way; living here, it keeps them from importing each other."""

from bot import actions as A
from bot.flows import practice
from bot.flows.common import STALE, menu
from bot.flows.context import Context
from bot.flows.quiz import question_message
from bot.flows.states import IN_LESSON, State
from bot.flows.texts import common as shared
from bot.flows.texts import learning as texts
from bot.messages import Choice, Outbound
from lessons.schema import Lesson, Question


def header(ctx: Context, lesson: Lesson) -> str:
    return texts.header(ctx.catalog.position(lesson.id), lesson.title)


def card(ctx: Context, lesson: Lesson, i: int) -> Outbound:
    n = len(lesson.cards)
    label = texts.NEXT_CARD if i + 1 < n else shared.TO_QUESTIONS
    return Outbound(
        texts.card(header(ctx, lesson), i, n, lesson.cards[i]),
        (Choice(label, A.make(A.CARD, lesson.id, i + 1)),),
    )


def quiz_question(lesson: Lesson, qid: str) -> Question:
    q = lesson.question(qid)
    assert q is not None  # the quiz state holds questions drawn from this lesson
    return q


def question(ctx: Context, lesson: Lesson) -> Outbound:
    d = ctx.data
    q = quiz_question(lesson, d["qs"][d["q"]])
    return question_message(
        q,
        d["order"][d["q"]],
        d["q"] + 1,
        len(d["qs"]),
        lambda i: A.make(A.ANSWER, lesson.id, q.id, i),
        {"lesson": lesson.id, "question": q.id},
    )


def current_step(ctx: Context) -> list[Outbound]:
    """The card or question the learner is at, or the menu."""
    lesson = ctx.catalog.lessons.get(ctx.data.get("lesson", ""))
    if lesson is None:
        return [menu()]
    if ctx.learner.state == State.lesson:
        return [card(ctx, lesson, ctx.data["card"])]
    if ctx.learner.state == State.practice:
        return [practice.task_message(lesson, len(lesson.cards) + 1)]
    return [question(ctx, lesson)]


def refuse(ctx: Context) -> list[Outbound]:
    """A stale or forged button: say so, show where the learner is, change nothing."""
    if ctx.learner.state in IN_LESSON:
        return [STALE, *current_step(ctx)]
    return [STALE, menu()]
