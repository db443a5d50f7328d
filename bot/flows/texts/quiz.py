"""Words of a multiple-choice question and its verdict (bot/flows/quiz.py)."""

RIGHT = "✅ Đúng rồi!"


def question(number: int, total: int, text: str, options: list[str]) -> str:
    return f"Câu {number}/{total}: {text}\n\n" + "\n".join(options)


def right(explanation: str) -> str:
    return f"{RIGHT} {explanation}"


def wrong(letter: str, answer: str) -> str:
    return f"❌ Chưa đúng. Đáp án đúng là {letter}: {answer}"
