"""The end of a lesson: «Xem lại câu sai» shows each missed question with what the learner
chose, the right answer and the explanation; «Làm lại bài» takes the lesson again."""

import pytest

from bot import actions as A
from tests.transcript import Chat


async def quiz_with_misses(chat: Chat, wrong: int) -> list:
    """Take lesson 1.1 from the start, missing the first `wrong` questions; returns the
    questions missed with the option chosen for each."""
    await chat.read_lesson()
    missed = []
    for n in range(4):
        quiz, _, question = chat.current_question()
        if n < wrong:
            chosen = next(
                line.partition(". ")[2]
                for line in quiz.text.splitlines()
                if line[1:3] == ". "
                and line.partition(". ")[2] != question.options[question.correct_index].text
            )
            missed.append((question, chosen))
        await chat.answer(right=n >= wrong)
    return missed


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
async def test_the_learner_reviews_the_missed_questions_then_takes_the_lesson_again(chat):
    await chat.onboard()
    await chat.tap("Học ngay")
    missed = await quiz_with_misses(chat, wrong=2)
    chat.expect("Xong bài 1.1! Bạn đúng 2/4 câu.")
    assert chat.labels[:3] == ["Bài tiếp: 1.2 AI quanh ta", "Xem lại câu sai", "Làm lại bài"]

    await chat.tap("Xem lại câu sai")
    assert len(chat.replies) == 2  # one message per missed question
    for n, (question, chosen) in enumerate(missed):
        reply = chat.replies[n].text
        assert reply.startswith(f"📝 Câu sai {n + 1}/2 · bài 1.1")
        right = question.options[question.correct_index].text
        for part in (question.question, f"Bạn đã chọn: {chosen}", f"✅ Đáp án đúng: {right}"):
            assert part in reply, reply
        assert reply.endswith(question.explanation)
    assert chat.labels == ["Làm lại bài", "Bài tiếp: 1.2 AI quanh ta", "Về menu"]

    await chat.tap("Làm lại bài")
    chat.expect("📚 Bài 1.1 · AI nói dễ hiểu (1/5)")
    await quiz_with_misses(chat, wrong=0)
    chat.expect("Xong bài 1.1! Bạn đúng 4/4 câu. Tuyệt vời, đúng hết!")
    assert "Xem lại câu sai" not in chat.labels and "Làm lại bài" not in chat.labels

    # The first attempt's review is still there to read; the second had no misses.
    await chat.press(A.make(A.MISSED, "m1-1", 1))
    chat.expect("📝 Câu sai 1/2")
    await chat.press(A.make(A.MISSED, "m1-1", 2))
    chat.expect("Lần làm bài này không có câu nào sai. Giỏi lắm!")


async def test_an_old_review_button_in_the_middle_of_a_lesson_changes_nothing(chat):
    await chat.onboard()
    await chat.tap("Học ngay")
    await quiz_with_misses(chat, wrong=1)
    review = chat.action_of("Xem lại câu sai")
    await chat.tap("Làm lại bài")
    await chat.press(review)
    chat.expect("Nút này đã cũ nên mình bỏ qua.", "📚 Bài 1.1 · AI nói dễ hiểu (1/5)")
    await chat.press("ms:m1-1:x")  # forged
    chat.expect("Nút này đã cũ")
    await chat.press("ms:nope:1")
    chat.expect("Nút này đã cũ")


async def test_typed_on_a_channel_without_buttons(chat):
    """Typing the label picks it, as Zalo and console learners do."""
    await chat.onboard()
    await chat.tap("Học ngay")
    await quiz_with_misses(chat, wrong=1)
    await chat.say("xem lai cau sai")
    chat.expect("📝 Câu sai 1/1")
    await chat.say("lam lai bai")
    chat.expect("(1/5)")
