"""A lesson card by card, its quiz, the summary, progress."""

from sqlalchemy import select

from storage.models import LessonProgress, QuizAnswer


async def test_a_whole_lesson_with_its_quiz(chat, sessions, catalog):
    await chat.onboard()
    await chat.tap("Học ngay")
    lesson = catalog.lessons["m1-1"]
    chat.expect("📚 Bài 1.1 · AI nói dễ hiểu (1/5)", lesson.cards[0])
    assert chat.labels == ["Tiếp ▶"]

    for i in range(1, len(lesson.cards)):
        await chat.tap("Tiếp")
        chat.expect(f"({i + 1}/5)", lesson.cards[i])
    assert chat.labels == ["Làm câu hỏi ▶"]

    await chat.tap("Làm câu hỏi")
    _, _, first = chat.current_question()
    assert first in lesson.quiz  # drawn from the lesson's pool
    chat.expect("Câu 1/4:", first.question)
    assert chat.labels == ["A", "B", "C", "D"]

    await chat.answer(right=True)
    chat.expect("✅ Đúng rồi!", first.explanation, "Câu 2/4:")

    _, _, second = chat.current_question()
    assert second != first
    await chat.answer(right=False)
    right = second.options[second.correct_index].text
    chat.expect("❌ Chưa đúng. Đáp án đúng là", right, second.explanation)

    await chat.answer(right=True)
    await chat.answer(right=True)
    chat.expect("Xong bài 1.1! Bạn đúng 3/4 câu.")
    assert chat.labels[0] == "Bài tiếp: 1.2 AI quanh ta"

    async with sessions() as s:
        answers = list((await s.execute(select(QuizAnswer).order_by(QuizAnswer.id))).scalars())
        progress = (await s.execute(select(LessonProgress))).scalar_one()
    assert [a.correct for a in answers] == [True, False, True, True]
    assert {a.attempt for a in answers} == {1}
    assert progress.completed_at is not None and (progress.score, progress.total) == (3, 4)


async def test_finish_a_whole_module_and_see_progress(chat, catalog):
    await chat.onboard()
    await chat.say("/tiendo")
    chat.expect("░░░░░ 0% · 0/4 bài", "Đã xong 0/23 bài.")
    for n, lesson_id in enumerate(catalog.module("m1").lessons):
        await chat.say("/hoc")
        chat.expect(f"Bài 1.{n + 1} · {catalog.lessons[lesson_id].title}")
        await chat.read_lesson()
        await chat.finish_quiz(wrong=1 if n == 0 else 0)
        chat.expect(f"Xong bài 1.{n + 1}!")
    await chat.tap("Xem tiến độ")
    # 15 of 16 answers right over the module: 94%.
    chat.expect("1. AI là gì\n▓▓▓▓▓ 100% · 4/4 bài · điểm TB 94%", "Đã xong 4/23 bài.")
    await chat.say("/hoc")
    chat.expect("Bài 2.1")  # the next module of the track


async def test_options_are_shuffled_but_answers_still_count_right(chat):
    await chat.onboard()
    orders = set()
    for _ in range(3):
        await chat.tap("Học ngay") if "Học ngay" in chat.labels else await chat.tap("Học tiếp")
        await chat.read_lesson()
        quiz, _, question = chat.current_question()
        orders.add(tuple(line for line in quiz.text.splitlines() if line[:2] in ("A.", "B.")))
        await chat.finish_quiz()
        chat.expect("Bạn đúng 4/4 câu")
        await chat.tap("Về menu")
    assert len(orders) > 1


async def test_resume_where_i_left_off(chat, catalog):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.tap("Tiếp")
    await chat.say("/menu")
    await chat.tap("Học tiếp")
    chat.expect("(2/5)", catalog.lessons["m1-1"].cards[1])


async def test_choose_a_lesson_from_the_list(chat):
    await chat.onboard()
    await chat.say("/menu")
    await chat.tap("Chọn bài")
    assert chat.labels[:2] == ["1. AI là gì", "2. AI tạo sinh, chatbot và giới hạn"]
    await chat.tap("4. An toàn")
    chat.expect("4.2 DỪNG – GỌI LẠI – KHÔNG CHUYỂN")
    await chat.tap("4.2")
    chat.expect("📚 Bài 4.2")


async def test_retaking_a_quiz_is_a_new_attempt(chat, sessions):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.read_lesson()
    await chat.finish_quiz(wrong=4)
    chat.expect("Bạn đúng 0/4 câu")
    await chat.say("/menu")
    await chat.tap("Chọn bài")
    await chat.tap("1. AI là gì")
    await chat.tap("1.1")
    await chat.read_lesson()
    await chat.finish_quiz()
    chat.expect("Bạn đúng 4/4 câu")
    async with sessions() as s:
        progress = (await s.execute(select(LessonProgress))).scalar_one()
        attempts = set((await s.execute(select(QuizAnswer.attempt))).scalars())
    assert attempts == {1, 2}
    assert (progress.score, progress.best_score, progress.attempts) == (4, 4, 2)


async def test_leaving_a_quiz_half_way_gives_no_credit(chat, sessions):
    await chat.onboard()
    await chat.tap("Học ngay")
    await chat.read_lesson()
    await chat.answer()
    await chat.say("/tiendo")
    chat.expect("0/4 bài")
    async with sessions() as s:
        progress = (await s.execute(select(LessonProgress))).scalar_one()
    assert progress.completed_at is None
