"""The final assessment of a learner's track: what makes a learner "proficient".

Questions come from the final-assessment bank (each module's exam.yaml), never from the
lesson quizzes, so the learner has not seen them. They are drawn once per attempt,
round-robin over the track's modules so every module is represented; each answer counts
once; leaving and coming back resumes the same attempt; after a failed attempt a retake
waits for the cool-down. See bot/policy.py.
"""

from datetime import datetime

from bot import actions as A
from bot import policy
from bot.admin import milestones
from bot.flows import certificate
from bot.flows.common import TO_MENU
from bot.flows.context import Context
from bot.flows.quiz import question_message, shuffled_options, verdict
from bot.flows.states import State
from bot.flows.steps import refuse
from bot.flows.texts import assessment as texts
from bot.flows.texts import common as shared
from bot.messages import Choice, Outbound
from lessons.schema import Question
from storage.models import Assessment, AssessmentAnswer, stored_id

START = A.make(A.EXAM, "go")
WITHDRAWN = texts.WITHDRAWN  # the tests name it here
# The fourth item of a drawn entry: the question is from the bank (exam.yaml). Attempts
# started before the bank existed hold [lesson, question, order] from the lesson quizzes.
BANK = "exam"


def _track(ctx: Context) -> str:
    return ctx.learner.group_code or "dan"


