"""Words of the final assessment (bot/flows/assessment.py)."""

START = "Bắt đầu"
INTRO = (
    "🎓 Bài kiểm tra cuối khóa: {n} câu mới về các bài trong lộ trình của bạn, không trùng "
    "câu hỏi trong bài học. Đúng từ {pct}% trở lên ({need}/{n} câu) là đạt. Mỗi câu chỉ "
    "trả lời một lần. Nếu bỏ dở, lần sau bạn làm tiếp từ câu đang dừng."
)
WITHDRAWN = (
    "Câu hỏi của bài kiểm tra cuối khóa vừa được cập nhật, nên lần bạn đang làm dở không "
    "được tính và không phải chờ. Mời bạn làm lại từ đầu nhé."
)
NOT_READY = "Bài kiểm tra cuối khóa đang được chuẩn bị câu hỏi. Bạn quay lại sau nhé."
RESUMED = "Mình tiếp tục bài kiểm tra bạn đang làm dở nhé."
STALE_QUESTION = "Đây là câu bạn đang làm:"


def track_unfinished(left: int, position: str, title: str) -> str:
    return (
        f"Bài kiểm tra cuối khóa mở khi bạn học xong lộ trình. Bạn còn {left} "
        f"bài, tiếp theo là bài {position} «{title}»."
    )


def passed_before(when: str, score: int, total: int) -> str:
    return (
        f"🎓 Bạn đã đạt bài kiểm tra cuối khóa ngày {when} với {score}/{total} "
        "câu đúng. Chúc mừng bạn! Bạn có thể ôn lại bất kỳ bài nào."
    )


def cooling_down(score: int, total: int, again) -> str:
    return (
        f"Lần trước bạn đúng {score}/{total} câu. Bạn có thể làm lại từ "
        f"{again:%H:%M} ngày {again:%d/%m/%Y}. Trong lúc chờ, bạn ôn lại các bài nhé."
    )


def passed(score: int, total: int) -> str:
    return (
        f"🎓 Chúc mừng! Bạn đúng {score}/{total} câu và đã đạt bài kiểm tra cuối "
        "khóa. Bạn đã dùng AI an toàn và hiệu quả hơn rồi đấy!"
    )


def failed(score: int, total: int, pct: int, again) -> str:
    return (
        f"Bạn đúng {score}/{total} câu, chưa đạt {pct}%. Không sao: bạn ôn "
        f"lại các bài rồi làm lại từ {again:%H:%M} ngày {again:%d/%m/%Y} nhé."
    )
