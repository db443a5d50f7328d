"""Lessons card by card, the quiz, choosing a lesson, and progress."""

from bot import actions as A
from bot.flows.common import STALE, TO_MENU, menu
from bot.flows.context import Context
from bot.messages import Choice, Outbound
from lessons.schema import Lesson
from storage.models import QuizAnswer

LETTERS = "ABCD"
BAR_CELLS = 5


def _header(ctx: Context, lesson: Lesson) -> str:
    return f"📚 Bài {ctx.catalog.position(lesson.id)} · {lesson.title}"


def _card(ctx: Context, lesson: Lesson, i: int) -> Outbound:
    n = len(lesson.cards)
    label = "Tiếp ▶" if i + 1 < n else "Làm câu hỏi ▶"
    return Outbound(
        f"{_header(ctx, lesson)} ({i + 1}/{n})\n\n{lesson.cards[i]}",
        (Choice(label, A.make(A.CARD, lesson.id, i + 1)),),
    )


def _question(ctx: Context, lesson: Lesson) -> Outbound:
    d = ctx.data
    q = lesson.quiz[d["q"]]
    order = d["order"][d["q"]]
    lines = [f"{LETTERS[pos]}. {q.options[i].text}" for pos, i in enumerate(order)]
    return Outbound(
        f"Câu {d['q'] + 1}/{len(lesson.quiz)}: {q.question}\n\n" + "\n".join(lines),
        tuple(
            Choice(LETTERS[pos], A.make(A.ANSWER, lesson.id, q.id, i))
            for pos, i in enumerate(order)
        ),
        kind="quiz",
        meta={"lesson": lesson.id, "question": q.id},
    )


def current_step(ctx: Context) -> list[Outbound]:
    """The card or question the learner is at, or the menu."""
    lesson = ctx.catalog.lessons.get(ctx.data.get("lesson", ""))
    if lesson is None:
        return [menu()]
    if ctx.learner.state == "lesson":
        return [_card(ctx, lesson, ctx.data["card"])]
    return [_question(ctx, lesson)]


async def open_lesson(ctx: Context, lesson: Lesson) -> list[Outbound]:
    await ctx.repo.lesson_progress(ctx.learner.id, lesson.id)  # marks it started
    ctx.goto("lesson", lesson=lesson.id, card=0)
    return [_card(ctx, lesson, 0)]


async def next_card(ctx: Context) -> list[Outbound]:
    lesson_id, index = ctx.action.args[0], ctx.action.args[1]
    lesson = ctx.catalog.lessons.get(lesson_id)
    if (
        lesson is None
        or ctx.learner.state != "lesson"
        or ctx.data.get("lesson") != lesson_id
        or index != str(ctx.data.get("card", -1) + 1)
    ):
        return refuse(ctx)
    i = int(index)
    if i < len(lesson.cards):
        ctx.goto("lesson", lesson=lesson.id, card=i)
        return [_card(ctx, lesson, i)]
    return await _start_quiz(ctx, lesson)


async def _start_quiz(ctx: Context, lesson: Lesson) -> list[Outbound]:
    progress = await ctx.repo.lesson_progress(ctx.learner.id, lesson.id)
    progress.attempts += 1
    order = []
    for q in lesson.quiz:
        idx = list(range(len(q.options)))
        ctx.rng.shuffle(idx)
        order.append(idx)
    ctx.goto("quiz", lesson=lesson.id, q=0, attempt=progress.attempts, order=order)
    return [_question(ctx, lesson)]


async def answer(ctx: Context) -> list[Outbound]:
    lesson_id, qid, opt = ctx.action.args[0], ctx.action.args[1], ctx.action.args[2]
    lesson = ctx.catalog.lessons.get(lesson_id)
    d = ctx.data
    if (
        lesson is None
        or ctx.learner.state != "quiz"
        or d.get("lesson") != lesson_id
        or lesson.quiz[d["q"]].id != qid
        or not opt.isdigit()
        or int(opt) >= len(lesson.quiz[d["q"]].options)
    ):
        return refuse(ctx)
    q = lesson.quiz[d["q"]]
    chosen = int(opt)
    correct = chosen == q.correct_index
    await ctx.repo.record_answer(
        QuizAnswer(
            learner_id=ctx.learner.id,
            lesson_id=lesson.id,
            question_id=q.id,
            attempt=d["attempt"],
            option=chosen,
            correct=correct,
            answered_at=ctx.now,
        )
    )
    if correct:
        feedback = f"✅ Đúng rồi! {q.explanation}"
    else:
        letter = LETTERS[d["order"][d["q"]].index(q.correct_index)]
        right = q.options[q.correct_index].text
        feedback = f"❌ Chưa đúng. Đáp án đúng là {letter}: {right}\n\n{q.explanation}"
    # kind "feedback": a channel with buttons may show it in place of the question.
    out = [Outbound(feedback, kind="feedback", meta={"lesson": lesson.id, "question": q.id})]
    if d["q"] + 1 < len(lesson.quiz):
        ctx.goto("quiz", **{**d, "q": d["q"] + 1})
        out.append(_question(ctx, lesson))
        return out
    out.append(await _finish_lesson(ctx, lesson, d["attempt"]))
    return out


