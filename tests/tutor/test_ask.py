"""The tutor in the chat, offline: stored answers, 👍/👎, the daily quota, data deletion."""

import logging
import random
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.engine import Engine
from bot.tutor.answerer import AI_LABEL, MAX_CHARS, Answerer
from storage.models import AuditLog, TutorAnswer
from tests.transcript import Chat


async def rows(sessions) -> list[TutorAnswer]:
    async with sessions() as s:
        return list((await s.execute(select(TutorAnswer).order_by(TutorAnswer.id))).scalars())


async def test_an_answer_is_stored_with_its_lessons_and_gets_feedback(chat, sessions):
    await chat.onboard()
    await chat.say("có người xưng công an gọi zalo bảo chuyển tiền")
    # lessons/content/faq.yaml answers this one first (staff wrote it, from lesson 4.2)
    chat.expect("Công an không giải quyết vụ việc", "📚 Xem bài 4.2")
    chat.expect_not(AI_LABEL)  # staff's text from the lessons is not AI-made
    assert len(chat.text) <= MAX_CHARS
    assert chat.labels == ["Mở bài 4.2", "👍 Hữu ích", "👎 Chưa đúng", "Về menu"]
    open_lesson = chat.action_of("Mở bài")
    [row] = await rows(sessions)
    assert (row.kind, row.source, row.category) == ("ask", "offline", "faq")
    assert row.lesson_ids == ["m4-2"] and row.question.startswith("có người xưng công an")
    assert row.answer == chat.text and row.feedback is None and row.latency_ms >= 0

    await chat.tap("👎")
    chat.expect("Cảm ơn bạn đã báo")
    assert (await rows(sessions))[0].feedback == -1
    await chat.say("2")  # a typed number picks the button on button-less channels
    chat.expect("Cảm ơn bạn! Mình ghi nhận góp ý.")
    assert (await rows(sessions))[0].feedback == 1
    await chat.press(open_lesson)  # the feedback reply keeps the earlier buttons
    chat.expect("📚 Bài 4.2")


async def test_feedback_on_someone_elses_answer_is_refused(chat, sessions, tutor, catalog):
    await chat.onboard()
    await chat.say("deepfake là gì")
    other = Chat(tutor, catalog, user_id="2002", name=None)
    await other.onboard()
    await other.press(chat.action_of("👍"))
    other.expect("Nút này đã cũ")
    await other.press("fb:999:u")
    other.expect("Nút này đã cũ")
    await other.press("fb:1:x")
    other.expect("Nút này đã cũ")
    assert [r.feedback for r in await rows(sessions)] == [None]


async def test_an_unknown_question_is_answered_honestly_and_stored(chat, sessions):
    await chat.onboard()
    await chat.say("cách nấu phở bò cho ngon")
    chat.expect("Mình chưa tìm thấy câu trả lời trong các bài học", "«AI là gì»")
    assert "Chọn bài" in chat.labels and "👎 Chưa đúng" in chat.labels
    [row] = await rows(sessions)
    assert (row.source, row.category, row.lesson_ids) == ("offline", "unknown", [])


async def test_a_refusal_gives_the_referral_and_its_lesson(chat, sessions):
    await chat.onboard()
    await chat.say("rầy xanh hại chè thì phun thuốc gì, liều bao nhiêu")
    chat.expect("khuyến nông", "bảo vệ thực vật")
    assert chat.labels == ["Mở bài 8.2", "Về menu"]  # no 👍/👎 on a refusal
    [row] = await rows(sessions)
    assert (row.source, row.category) == ("refused", "pesticide")


async def test_the_daily_quota_holds(sessions, catalog):
    now = [datetime(2026, 11, 27, 16, 0, tzinfo=UTC)]
    tutor = Engine(
        sessions,
        catalog,
        rng=random.Random(7),
        clock=lambda: now[0],
        answerer=Answerer(catalog, daily_quota=3),
    )
    chat = Chat(tutor, catalog)
    await chat.onboard()
    for q in ("deepfake là gì", "otp là gì", "cách nấu phở"):
        await chat.say(q)
        chat.expect_not("đủ mức mỗi ngày")
    await chat.say("học máy là gì")
    chat.expect("Hôm nay bạn đã hỏi 3 câu, đủ mức mỗi ngày rồi. Mai bạn hỏi tiếp nhé!")
    assert len(await rows(sessions)) == 3
    # 16:00 UTC is 23:00 in Vietnam; at 17:30 UTC it is a new day there.
    now[0] = now[0].replace(hour=17, minute=30)
    await chat.say("học máy là gì")
    chat.expect("📖 Học máy")
    assert len(await rows(sessions)) == 4


async def test_deleting_my_data_deletes_my_questions(chat, sessions):
    await chat.onboard()
    await chat.say("deepfake là gì")
    await chat.say("/dulieu")
    chat.expect("Câu hỏi đã gửi trợ lý (kèm câu trả lời): 1")
    await chat.tap("Xóa dữ liệu của tôi")
    await chat.tap("Xóa hết")
    assert await rows(sessions) == []
    async with sessions() as s:
        audit = (
            await s.execute(select(AuditLog).where(AuditLog.action == "learner_data_deleted"))
        ).scalar_one()
        assert audit.detail["rows"]["tutor_answer"] == 1
        assert (await s.execute(select(func.count(TutorAnswer.id)))).scalar_one() == 0


async def test_logs_never_hold_the_question_or_the_name(chat, caplog):
    caplog.set_level(logging.DEBUG, logger="hocai")
    await chat.onboard()
    await chat.say("có người xưng công an gọi zalo bảo chuyển tiền")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "tutor answer learner=" in logged
    assert "công an" not in logged and "Chị Lan" not in logged
