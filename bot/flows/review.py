"""Spaced review (Leitner boxes) and the daily streak.

A question answered wrong goes into box 1 and comes back after 1 day; right in review
moves it to box 2 (back after 3 days), then box 3 (7 days), then it is learnt and leaves.
A wrong review answer sends it back to box 1.
"""

from datetime import timedelta

from bot import actions as A
from bot.flows.common import TO_MENU
from bot.flows.context import Context
from bot.flows.quiz import question_message, shuffled_options, verdict
from bot.flows.states import State
from bot.flows.steps import refuse
from bot.flows.texts import common as shared
from bot.flows.texts import review as texts
from bot.messages import Choice, Outbound
from bot.outreach.schedule import local_day
from lessons.schema import Question
from storage.models import ReviewItem, stored_id

INTERVALS = {1: timedelta(days=1), 2: timedelta(days=3), 3: timedelta(days=7)}
LAST_BOX = 3
SESSION_SIZE = 5  # reviews per sitting: one short sitting on a phone


def record_study(ctx: Context) -> None:
    """A lesson or a review today: extend the streak (days in Vietnam's calendar)."""
    ln = ctx.learner
    today = local_day(ctx.now, ctx.tz)
    if ln.last_study_on == today.isoformat():
        return
    yesterday = (today - timedelta(days=1)).isoformat()
    ln.streak = ln.streak + 1 if ln.last_study_on == yesterday else 1
    ln.best_streak = max(ln.best_streak, ln.streak)
    ln.last_study_on = today.isoformat()


def current_streak(ctx: Context) -> int:
    """The streak still counts today if the learner studied today or yesterday."""
    ln = ctx.learner
    if not ln.last_study_on:
        return 0
    today = local_day(ctx.now, ctx.tz)
    alive = {today.isoformat(), (today - timedelta(days=1)).isoformat()}
    return ln.streak if ln.last_study_on in alive else 0


async def wrong_answer(ctx: Context, lesson_id: str, question_id: str) -> None:
    """Queue a question answered wrong in a lesson quiz for review tomorrow."""
    item = await ctx.repo.review_item(ctx.learner_id, lesson_id, question_id)
    if item is None:
        await ctx.repo.add(
            ReviewItem(
                learner_id=ctx.learner_id,
                lesson_id=lesson_id,
                question_id=question_id,
                box=1,
                due_at=ctx.now + INTERVALS[1],
            )
        )
    else:
        item.box, item.due_at = 1, ctx.now + INTERVALS[1]


async def start(ctx: Context) -> list[Outbound]:
    due = await ctx.repo.due_reviews(ctx.learner_id, ctx.now, SESSION_SIZE)
    asked = [(i, q) for i in due if (q := _question(ctx, i)) is not None]  # skip removed content
    if not asked:
        return [Outbound(texts.NOTHING_DUE, (TO_MENU,))]
    ctx.goto(
        State.review,
        items=[stored_id(i) for i, _ in asked],
        i=0,
        order=[shuffled_options(ctx, q) for _, q in asked],
        right=0,
    )
    return [Outbound(texts.start(len(asked))), await current(ctx)]


def _question(ctx: Context, item: ReviewItem) -> Question | None:
    lesson = ctx.catalog.lessons.get(item.lesson_id)
    return lesson.question(item.question_id) if lesson else None


async def _item(ctx: Context, item_id: int) -> ReviewItem:
    item = await ctx.repo.review(item_id)
    assert item is not None  # a session's items stay until answered (the learner is locked)
    return item


async def current(ctx: Context) -> Outbound:
    d = ctx.data
    item = await _item(ctx, d["items"][d["i"]])
    q = _question(ctx, item)
    assert q is not None  # the session was started with items whose question exists
    return question_message(
        q,
        d["order"][d["i"]],
        d["i"] + 1,
        len(d["items"]),
        lambda opt: A.make(A.REVIEW, item.id, opt),
        {"lesson": item.lesson_id, "question": item.question_id, "review": item.id},
    )


async def answer(ctx: Context) -> list[Outbound]:
    item_id, opt = ctx.args
    d = ctx.data
    if ctx.learner.state != State.review:
        return refuse(ctx)
    if not item_id.isdigit() or d["items"][d["i"]] != int(item_id) or not opt.isdigit():
        return [Outbound(shared.STALE_BUTTON), await current(ctx)]
    item = await _item(ctx, int(item_id))
    q = _question(ctx, item)
    if q is None or int(opt) >= len(q.options):
        return [Outbound(shared.STALE_BUTTON), await current(ctx)]
    correct, text = verdict(q, d["order"][d["i"]], int(opt))
    if correct and item.box >= LAST_BOX:
        await ctx.repo.delete_review(item)
    elif correct:
        item.box += 1
        item.due_at = ctx.now + INTERVALS[item.box]
    else:
        item.box, item.due_at = 1, ctx.now + INTERVALS[1]
    record_study(ctx)
    right = d["right"] + int(correct)
    out = [Outbound(text, kind="feedback", meta={"lesson": item.lesson_id, "question": q.id})]
    if d["i"] + 1 < len(d["items"]):
        ctx.goto(State.review, **{**d, "i": d["i"] + 1, "right": right})
        out.append(await current(ctx))
        return out
    ctx.goto(State.menu)
    out.append(
        Outbound(
            texts.finished(right, len(d["items"])),
            (Choice(shared.CONTINUE, A.make(A.CONTINUE, "new")), TO_MENU),
        )
    )
    return out