async def _finish_lesson(ctx: Context, lesson: Lesson, attempt: int) -> Outbound:
    correct, answered = await ctx.repo.attempt_score(ctx.learner.id, lesson.id, attempt)
    progress = await ctx.repo.lesson_progress(ctx.learner.id, lesson.id)
    progress.completed_at = progress.completed_at or ctx.now
    progress.score, progress.total = correct, answered
    progress.best_score = max(progress.best_score or 0, correct)
    ctx.goto("menu")
    if correct == answered:
        praise = "Tuyệt vời, đúng hết!"
    elif correct * 2 >= answered:
        praise = "Khá lắm! Bạn xem lại giải thích của câu sai nhé."
    else:
        praise = "Không sao, học lại một lần nữa sẽ nhớ hơn."
    text = (
        f"Xong bài {ctx.catalog.position(lesson.id)}! Bạn đúng {correct}/{answered} câu. {praise}"
    )
    nxt = await next_lesson(ctx)
    choices = [Choice("Xem tiến độ", A.PROGRESS), TO_MENU]
    if nxt:
        label = f"Bài tiếp: {ctx.catalog.position(nxt.id)} {nxt.title}"
        choices.insert(0, Choice(label[:60], A.make(A.LESSON, nxt.id)))
    return Outbound(text, tuple(choices))


async def next_lesson(ctx: Context) -> Lesson | None:
    done = {lid for lid, p in (await ctx.repo.progress(ctx.learner.id)).items() if p.completed_at}
    track = ctx.catalog.track(ctx.learner.group_code)
    return next((lesson for lesson in track if lesson.id not in done), None)


async def continue_learning(ctx: Context) -> list[Outbound]:
    if ctx.learner.state in ("lesson", "quiz"):
        return current_step(ctx)
    lesson = await next_lesson(ctx)
    if lesson is None:
        return [
            Outbound(
                "Bạn đã học xong tất cả các bài dành cho bạn. Giỏi lắm! "
                "Bạn có thể chọn học lại bất kỳ bài nào.",
                (Choice("Chọn bài", A.LIST), Choice("Tiến độ", A.PROGRESS), TO_MENU),
            )
        ]
    return await open_lesson(ctx, lesson)


async def choose_lesson(ctx: Context) -> list[Outbound]:
    """LESSON (open one), MODULE (its lessons) or LIST (the modules)."""
    act = ctx.action
    if act and act.verb == A.LESSON:
        lesson = ctx.catalog.lessons.get(act.args[0]) if act.args else None
        return await open_lesson(ctx, lesson) if lesson else refuse(ctx)
    progress = await ctx.repo.progress(ctx.learner.id)
    if act and act.verb == A.MODULE:
        mod = ctx.catalog.module(act.args[0]) if act.args else None
        if mod is None:
            return refuse(ctx)
        lines, choices = [f"📚 {mod.title}"], []
        for lid in mod.lessons:
            lesson, pos = ctx.catalog.lessons[lid], ctx.catalog.position(lid)
            mark = "✅" if lid in progress and progress[lid].completed_at else "▫️"
            lines.append(f"{mark} {pos} {lesson.title} ({lesson.minutes} phút)")
            choices.append(Choice(f"{pos} {lesson.title}"[:60], A.make(A.LESSON, lid)))
        return [Outbound("\n".join(lines), (*choices, Choice("Các module", A.LIST)))]
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
    return [Outbound("Bạn muốn học module nào?", (*choices, TO_MENU))]


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def bar(done: int, total: int) -> str:
    filled = round(BAR_CELLS * done / total) if total else 0
    return "▓" * filled + "░" * (BAR_CELLS - filled)


async def show_progress(ctx: Context) -> list[Outbound]:
    progress = await ctx.repo.progress(ctx.learner.id)
    lines = ["📊 Tiến độ của bạn"]
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
            avg = (
                f" · điểm TB {percent(sum(p.score for p in scored), sum(p.total for p in scored))}%"
            )
        lines.append(f"\n{mod.order}. {mod.title}")
        lines.append(f"{bar(len(done), total)} {pct}% · {len(done)}/{total} bài{avg}")
        done_all += len(done)
        total_all += total
    lines.append(f"\nĐã xong {done_all}/{total_all} bài.")
    return [Outbound("\n".join(lines), (Choice("Học tiếp", A.CONTINUE), TO_MENU))]


def refuse(ctx: Context) -> list[Outbound]:
    """A stale or forged button: say so, show where the learner is, change nothing."""
    if ctx.learner.state in ("lesson", "quiz"):
        return [STALE, *current_step(ctx)]
    return [STALE, menu()]
