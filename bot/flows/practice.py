"""Prompt-writing practice (module M3): rule-based feedback on role, task, context, format.

With a model configured, the AI tutor grades by the rubric in prompts/ (bot/tutor/grader.py);
these rules are the offline fallback.
"""

import re

from bot import actions as A
from bot.flows.texts import common as shared
from bot.flows.texts import practice as texts
from bot.messages import Choice, Outbound
from bot.textutil import fold
from lessons.schema import Lesson, Practice

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
PARTS = texts.PARTS  # bot/tutor/grader.py names the parts by these too


def check(prompt: str) -> list[bool]:
    """Which of role, task, context, format the prompt has."""
    text = fold(prompt)
    words = text.split()
    context = len(words) >= MIN_CONTEXT_WORDS and len(CONTEXT_MARKERS.findall(text)) >= 2
    return [bool(ROLE.search(text)), bool(TASK.search(text)), context, bool(FORMAT.search(text))]


def task_message(lesson: Lesson, next_index: int) -> Outbound:
    return Outbound(texts.task(_practice(lesson).task), _after(lesson, next_index))


def feedback(lesson: Lesson, prompt: str, next_index: int) -> Outbound:
    if len(fold(prompt).split()) < MIN_PROMPT_WORDS:
        return Outbound(texts.TOO_SHORT, _after(lesson, next_index))
    found = check(prompt)
    lines = [texts.part(name, hint, ok) for (name, hint), ok in zip(PARTS, found, strict=True)]
    score = sum(found)
    head = texts.ALL_PARTS if score == 4 else texts.some_parts(score)
    return Outbound(head + "\n\n" + "\n".join(lines), _after(lesson, next_index))


def example(lesson: Lesson, next_index: int) -> Outbound:
    return Outbound(texts.example(_practice(lesson).example), _after(lesson, next_index))


def _after(lesson: Lesson, next_index: int) -> tuple[Choice, ...]:
    return (
        Choice(texts.SEE_EXAMPLE, A.make(A.PRACTICE_EXAMPLE, lesson.id)),
        Choice(shared.TO_QUESTIONS, A.make(A.CARD, lesson.id, next_index)),
    )


def _practice(lesson: Lesson) -> Practice:
    assert lesson.practice is not None  # only a lesson with a practice has these steps
    return lesson.practice