async def open_exam(ctx: Context) -> list[Outbound]:
    """The entry point: resume, refuse (not ready / cooling down) or offer to start."""
    repo = ctx.repo
    running = await repo.open_assessment(ctx.learner_id)
    if running and not _intact(ctx, running):
        return await _withdraw(ctx, running)
    if running:
        _, answered = await repo.assessment_score(stored_id(running))
        ctx.goto(State.exam, aid=running.id, pos=answered)
        return [
            Outbound(texts.RESUMED),
            _question(ctx, running),
        ]

    completed = await repo.completed_lessons(ctx.learner_id)
    missing = [les for les in ctx.catalog.track(_track(ctx)) if les.id not in completed]
    if missing:
        first = missing[0]
        return [
            Outbound(
                texts.track_unfinished(len(missing), ctx.catalog.position(first.id), first.title),
                (Choice(shared.CONTINUE, A.CONTINUE), TO_MENU),
            )
        ]
    best = await repo.best_passed_assessment(ctx.learner_id)
    if best:
        finished, score = _scored(best)
        when = ctx.local(finished).strftime("%d/%m/%Y")
        return [
            Outbound(
                texts.passed_before(when, score, best.total),
                (Choice(shared.CHOOSE_LESSON, A.LIST), TO_MENU),
            )
        ]
    last = await repo.last_finished_assessment(ctx.learner_id)
    if last:
        finished, score = _scored(last)
        if ctx.now < finished + policy.ASSESSMENT_COOLDOWN:
            again = ctx.local(finished + policy.ASSESSMENT_COOLDOWN)
            return [
                Outbound(
                    texts.cooling_down(score, last.total, again),
                    (Choice(shared.CHOOSE_LESSON, A.LIST), TO_MENU),
                )
            ]
    n = policy.ASSESSMENT_QUESTIONS
    need = -(-n * policy.PASS_PERCENT // 100)
    text = texts.INTRO.format(n=n, pct=policy.PASS_PERCENT, need=need)
    return [Outbound(text, (Choice(texts.START, START), Choice(shared.LATER, A.MENU)))]


async def start(ctx: Context) -> list[Outbound]:
    """'Bắt đầu': draw the questions and ask the first."""
    offer = await open_exam(ctx)
    if not offer or offer[-1].choices[:1] != (Choice(texts.START, START),):
        return offer  # resumed, not ready, passed, or cooling down: say so
    drawn = _draw(ctx)
    if not drawn:
        return [Outbound(texts.NOT_READY, (TO_MENU,))]
    exam = Assessment(
        learner_id=ctx.learner_id,
        track=_track(ctx),
        questions=[[lid, q.id, shuffled_options(ctx, q), BANK] for lid, q in drawn],
        total=len(drawn),
        started_at=ctx.now,
    )
    await ctx.repo.add(exam)
    await ctx.repo.audit(ctx.actor, "assessment_started", track=exam.track, total=exam.total)
    ctx.goto(State.exam, aid=exam.id, pos=0)
    return [_question(ctx, exam)]


def _scored(exam: Assessment) -> tuple[datetime, int]:
    """When a finished attempt ended and its score: both are set when it finishes."""
    assert exam.finished_at is not None and exam.score is not None
    return exam.finished_at, exam.score


def _draw(ctx: Context):
    pools = []
    for module in ctx.catalog.modules_for(_track(ctx)):
        pool = [(lid, q) for lid in module.lessons for q in ctx.catalog.exam.get(lid, ())]
        ctx.rng.shuffle(pool)
        pools.append(pool)
    drawn: list[tuple] = []
    while len(drawn) < policy.ASSESSMENT_QUESTIONS and any(pools):
        for pool in pools:
            if pool and len(drawn) < policy.ASSESSMENT_QUESTIONS:
                drawn.append(pool.pop())
    ctx.rng.shuffle(drawn)
    return drawn


def _resolve(ctx: Context, entry: list) -> Question | None:
    """The question a drawn entry names, or None when the content no longer has it as
    drawn (removed, or its options changed)."""
    lesson_id, qid, order = entry[:3]
    if entry[3:] == [BANK]:
        q = ctx.catalog.exam_question(lesson_id, qid)
    else:
        lesson = ctx.catalog.lessons.get(lesson_id)
        q = lesson.question(qid) if lesson else None
    return q if q and sorted(order) == list(range(len(q.options))) else None


def _intact(ctx: Context, exam: Assessment) -> bool:
    return all(_resolve(ctx, entry) for entry in exam.questions)


async def _withdraw(ctx: Context, exam: Assessment) -> list[Outbound]:
    """An unfinished attempt whose questions changed under it cannot be scored fairly: it
    is dropped (not failed, so no cool-down) and the learner starts again."""
    _, answered = await ctx.repo.assessment_score(stored_id(exam))
    await ctx.repo.delete_assessment(exam)
    await ctx.repo.audit(
        ctx.actor, "assessment_withdrawn", track=exam.track, answered=answered, total=exam.total
    )
    ctx.goto(State.menu)
    return [Outbound(texts.WITHDRAWN), *await open_exam(ctx)]


def _question(ctx: Context, exam: Assessment) -> Outbound:
    pos = ctx.data["pos"]
    entry = exam.questions[pos]
    lesson_id, qid, order = entry[:3]
    q = _resolve(ctx, entry)
    assert q is not None  # an attempt whose questions changed is withdrawn first (_intact)
    return question_message(
        q,
        order,
        pos + 1,
        exam.total,
        lambda i: A.make(A.EXAM, exam.id, pos, i),
        {"lesson": lesson_id, "question": qid, "assessment": exam.id, "pool": _pool(entry)},
    )


def _pool(entry: list) -> str:
    return BANK if entry[3:] == [BANK] else "quiz"


def current_step(ctx: Context, exam: Assessment) -> list[Outbound]:
    return [_question(ctx, exam)]


async def answer(ctx: Context) -> list[Outbound]:
    aid, pos, opt = ctx.args
    d = ctx.data
    exam = await ctx.repo.assessment(d.get("aid", -1)) if ctx.learner.state == State.exam else None
    if exam is None or str(exam.id) != aid or str(d["pos"]) != pos or not opt.isdigit():
        return await _refuse(ctx, exam)
    if not _intact(ctx, exam):
        return await _withdraw(ctx, exam)
    entry = exam.questions[d["pos"]]
    lesson_id, qid, order = entry[:3]
    q = _resolve(ctx, entry)
    assert q is not None  # _intact above
    if int(opt) >= len(q.options):
        return await _refuse(ctx, exam)
    correct, text = verdict(q, order, int(opt), explain=False)
    await ctx.repo.add(
        AssessmentAnswer(
            assessment_id=stored_id(exam),
            position=d["pos"],
            lesson_id=lesson_id,
            question_id=qid,
            option=int(opt),
            correct=correct,
            answered_at=ctx.now,
        )
    )
    meta = {"lesson": lesson_id, "question": qid, "pool": _pool(entry)}
    out = [Outbound(text, kind="feedback", meta=meta)]
    if d["pos"] + 1 < exam.total:
        ctx.goto(State.exam, aid=exam.id, pos=d["pos"] + 1)
        out.append(_question(ctx, exam))
        return out
    out.append(await _finish(ctx, exam))
    return out


async def _finish(ctx: Context, exam: Assessment) -> Outbound:
    score, _ = await ctx.repo.assessment_score(stored_id(exam))
    exam.score, exam.finished_at = score, ctx.now
    # The one place an attempt is judged: what hangs on a pass (a certificate) goes with
    # the `if exam.passed` branch below.
    exam.passed = policy.passed(score, exam.total)
    if exam.passed:
        milestones.on_passed(ctx.learner, exam.track, ctx.now)
    ctx.goto(State.menu)
    await ctx.repo.audit(
        ctx.actor, "assessment_finished", track=exam.track, score=score, total=exam.total
    )
    if exam.passed:
        return certificate.ask_name(  # the certificate's name, then the files
            ctx,
            exam,
            texts.passed(score, exam.total),
        )
    again = ctx.local(ctx.now + policy.ASSESSMENT_COOLDOWN)
    return Outbound(
        texts.failed(score, exam.total, policy.PASS_PERCENT, again),
        (Choice(shared.CHOOSE_LESSON, A.LIST), TO_MENU),
    )


async def _refuse(ctx: Context, exam: Assessment | None) -> list[Outbound]:
    if exam is not None and ctx.learner.state == State.exam and not _intact(ctx, exam):
        return await _withdraw(ctx, exam)
    if exam is not None and ctx.learner.state == State.exam:
        return [
            Outbound(f"{shared.STALE_BUTTON} {texts.STALE_QUESTION}"),
            _question(ctx, exam),
        ]
    return refuse(ctx)
