"""Words of the prompt-writing practice (bot/flows/practice.py)."""

PARTS = (
    ("Vai trò", "bắt đầu bằng «Bạn là…», ví dụ «Bạn là thư ký UBND xã»"),
    ("Việc cần làm", "nói rõ việc: viết, soạn, tóm tắt, lập…"),
    ("Bối cảnh", "thêm ai, ở đâu, khi nào, để làm gì"),
    ("Định dạng", "nói độ dài hay hình thức: «tối đa 5 câu», «dạng bảng»"),
)
TOO_SHORT = (
    "Câu lệnh hơi ngắn. Bạn thử viết đủ 4 phần: vai trò, việc cần làm, bối cảnh, định dạng nhé."
)
SEE_EXAMPLE = "Xem câu lệnh mẫu"
ALL_PARTS = "Tuyệt! Câu lệnh của bạn đủ cả 4 phần."


def task(text: str) -> str:
    return f"✍️ Thực hành\n\n{text}\n\nBạn gõ câu lệnh của mình vào đây nhé."


def some_parts(score: int) -> str:
    return f"Câu lệnh của bạn có {score}/4 phần. Bạn sửa thêm rồi gửi lại nhé."


def part(name: str, hint: str, ok: bool) -> str:
    return f"✅ {name}" if ok else f"❌ {name}: {hint}"


def example(text: str) -> str:
    return f"Câu lệnh mẫu:\n\n{text}"
