"""A learner does onboarding, a lesson and its quiz on Zalo by typing, in webhook mode
(events posted to the app) and in polling mode (events fetched with getUpdates)."""

import pytest
from sqlalchemy import select

from storage.models import Learner, LessonProgress, QuizAnswer


@pytest.fixture(params=["webhook", "polling"])
def zalo_learner(request):
    return request.getfixturevalue("learner" if request.param == "webhook" else "polling_learner")


async def test_a_learner_onboards_learns_a_lesson_and_takes_its_quiz_by_typing(
    zalo_learner, api, sessions
):
    learner = zalo_learner
    await learner.say("Xin chào")
    # The greeting says this is an automated assistant, and it reached Zalo.
    learner.expect("Mình là trợ lý học AI tự động", "Mình là máy, không phải người.")
    learner.expect("Bạn có đồng ý không?\n\n1. Đồng ý\n2. Không đồng ý\n\nTrả lời 1 hoặc 2.")

    await learner.say("1")
    learner.expect("Bạn thuộc nhóm nào?", "2. Cán bộ, công chức, viên chức")
    learner.expect("Trả lời một số từ 1 đến 5.")
    await learner.say("số 2")
    learner.expect("xã, phường nào")
    await learner.say("tan cuong")
    assert learner.options == ["Xã Tân Cương"]
    learner.expect("Trả lời 1 để chọn.")
    await learner.say("1")
    learner.expect("✅ Bạn ở Xã Tân Cương", "1. Bỏ qua")
    await learner.say("bo qua")  # the label itself, typed without diacritics
    learner.expect("Xong rồi!", "1. Học ngay\n2. Về menu")

    await learner.say("1.")
    learner.expect("📚 Bài 1.1", "1. Tiếp ▶")
    await learner.read_lesson()
    learner.expect("Câu 1/", "Trả lời A, B, C hoặc D.")
    assert "\n1. A" not in learner.text  # lettered options are not numbered again

    right_letter = learner.letter(right=True)
    await learner.say("B")
    if right_letter == "B":
        learner.expect("✅ Đúng rồi!")
    else:
        learner.expect(f"❌ Chưa đúng. Đáp án đúng là {right_letter}")
    learner.expect("Câu 2/")
    await learner.answer(right=True, style="số {n}")
    learner.expect("✅ Đúng rồi!")
    await learner.answer(right=False, style="{n}.")
    learner.expect("❌ Chưa đúng.")
    while "Xong bài" not in learner.text:
        await learner.answer(right=True, style="{letter}")
    learner.expect("Xong bài 1.1!")

    await learner.choose("Xem tiến độ")
    learner.expect("📊 Tiến độ của bạn", "Đã xong 1/")

    async with sessions() as s:
        row = (await s.execute(select(Learner))).scalar_one()
        answers = list((await s.execute(select(QuizAnswer))).scalars())
        progress = (await s.execute(select(LessonProgress))).scalar_one()
    assert (row.channel, row.channel_user_id) == ("zalo", learner.chat_id)
    assert row.display_name == "Lan Nguyễn"
    assert row.group_code == "cb"
    assert len(answers) >= 3 and progress.completed_at is not None
    assert api.refused() == []  # nothing the platform would refuse was sent
