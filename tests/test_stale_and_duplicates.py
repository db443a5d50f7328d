"""Old buttons, forged payloads and redelivered updates change nothing."""

import asyncio

import pytest
from sqlalchemy import func, select

from bot.messages import Inbound
from storage.models import Learner, QuizAnswer


async def state_of(sessions):
    async with sessions() as s:
        learner = (await s.execute(select(Learner))).scalar_one()
        answers = await s.scalar(select(func.count()).select_from(QuizAnswer))
    return learner.state, learner.state_data, answers


async def test_an_old_next_button_is_refused(chat, sessions):
    await chat.onboard()
    await chat.tap("Học ngay")
    old_next = chat.action_of("Tiếp")
    await chat.tap("Tiếp")
    await chat.tap("Tiếp")
    before = await state_of(sessions)
    await chat.press(old_next)
    chat.expect("Nút này đã cũ", "(3/5)")
    assert await state_of(sessions) == before


async def test_an_answered_question_cannot_be_answered_again(chat, sessions):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.read_lesson()
    wrong_first = chat.action_of("A")
    await chat.answer(right=False)
    before = await state_of(sessions)
    await chat.press(wrong_first)  # the old button of question 1
    chat.expect("Nút này đã cũ", "Câu 2/4")
    assert await state_of(sessions) == before
    assert before[2] == 1


@pytest.mark.parametrize(
    "payload",
    [
        "zzz",
        "a:m1-1",
        "a:m1-1:q9:0",  # no such question
        "a:m1-1:q1:9",  # no such option
        "a:m1-1:q1:-1",
        "a:m9-9:q1:0",
        "t:nope:1",
        "t:m1-1:99",
        "l:khong-co",
        "mod:x",
        "cm:5503",  # onboarding buttons after onboarding
        "d:yes",  # deletion without the confirmation step
        "x" * 200,
        "a:m1-1:q1:0\x00",
        "'; DROP TABLE learner; --",
        "",
    ],
)
async def test_forged_payloads_are_refused_kindly(chat, sessions, payload):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.read_lesson()
    before = await state_of(sessions)
    await chat.press(payload)
    chat.expect("Nút này đã cũ")
    assert await state_of(sessions) == before


async def test_the_same_update_twice_is_processed_once(chat, sessions):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.read_lesson()
    quiz, lesson, question = chat.current_question()
    action = chat.action_of("A")
    first = await chat.press(action, update_id="upd-42")
    again = await chat.press(action, update_id="upd-42")
    assert first and again == []
    assert (await state_of(sessions))[2] == 1


async def test_concurrent_redeliveries_are_processed_once(chat, tutor, sessions):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.read_lesson()
    inbound = Inbound("test", chat.user_id, action=chat.action_of("B"), update_id="race-1")
    results = await asyncio.gather(*(tutor.handle(inbound) for _ in range(5)))
    assert sum(1 for r in results if r) == 1
    assert (await state_of(sessions))[2] == 1


async def test_two_learners_do_not_see_each_others_state(tutor, catalog):
    from tests.transcript import Chat

    lan, binh = Chat(tutor, catalog, user_id="lan"), Chat(tutor, catalog, user_id="binh")
    await lan.onboard()
    await binh.onboard(group="Nông dân trồng chè", commune="dai tu")
    await lan.tap("Học ngay")
    await binh.tap("Học ngay")
    await lan.tap("Tiếp")
    await binh.say("/tiendo")
    binh.expect("0/4 bài")
    await lan.press(binh.action_of("Học tiếp"))
    lan.expect("(2/5)")
