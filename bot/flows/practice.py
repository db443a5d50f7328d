"""Prompt-writing practice (module M3): rule-based feedback on role, task, context, format.

With a model configured, the AI tutor grades by the rubric in prompts/ (bot/tutor/grader.py);
these rules are the offline fallback.
"""

import re

from bot import actions as A
from bot.messages import Choice, Outbound
from bot.textutil import fold
from lessons.schema import Lesson

# Patterns run on folded text (no diacritics, lower case).
ROLE = re.compile(r"\b(ban la|hay dong vai|dong vai|voi vai tro|vai tro|hay la|em la|anh la)\b")
TASK = re.compile(
    r"\b(viet|soan|tom tat|lap|liet ke|tao|de xuat|giai thich|dich|sua|goi y|len|ke|"
    r"trinh bay|chuan bi|thiet ke|phan tich|kiem tra|so sanh)\b"
)
FORMAT = re.compile(
    r"\b(toi da|khong qua|duoi|khoang|it hon)\s*\d+|\b\d+\s*(cau|dong|doan|muc|chu|tu|y|gach)\b|"
    r"\b(dang bang|bang|gach dau dong|danh sach|ngan gon|do dai|mot trang|tieu de|muc)\b"
)
CONTEXT_MARKERS = re.compile(
    r"\b(cho|ve|tai|o|ngay|luc|thang|nam|thon|xa|phuong|htx|hop tac xa|nguoi|ba con|"
    r"khach|doi tuong|gui|dia diem|thoi gian|noi dung|vi|de)\b|\d"
)
MIN_CONTEXT_WORDS = 12
MIN_PROMPT_WORDS = 4

PARTS = (
    ("Vai trò", "bắt đầu bằng «Bạn là…», ví dụ «Bạn là thư ký UBND xã»"),
    ("Việc cần làm", "nói rõ việc: viết, soạn, tóm tắt, lập…"),
    ("Bối cảnh", "thêm ai, ở đâu, khi nào, để làm gì"),
    ("Định dạng", "nói độ dài hay hình thức: «tối đa 5 câu», «dạng bảng»"),
)


def check(prompt: str) -> list[bool]:
    """Which of role, task, context, format the prompt has."""
    text = fold(prompt)
    words = text.split()
    context = len(words) >= MIN_CONTEXT_WORDS and len(CONTEXT_MARKERS.findall(text)) >= 2
    return [bool(ROLE.search(text)), bool(TASK.search(text)), context, bool(FORMAT.search(text))]


def task_message(lesson: Lesson, next_index: int) -> Outbound:
    return Outbound(
        f"✍️ Thực hành\n\n{lesson.practice.task}\n\nBạn gõ câu lệnh của mình vào đây nhé.",
        (
            Choice("Xem câu lệnh mẫu", A.make(A.PRACTICE_EXAMPLE, lesson.id)),
            Choice("Làm câu hỏi ▶", A.make(A.CARD, lesson.id, next_index)),
        ),
    )


def feedback(lesson: Lesson, prompt: str, next_index: int) -> Outbound:
    if len(fold(prompt).split()) < MIN_PROMPT_WORDS:
        return Outbound(
            "Câu lệnh hơi ngắn. Bạn thử viết đủ 4 phần: vai trò, việc cần làm, "
            "bối cảnh, định dạng nhé.",
            _after(lesson, next_index),
        )
    found = check(prompt)
    lines = [
        f"✅ {name}" if ok else f"❌ {name}: {hint}"
        for (name, hint), ok in zip(PARTS, found, strict=True)
    ]
    score = sum(found)
    head = (
        "Tuyệt! Câu lệnh của bạn đủ cả 4 phần."
        if score == 4
        else f"Câu lệnh của bạn có {score}/4 phần. Bạn sửa thêm rồi gửi lại nhé."
    )
    return Outbound(head + "\n\n" + "\n".join(lines), _after(lesson, next_index))


def example(lesson: Lesson, next_index: int) -> Outbound:
    return Outbound(f"Câu lệnh mẫu:\n\n{lesson.practice.example}", _after(lesson, next_index))


def _after(lesson: Lesson, next_index: int) -> tuple[Choice, ...]:
    return (
        Choice("Xem câu lệnh mẫu", A.make(A.PRACTICE_EXAMPLE, lesson.id)),
        Choice("Làm câu hỏi ▶", A.make(A.CARD, lesson.id, next_index)),
    )
