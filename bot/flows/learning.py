"""Lessons card by card, the quiz, choosing a lesson, and progress."""

from bot import actions as A
from bot import policy
from bot.admin import leaderboard, milestones
from bot.flows import practice, review
from bot.flows.common import TO_MENU
from bot.flows.context import Context
from bot.flows.quiz import shuffled_options, verdict
from bot.flows.states import IN_LESSON, State
from bot.flows.steps import card, current_step, question, quiz_question, refuse
from bot.flows.texts import common as shared
from bot.flows.texts import learning as texts
from bot.messages import Choice, Outbound
from lessons.limits import QUIZ_DRAW
from lessons.schema import Lesson
from storage.models import QuizAnswer

BAR_CELLS = 5


async def open_lesson(ctx: Context, lesson: Lesson) -> list[Outbound]:
    await ctx.repo.lesson_progress(ctx.learner_id, lesson.id)  # marks it started
    ctx.goto(State.lesson, lesson=lesson.id, card=0)
    return [card(ctx, lesson, 0)]


async def next_card(ctx: Context) -> list[Outbound]:
    lesson_id, index = ctx.args[0], ctx.args[1]
    lesson = ctx.catalog.lessons.get(lesson_id)
    state, d = ctx.learner.state, ctx.data
    if lesson is None or d.get("lesson") != lesson_id or not index.isdigit():
        return refuse(ctx)
    i, n = int(index), len(lesson.cards)
    after_practice = state == State.practice and i == n + 1
    if not after_practice and (state != State.lesson or i != d.get("card", -1) + 1):
        return refuse(ctx)
    if i < n:
        ctx.goto(State.lesson, lesson=lesson.id, card=i)
        return [card(ctx, lesson, i)]
    if i == n and lesson.practice:
        ctx.goto(State.practice, lesson=lesson.id)
        return [practice.task_message(lesson, n + 1)]
    return await _start_quiz(ctx, lesson)


async def _start_quiz(ctx: Context, lesson: Lesson) -> list[Outbound]:
    progress = await ctx.repo.lesson_progress(ctx.learner_id, lesson.id)
    progress.attempts += 1
    drawn = ctx.rng.sample(lesson.quiz, min(QUIZ_DRAW, len(lesson.quiz)))
    ctx.goto(
        State.quiz,
        lesson=lesson.id,
        qs=[q.id for q in drawn],
        q=0,
        attempt=progress.attempts,
        order=[shuffled_options(ctx, q) for q in drawn],
    )
    return [question(ctx, lesson)]


async def answer(ctx: Context) -> list[Outbound]:
    lesson_id, qid, opt = ctx.args[0], ctx.args[1], ctx.args[2]
    lesson = ctx.catalog.lessons.get(lesson_id)
    d = ctx.data
    if (
        lesson is None
        or ctx.learner.state != State.quiz
        or d.get("lesson") != lesson_id
        or d["qs"][d["q"]] != qid
        or not opt.isdigit()
        or int(opt) >= len(quiz_question(lesson, qid).options)
    ):
        return refuse(ctx)
    q = quiz_question(lesson, qid)
    chosen = int(opt)
    correct, feedback = verdict(q, d["order"][d["q"]], chosen)
    await ctx.repo.record_answer(
        QuizAnswer(
            learner_id=ctx.learner_id,
            lesson_id=lesson.id,
            question_id=q.id,
            attempt=d["attempt"],
            option=chosen,
            correct=correct,
            answered_at=ctx.now,
        )
    )
    if not correct:
        await review.wrong_answer(ctx, lesson.id, q.id)
    # kind "feedback": a channel with buttons may show it in place of the question.
    out = [Outbound(feedback, kind="feedback", meta={"lesson": lesson.id, "question": q.id})]
    if d["q"] + 1 < len(d["qs"]):
        ctx.goto(State.quiz, **{**d, "q": d["q"] + 1})
        out.append(question(ctx, lesson))
        return out
    out.append(await _finish_lesson(ctx, lesson, d["attempt"]))
    return out


