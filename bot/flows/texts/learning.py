"""Words of a lesson: cards, the end of a quiz, missed questions, choosing a lesson,
progress (bot/flows/learning.py, bot/flows/steps.py)."""

NEXT_CARD = "Tiếp ▶"
MISSED = "Xem lại câu sai"
AGAIN = "Làm lại bài"
SET_REMINDER = "Đặt giờ nhắc"
NEW_LESSON = "Học bài mới"
TOPICS = "Các chủ đề"
ALL_PERFECT = "Tuyệt vời, đúng hết!"
MOSTLY_RIGHT = "Khá lắm! Bạn xem lại đáp án và giải thích của câu sai nhé."
MOSTLY_WRONG = "Không sao, xem lại câu sai rồi làm lại bài, lần sau sẽ nhớ hơn."
TRACK_DONE = "\n\n🎓 Bạn đã học xong lộ trình. Mời bạn làm bài kiểm tra cuối khóa!"
OFFER_REMINDER = "\n\n🔔 Bạn muốn mình nhắc học mỗi ngày không? Chọn «Đặt giờ nhắc» nhé."
NONE_MISSED = "Lần làm bài này không có câu nào sai. Giỏi lắm!"
ALL_DONE = (
    "Bạn đã học xong tất cả các bài dành cho bạn. Giỏi lắm! Bạn có thể chọn học lại bất kỳ bài nào."
)
WHICH_TOPIC = "Bạn muốn học chủ đề nào?"
PROGRESS_HEAD = "📊 Tiến độ của bạn"
BASICS = "Học xong phần cơ bản (chủ đề 1–5)"


def header(position: str, title: str) -> str:
    return f"📚 Bài {position} · {title}"


def card(header: str, i: int, n: int, text: str) -> str:
    return f"{header} ({i + 1}/{n})\n\n{text}"


def finished(position: str, correct: int, answered: int, praise: str) -> str:
    return f"Xong bài {position}! Bạn đúng {correct}/{answered} câu. {praise}"


def next_lesson(position: str, title: str) -> str:
    return f"Bài tiếp: {position} {title}"[:60]


def missed(n: int, of: int, position: str, question: str, chose: str, right: str, why: str) -> str:
    return (
        f"📝 Câu sai {n}/{of} · bài {position}\n\n"
        f"{question}\n\n"
        f"Bạn đã chọn: {chose}\n"
        f"✅ Đáp án đúng: {right}\n\n"
        f"{why}"
    )


def reviews_due(due: int) -> str:
    return f"📚 Bạn có {due} câu cần ôn lại. Ôn trước vài phút rồi học bài mới nhé?"


def review_n(due: int) -> str:
    return f"Ôn {due} câu"


def lesson_line(mark: str, position: str, title: str, minutes: int) -> str:
    return f"{mark} {position} {title} ({minutes} phút)"


def average(pct: int) -> str:
    return f" · điểm TB {pct}%"


def module_progress(bar: str, pct: int, done: int, total: int, avg: str) -> str:
    return f"{bar} {pct}% · {done}/{total} bài{avg}"


def done_of(done: int, total: int) -> str:
    return f"\nĐã xong {done}/{total} bài."


def streak(days: int) -> str:
    return f"📚 Chuỗi ngày học: {days} ngày liên tiếp"


def passed(score: int, total: int) -> str:
    return f"🎓 Đạt bài kiểm tra cuối khóa: {score}/{total} câu"


def commune_rank(name: str, rank: int, of: int) -> str:
    return f"🏆 {name} đứng thứ {rank}/{of} trong tỉnh về tỷ lệ người học xong phần cơ bản."
