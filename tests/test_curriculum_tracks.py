"""Every lesson through the engine; each group's track to the final assessment."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import policy
from bot.engine import Engine
from bot.flows import practice
from bot.flows.quiz import question_message
from lessons.limits import LEARNER_GROUPS
from storage.models import Assessment, AssessmentAnswer, AuditLog
from tests.support.clock import Clock
from tests.transcript import Chat

GROUP_LABELS = {code: name for code, name in LEARNER_GROUPS.items()}
PROMPT = (
    "Bạn là thư ký UBND xã Phú Bình. Hãy soạn giấy mời họp thôn về việc trồng cây, "
    "họp lúc 8 giờ sáng ngày 23/3 tại hội trường, gửi các trưởng thôn. Tối đa 6 câu."
)


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))


@pytest.fixture
def timed_chat(sessions, catalog, clock):
    return Chat(Engine(sessions, catalog, rng=random.Random(3), clock=clock), catalog)


async def take_lesson(chat: Chat, lesson_id: str, wrong: int = 0) -> None:
    await chat.press(f"l:{lesson_id}")
    while not any(m.kind == "quiz" for m in chat.replies):
        if "Tiếp ▶" in chat.labels:
            await chat.tap("Tiếp")
        elif chat.text.startswith("✍️ Thực hành"):
            await chat.say(PROMPT)
            chat.expect("Tuyệt! Câu lệnh của bạn đủ cả 4 phần.")
            await chat.tap("Làm câu hỏi")
        else:
            await chat.tap("Làm câu hỏi")
    await chat.finish_quiz(wrong=wrong)
    chat.expect("Xong bài")


async def take_exam(chat: Chat, wrong: int) -> None:
    n = 0
    while any(m.kind == "quiz" for m in chat.replies[-1:]):
        await chat.answer(right=n >= wrong)
        n += 1


def test_every_question_renders_within_every_channel_limit(catalog):
    for lesson in catalog.lessons.values():
        for q in lesson.quiz:
            order = list(range(len(q.options)))
            prefix = f"a:{lesson.id}:{q.id}"
            message = question_message(q, order, 4, 4, lambda i, p=prefix: f"{p}:{i}", {})
            assert len(message.text) <= 2000
            assert all(len(c.action.encode()) <= 64 for c in message.choices)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_every_lesson_quiz_through_the_engine(chat, catalog):
    await chat.onboard()
    for lesson_id in catalog.lessons:
        await take_lesson(chat, lesson_id)
        chat.expect("Bạn đúng 4/4 câu")


@pytest.mark.parametrize("group", list(GROUP_LABELS))
async def test_each_group_takes_its_track_to_the_final_assessment(chat, catalog, sessions, group):
    await chat.onboard(group=GROUP_LABELS[group])
    track = catalog.track(group)
    await chat.say("/kiemtra")
    chat.expect(f"Bạn còn {len(track)} bài")

    for lesson in track:
        await take_lesson(chat, lesson.id)
    chat.expect("Bạn đã học xong lộ trình")
    await chat.tap("Kiểm tra cuối khóa")
    chat.expect("Bài kiểm tra cuối khóa: 15 câu", "(12/15 câu)")
    await chat.tap("Bắt đầu")
    chat.expect("Câu 1/15:")
    await take_exam(chat, wrong=2)
    chat.expect("🎓 Chúc mừng! Bạn đúng 13/15 câu")
    await chat.say("/tiendo")
    chat.expect("✅ Học xong phần cơ bản", "🎓 Đạt bài kiểm tra cuối khóa: 13/15 câu")

    async with sessions() as s:
        exam = (await s.execute(select(Assessment))).scalar_one()
        answers = await s.scalar(select(func.count()).select_from(AssessmentAnswer))
    assert (exam.track, exam.score, exam.total, exam.passed, answers) == (group, 13, 15, True, 15)
    modules = {catalog.module_of[lid].id for lid, *_ in exam.questions}
    assert modules == {m.id for m in catalog.modules_for(group)}  # every module represented
    # Only bank questions, none of them worded like a question the learner saw in a quiz.
    assert all(entry[3:] == ["exam"] for entry in exam.questions)
    drawn = [catalog.exam_question(lid, qid) for lid, qid, *_ in exam.questions]
    seen = {q.question for lesson in catalog.lessons.values() for q in lesson.quiz}
    assert all(q is not None and q.question not in seen for q in drawn)


async def finish_track(chat: Chat, catalog, group="dan") -> None:
    await chat.onboard(group=GROUP_LABELS[group])
    for lesson in catalog.track(group):
        await take_lesson(chat, lesson.id)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_failing_waits_for_the_cool_down(timed_chat, catalog, clock, sessions):
    chat = timed_chat
    await finish_track(chat, catalog)
    await chat.tap("Kiểm tra cuối khóa")
    await chat.tap("Bắt đầu")
    await take_exam(chat, wrong=4)  # 11/15 = 73%
    chat.expect("Bạn đúng 11/15 câu, chưa đạt 80%", "làm lại từ 10:00 ngày 27/11/2026")

    clock.now += timedelta(hours=23)
    await chat.say("/kiemtra")
    chat.expect("Bạn có thể làm lại từ 10:00 ngày 27/11/2026")
    await chat.press("x:go")  # a forged start during the cool-down changes nothing
    chat.expect("Bạn có thể làm lại từ")

    clock.now += timedelta(hours=1)
    await chat.say("/kiemtra")
    await chat.tap("Bắt đầu")
    await take_exam(chat, wrong=0)
    chat.expect("🎓 Chúc mừng! Bạn đúng 15/15 câu")
    async with sessions() as s:
        results = [(a.score, a.passed) for a in (await s.execute(select(Assessment))).scalars()]
        audited = await s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "assessment_finished")
        )
    assert sorted(results) == [(11, False), (15, True)]
    assert audited == 2


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_leaving_the_exam_resumes_the_same_questions(chat, catalog, sessions):
    await finish_track(chat, catalog)
    await chat.tap("Kiểm tra cuối khóa")
    await chat.tap("Bắt đầu")
    await chat.answer()
    await chat.answer(right=False)
    stale = chat.action_of("A")
    _, _, third = chat.current_question()
    await chat.say("/menu")
    await take_lesson(chat, "m1-1")  # wander off
    await chat.say("/kiemtra")
    chat.expect("Mình tiếp tục bài kiểm tra bạn đang làm dở nhé.", "Câu 3/15:", third.question)
    await chat.press(stale.replace(":2:", ":1:"))  # an old question's button
    chat.expect("Nút này đã cũ", "Câu 3/15:")
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Assessment)) == 1
        assert await s.scalar(select(func.count()).select_from(AssessmentAnswer)) == 2


def test_the_pass_mark():
    assert policy.passed(12, 15) and not policy.passed(11, 15)
    assert policy.ASSESSMENT_QUESTIONS == 15 and policy.PASS_PERCENT == 80


@pytest.mark.parametrize(
    "prompt, found",
    [
        (PROMPT, [True, True, True, True]),
        ("viết giấy mời họp", [False, True, False, False]),
        ("Bạn là thư ký. Hãy viết giấy mời.", [True, True, False, False]),
        (
            "Hãy lập lịch bón phân cho 3 sào chè ở xã Tân Cương trong tháng 3, dạng bảng",
            [False, True, True, True],
        ),
    ],
)
def test_prompt_feedback_rules(prompt, found):
    assert practice.check(prompt) == found


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_practice_gives_feedback_and_the_example(chat, catalog):
    await chat.onboard()
    lesson = catalog.lessons["m3-4"]
    await chat.press("l:m3-4")
    for _ in lesson.cards:
        await chat.tap("Tiếp" if "Tiếp ▶" in chat.labels else "Làm câu hỏi")
    chat.expect("✍️ Thực hành", lesson.practice.task)
    await chat.say("viết giấy mời họp thôn đi")
    chat.expect("Câu lệnh của bạn có 1/4 phần", "❌ Vai trò", "✅ Việc cần làm", "❌ Định dạng")
    await chat.tap("Xem câu lệnh mẫu")
    chat.expect(lesson.practice.example)
    assert all(practice.check(lesson.practice.example))
    await chat.tap("Làm câu hỏi")
    chat.expect("Câu 1/4")


def test_every_practice_example_meets_its_own_rubric(catalog):
    examples = [les.practice.example for les in catalog.lessons.values() if les.practice]
    assert len(examples) >= 2
    for example in examples:
        assert practice.check(example) == [True, True, True, True], example
