"""Words of the spaced review (bot/flows/review.py)."""

NOTHING_DUE = "Hôm nay không có câu nào cần ôn. Giỏi lắm!"


def start(n: int) -> str:
    return f"📚 Ôn lại {n} câu bạn từng trả lời sai."


def finished(right: int, of: int) -> str:
    return f"Xong phần ôn tập: bạn đúng {right}/{of} câu. Câu nào còn sai, mình sẽ hỏi lại sau."