async def _finish_lesson(ctx: Context, lesson: Lesson, attempt: int) -> Outbound:
    correct, answered = await ctx.repo.attempt_score(ctx.learner_id, lesson.id, attempt)
    progress = await ctx.repo.lesson_progress(ctx.learner_id, lesson.id)
    if progress.completed_at is None:
        progress.completed_at = ctx.now
        done = await ctx.repo.progress(ctx.learner_id)
        completed = {lid for lid, p in done.items() if p.completed_at}
        milestones.on_lesson(ctx.learner, ctx.catalog, completed, ctx.now)
    progress.score, progress.total = correct, answered
    progress.best_score = max(progress.best_score or 0, correct)
    review.record_study(ctx)
    ctx.goto(State.menu)
    if correct == answered:
        praise = texts.ALL_PERFECT
    elif correct * 2 >= answered:
        praise = texts.MOSTLY_RIGHT
    else:
        praise = texts.MOSTLY_WRONG
    text = texts.finished(ctx.catalog.position(lesson.id), correct, answered, praise)
    nxt = await next_lesson(ctx)
    progress_choice = Choice(shared.SEE_PROGRESS, A.PROGRESS)
    choices = [progress_choice, TO_MENU]
    if correct < answered:
        choices[:0] = [
            Choice(texts.MISSED, A.make(A.MISSED, lesson.id, attempt)),
            Choice(texts.AGAIN, A.make(A.LESSON, lesson.id)),
        ]
    if nxt:
        label = texts.next_lesson(ctx.catalog.position(nxt.id), nxt.title)
        choices.insert(0, Choice(label, A.make(A.LESSON, nxt.id)))
    elif not await ctx.repo.best_passed_assessment(ctx.learner_id):
        text += texts.TRACK_DONE
        choices.insert(0, Choice(shared.EXAM, A.EXAM))
    if (
        ctx.learner.reminder_time is None
        and len(await ctx.repo.completed_lessons(ctx.learner_id)) == 1
    ):
        text += texts.OFFER_REMINDER
        choices.insert(choices.index(progress_choice), Choice(texts.SET_REMINDER, A.REMIND))
    return Outbound(text, tuple(choices))


async def show_missed(ctx: Context) -> list[Outbound]:
    """«Xem lại câu sai»: each question missed in one quiz attempt, what the learner chose,
    the right answer and why; then the way to take the lesson again."""
    lesson_id, attempt = ctx.args
    lesson = ctx.catalog.lessons.get(lesson_id)
    if lesson is None or not attempt.isdigit() or ctx.learner.state in IN_LESSON:
        return refuse(ctx)
    answers = await ctx.repo.attempt_answers(ctx.learner_id, lesson.id, int(attempt))
    missed = [
        (a, q)
        for a in answers
        if not a.correct and (q := lesson.question(a.question_id)) and a.option < len(q.options)
    ]
    nxt = await next_lesson(ctx)
    choices = [Choice(texts.AGAIN, A.make(A.LESSON, lesson.id))]
    if nxt and nxt.id != lesson.id:
        label = texts.next_lesson(ctx.catalog.position(nxt.id), nxt.title)
        choices.append(Choice(label, A.make(A.LESSON, nxt.id)))
    choices.append(TO_MENU)
    if not missed:
        return [Outbound(texts.NONE_MISSED, tuple(choices))]
    out = []
    for n, (a, q) in enumerate(missed, 1):
        out.append(
            Outbound(
                texts.missed(
                    n,
                    len(missed),
                    ctx.catalog.position(lesson.id),
                    q.question,
                    q.options[a.option].text,
                    q.options[q.correct_index].text,
                    q.explanation,
                ),
                meta={"lesson": lesson.id, "question": q.id},
            )
        )
    out[-1] = Outbound(out[-1].text, tuple(choices), meta=out[-1].meta)
    return out


async def next_lesson(ctx: Context) -> Lesson | None:
    done = {lid for lid, p in (await ctx.repo.progress(ctx.learner_id)).items() if p.completed_at}
    track = ctx.catalog.track(ctx.learner.group_code)
    return next((lesson for lesson in track if lesson.id not in done), None)


async def continue_learning(ctx: Context) -> list[Outbound]:
    """Resume the lesson in progress; else offer due reviews first; else the next lesson."""
    if ctx.learner.state in IN_LESSON:
        return current_step(ctx)
    skip_review = bool(ctx.action and ctx.args == ("new",))
    due = 0 if skip_review else await ctx.repo.count_due_reviews(ctx.learner_id, ctx.now)
    if due:
        return [
            Outbound(
                texts.reviews_due(due),
                (
                    Choice(texts.review_n(due), A.REVIEW),
                    Choice(texts.NEW_LESSON, A.make(A.CONTINUE, "new")),
                ),
            )
        ]
    lesson = await next_lesson(ctx)
    if lesson is None:
        return [
            Outbound(
                texts.ALL_DONE,
                (
                    Choice(shared.CHOOSE_LESSON, A.LIST),
                    Choice(shared.PROGRESS, A.PROGRESS),
                    TO_MENU,
                ),
            )
        ]
    return await open_lesson(ctx, lesson)


