"""Whatever a learner types, the reply is short, friendly, Vietnamese, and nothing is lost."""

import pytest
from sqlalchemy import func, select

from storage.models import Learner, QuizAnswer

BAD = {
    "empty": "",
    "spaces": "   \n\t ",
    "very long": "a" * 10_000,
    "emoji only": "😀🙏🎉👍🏽",
    "control chars": "\x00\x07\x1b[31m",
    "rtl": "\u202eمرحبا بالعالم",
    "sql": "'; DROP TABLE learner; --",
    "html": "<script>alert(1)</script>",
    "zero width": "\u200b\u200b",
}


async def snapshot(sessions):
    async with sessions() as s:
        learner = (await s.execute(select(Learner))).scalar_one()
        answers = await s.scalar(select(func.count()).select_from(QuizAnswer))
    return learner.state, learner.state_data, answers


@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
async def test_bad_input_mid_quiz_keeps_every_answer(chat, sessions, text):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.read_lesson()
    await chat.answer()
    before = await snapshot(sessions)
    replies = await chat.say(text)
    assert replies, "every message gets a reply"
    assert all(len(m.text) <= 2000 for m in replies)
    assert "Traceback" not in chat.text and "Error" not in chat.text
    assert await snapshot(sessions) == before
    await chat.tap("Học tiếp") if "Học tiếp" in chat.labels else await chat.say("/hoc")
    chat.expect("Câu 2/4")


async def test_specific_replies(chat):
    await chat.onboard()
    await chat.say("")
    chat.expect("Mình chưa thấy chữ nào")
    await chat.say("😀😀")
    chat.expect("Mình chưa thấy chữ nào")
    await chat.say("x" * 10_000)
    chat.expect("Tin nhắn dài quá (hơn 1.000 ký tự)")


@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
async def test_bad_input_during_onboarding(chat, text):
    await chat.say("/start")
    await chat.tap("Đồng ý")
    await chat.tap("Người dân")
    await chat.say(text)
    assert chat.replies and "Traceback" not in chat.text
    await chat.say("tan cuong")
    assert chat.labels == ["Xã Tân Cương"]
