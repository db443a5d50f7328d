"""The final assessment asks bank questions only; an attempt started before the bank
existed (drawn from the lesson quizzes) is still answered to the end, and one whose
questions have changed since is dropped without a cool-down."""

import random

import pytest
from sqlalchemy import func, select

from bot.engine import Engine
from bot.flows import assessment
from storage.models import Assessment, AssessmentAnswer, AuditLog, Learner
from tests.transcript import Chat


async def learner_id(sessions, user_id: str = "1001") -> int:
    async with sessions() as s:
        return await s.scalar(select(Learner.id).where(Learner.channel_user_id == user_id))


async def start_old_attempt(sessions, chat: Chat, entries: list) -> int:
    """What a learner had on the screen before the bank: an open attempt from the quizzes."""
    lid = await learner_id(sessions)
    async with sessions() as s, s.begin():
        exam = Assessment(learner_id=lid, track="dan", questions=entries, total=len(entries))
        s.add(exam)
        await s.flush()
        learner = await s.get(Learner, lid)
        learner.state, learner.state_data = "exam", {"aid": exam.id, "pos": 0}
        return exam.id


def quiz_entries(catalog, n: int) -> list:
    lessons = list(catalog.lessons.values())[:n]
    return [[les.id, les.quiz[0].id, list(range(len(les.quiz[0].options)))] for les in lessons]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_quiz_drawn_attempt_from_before_the_bank_is_answered_to_the_end(
    chat, catalog, sessions
):
    await chat.onboard()
    entries = quiz_entries(catalog, 3)
    await start_old_attempt(sessions, chat, entries)

    await chat.say("/kiemtra")
    chat.expect("Mình tiếp tục bài kiểm tra bạn đang làm dở nhé.", "Câu 1/3:")
    chat.expect(catalog.lessons[entries[0][0]].quiz[0].question)
    await chat.answer()
    await chat.answer()
    await chat.answer(right=False)
    chat.expect("Bạn đúng 2/3 câu, chưa đạt 80%")
    async with sessions() as s:
        exam = (await s.execute(select(Assessment))).scalar_one()
    assert (exam.score, exam.total, exam.passed) == (2, 3, False)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_attempt_whose_questions_changed_is_dropped_without_a_cool_down(
    chat, catalog, sessions
):
    await chat.onboard()
    entries = quiz_entries(catalog, 3)
    entries[2][1] = "q9"  # a question removed from the lesson since the attempt began
    aid = await start_old_attempt(sessions, chat, entries)
    async with sessions() as s, s.begin():  # the first question was answered back then
        s.add(
            AssessmentAnswer(
                assessment_id=aid,
                position=0,
                lesson_id=entries[0][0],
                question_id=entries[0][1],
                option=0,
                correct=True,
            )
        )
        learner = await s.get(Learner, await learner_id(sessions))
        learner.state_data = {"aid": aid, "pos": 1}
    await chat.press(f"x:{aid}:1:0")  # the second question's button, still on screen

    chat.expect(assessment.WITHDRAWN, "Bài kiểm tra cuối khóa mở khi bạn học xong lộ trình")
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Assessment)) == 0
        assert await s.scalar(select(func.count()).select_from(AssessmentAnswer)) == 0
        audit = (
            await s.execute(select(AuditLog).where(AuditLog.action == "assessment_withdrawn"))
        ).scalar_one()
        learner = await s.get(Learner, await learner_id(sessions))
    assert audit.detail == {"track": "dan", "answered": 1, "total": 3}
    assert learner.state == "menu"

    await chat.say("/kiemtra")  # nothing left running: the usual way in, no waiting
    chat.expect("Bài kiểm tra cuối khóa mở khi bạn học xong lộ trình")
    chat.expect_not("làm lại từ")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_coming_back_to_a_changed_attempt_starts_afresh(chat, catalog, sessions):
    await chat.onboard()
    entries = quiz_entries(catalog, 2)
    entries[1][2] = [0, 1]  # the question has more options now than when it was drawn
    await start_old_attempt(sessions, chat, entries)
    await chat.say("/kiemtra")
    chat.expect(assessment.WITHDRAWN)
    chat.expect_not("Mình tiếp tục")
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Assessment)) == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_answer_to_a_bank_question_names_the_bank(sessions, catalog):
    """Drawn entries carry the bank mark; the question shown is the bank's wording."""
    chat = Chat(Engine(sessions, catalog, rng=random.Random(5)), catalog)
    await chat.onboard()
    lid = await learner_id(sessions)
    bank = catalog.exam["m1-1"][0]
    entries = [["m1-1", bank.id, list(range(len(bank.options))), "exam"]]
    async with sessions() as s, s.begin():
        s.add(Assessment(learner_id=lid, track="dan", questions=entries, total=1))
    await chat.say("/kiemtra")
    chat.expect("Câu 1/1:", bank.question)
    quiz, _, question = chat.current_question()
    assert quiz.meta["pool"] == "exam" and question == bank
    await chat.answer()
    chat.expect("🎓 Chúc mừng! Bạn đúng 1/1 câu")
