"""Free questions answered from the lessons; reminder time preferences."""

from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.models import Learner


async def test_a_question_without_diacritics_points_to_the_lesson(chat):
    await chat.onboard()
    await chat.say("/hoi")
    chat.expect("Bạn cứ gõ câu hỏi")
    await chat.say("co nguoi goi video gia giong chau toi xin tien")
    chat.expect("bài 4.")
    assert chat.labels[0].startswith("Mở bài 4.")
    await chat.tap("Mở bài")
    chat.expect("📚 Bài 4.")


async def test_a_term_is_explained_from_the_glossary(chat):
    await chat.onboard()
    await chat.say("ao giac la gi vay")
    chat.expect("📖 Ảo giác")
    await chat.say("/tudien")
    chat.expect("📖 Từ điển AI có", "Câu lệnh (prompt)")
    await chat.say("prompt")
    chat.expect("📖 Câu lệnh (prompt):")
    await chat.say("deepfek")  # a typo
    chat.expect("📖 Deepfake")


async def test_an_unknown_question_gets_an_honest_answer(chat):
    await chat.onboard()
    await chat.say("cách nấu phở bò cho ngon")
    chat.expect("Mình chưa tìm thấy câu trả lời trong các bài học", "«AI là gì»")


async def test_a_question_during_a_lesson_offers_the_way_back(chat):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.say("deepfake là gì")
    chat.expect("Deepfake")
    await chat.tap("Quay lại bài")
    chat.expect("Bài 1.1", "(1/5)")


async def learner_row(sessions) -> Learner:
    async with sessions() as s:
        return (await s.execute(select(Learner))).scalar_one()


async def reminder(sessions) -> str | None:
    return (await learner_row(sessions)).reminder_time


async def test_choose_a_reminder_time_and_days(chat, sessions):
    await chat.onboard()
    await chat.say("/nhac")
    chat.expect("Bạn chưa đặt giờ nhắc")
    await chat.tap("Tối 20:00")
    chat.expect("Nhắc lúc 20:00. Bạn muốn được nhắc vào những ngày nào?")
    await chat.tap("Thứ 2 – Thứ 6")
    chat.expect("Đã lưu: nhắc học lúc 20:00, thứ 2 – thứ 6. Lần nhắc tới: 20:00 ")
    row = await learner_row(sessions)
    assert (row.reminder_time, row.reminder_days) == ("20:00", "12345")
    local = row.next_reminder_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (local.hour, local.minute) == (20, 0) and local.isoweekday() <= 5

    await chat.say("/nhac")
    chat.expect("Bây giờ mình nhắc bạn lúc 20:00, thứ 2 – thứ 6.")
    await chat.tap("Giờ khác")
    await chat.say("18h30")
    await chat.tap("Mỗi ngày")
    chat.expect("18:30, mỗi ngày")
    assert await reminder(sessions) == "18:30"

    await chat.say("/nhac")
    await chat.tap("Giờ khác")
    await chat.say("23:00")
    chat.expect("Mình không nhắc từ 21:30 đến 07:00")
    assert await reminder(sessions) == "18:30"
    await chat.say("25:99")
    chat.expect("chưa hiểu giờ")

    await chat.tap("Về menu")
    await chat.say("/nhac")
    await chat.tap("Tắt nhắc")
    row = await learner_row(sessions)
    assert row.reminder_time is None and row.next_reminder_at is None


async def test_reminders_are_offered_after_the_first_lesson(chat):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.read_lesson()
    await chat.finish_quiz()
    chat.expect("Bạn muốn mình nhắc học mỗi ngày không?")
    await chat.tap("Đặt giờ nhắc")
    chat.expect("Bạn muốn mình nhắc học lúc nào?")