async def choose_lesson(ctx: Context) -> list[Outbound]:
    """LESSON (open one), MODULE (its lessons) or LIST (the modules)."""
    act = ctx.action
    if act and act.verb == A.LESSON:
        lesson = ctx.catalog.lessons.get(act.args[0]) if act.args else None
        return await open_lesson(ctx, lesson) if lesson else refuse(ctx)
    progress = await ctx.repo.progress(ctx.learner_id)
    if act and act.verb == A.MODULE:
        mod = ctx.catalog.module(act.args[0]) if act.args else None
        if mod is None:
            return refuse(ctx)
        lines, choices = [f"📚 {mod.title}"], []
        for lid in mod.lessons:
            lesson, pos = ctx.catalog.lessons[lid], ctx.catalog.position(lid)
            mark = "✅" if lid in progress and progress[lid].completed_at else "▫️"
            lines.append(texts.lesson_line(mark, pos, lesson.title, lesson.minutes))
            choices.append(Choice(f"{pos} {lesson.title}"[:60], A.make(A.LESSON, lid)))
        return [Outbound("\n".join(lines), (*choices, Choice(texts.TOPICS, A.LIST)))]
    mine = {m.id for m in ctx.catalog.modules_for(ctx.learner.group_code)}
    choices = [
        Choice(f"{m.order}. {m.title}"[:60], A.make(A.MODULE, m.id))
        for m in ctx.catalog.modules
        if m.id in mine
    ] + [
        Choice(f"{m.order}. {m.title}"[:60], A.make(A.MODULE, m.id))
        for m in ctx.catalog.modules
        if m.id not in mine
    ]
    return [Outbound(texts.WHICH_TOPIC, (*choices, TO_MENU))]


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def bar(done: int, total: int) -> str:
    filled = round(BAR_CELLS * done / total) if total else 0
    return "▓" * filled + "░" * (BAR_CELLS - filled)


async def show_progress(ctx: Context) -> list[Outbound]:
    progress = await ctx.repo.progress(ctx.learner_id)
    lines = [texts.PROGRESS_HEAD]
    done_all = total_all = 0
    for mod in ctx.catalog.modules_for(ctx.learner.group_code):
        done = [
            progress[lid] for lid in mod.lessons if lid in progress and progress[lid].completed_at
        ]
        total = len(mod.lessons)
        pct = round(100 * len(done) / total)
        scored = [p for p in done if p.total]
        avg = ""
        if scored:
            avg = texts.average(
                percent(sum(p.score for p in scored), sum(p.total or 0 for p in scored))
            )
        lines.append(f"\n{mod.order}. {mod.title}")
        lines.append(texts.module_progress(bar(len(done), total), pct, len(done), total, avg))
        done_all += len(done)
        total_all += total
    lines.append(texts.done_of(done_all, total_all))
    completed = {lid for lid, p in progress.items() if p.completed_at}
    trained = policy.is_trained(ctx.catalog, completed)
    lines.append(f"{'✅' if trained else '▫️'} {texts.BASICS}")
    streak = review.current_streak(ctx)
    if streak:
        lines.append(texts.streak(streak))
    passed = await ctx.repo.best_passed_assessment(ctx.learner_id)
    if passed:
        assert passed.score is not None  # a finished assessment is scored
        lines.append(texts.passed(passed.score, passed.total))
    rank = await _commune_rank(ctx)
    if rank:
        lines.append(rank)
    choices = [Choice(shared.CONTINUE, A.CONTINUE), TO_MENU]
    if done_all == total_all and not passed:
        choices.insert(0, Choice(shared.EXAM, A.EXAM))
    return [Outbound("\n".join(lines), tuple(choices))]


async def _commune_rank(ctx: Context) -> str | None:
    """«Xã Tân Cương đứng thứ 12/92 …» (bot/admin/leaderboard.py), once it has learners."""
    if ctx.learner.commune_code is None:
        return None
    board = await leaderboard.cached_board(ctx.repo.session, ctx.now)
    mine = board.commune(ctx.learner.commune_code)
    if mine is None or not mine.learners:
        return None
    return texts.commune_rank(mine.name, mine.rank, len(board.communes))
