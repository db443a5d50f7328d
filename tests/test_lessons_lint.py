"""The content linter: each rule fires on a broken lesson, with file and line."""

import subprocess
import sys

import pytest

from lessons.lint import foreign_words, lint, sentences_without_diacritics
from lessons.loader import load_catalog
from tests.test_lessons_loader import GOOD_LESSON, make


def findings(tmp_path, lesson: str = GOOD_LESSON, module: str | None = None) -> list[str]:
    root = make(tmp_path, lesson=lesson, **({"module": module} if module else {}))
    catalog, problems = load_catalog(root)
    assert problems == []
    return [f"{p.file.name}:{p.line}: {p.message}" for p in lint(catalog)]


def test_a_clean_lesson_has_no_findings(tmp_path):
    assert findings(tmp_path) == []


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "  - Thẻ hai.",
            "  - Ban hay bam nut tiep theo de hoc bai moi.",
            "x-1.yaml:6: cards.1: sentence without diacritics: «Ban hay bam nut",
        ),
        (
            "  - Thẻ ba.",
            "  - Bạn hãy download file rồi click vào đây.",
            "x-1.yaml:7: cards.2: not Vietnamese and not in lessons/allowed_words.txt: click, "
            "download, file",
        ),
        (
            "  - Thẻ một.",
            "  - Luật mới có hiệu lực từ năm 2026.",
            "x-1.yaml:5: cards.0 states a fact («2026») but the lesson has no sources",
        ),
        (
            "    question: Câu hỏi hai?",
            "    question: Câu hỏi một?",
            "x-1.yaml:16: same question as x-1.q1",
        ),
        (
            "  - Thẻ một.",
            "  - " + "Một câu dài vừa phải để đọc. " * 130,
            "x-1.yaml:4: cards take 5.2 minutes to read (max 5)",
        ),
    ],
)
def test_each_rule_reports_file_and_line(tmp_path, old, new, expected):
    lesson = GOOD_LESSON.replace(old, new, 1)
    if "Một câu dài" in new:  # keep the card itself within 600 characters: spread over cards
        chunk = "Một câu dài vừa phải để đọc. " * 20
        lesson = GOOD_LESSON.replace(
            "cards:\n  - Thẻ một.\n  - Thẻ hai.\n  - Thẻ ba.\n",
            "cards:\n" + f"  - {chunk}\n" * 6,
        )
        expected = "x-1.yaml:4: cards take 5.6 minutes to read (max 5)"
    found = findings(tmp_path, lesson)
    assert any(f.startswith(expected) for f in found), found


def test_unbalanced_answers_and_giveaways(tmp_path):
    # Every question: the right option first, and longer than the wrong one.
    lesson = GOOD_LESSON.replace(
        "      - text: Sai\n      - text: Có\n        correct: true",
        "      - text: Có\n        correct: true\n      - text: Sai",
    )
    lesson = lesson.replace("- text: Có", "- text: Có, đúng vậy")
    found = findings(tmp_path, lesson)
    assert "module.yaml:1: answers unbalanced: option 1 is correct in 4 of 4 questions" in found
    assert "module.yaml:1: giveaway: the right option is the longest in 4 of 4 questions" in found


def test_word_rules():
    allowed = {"ai", "zalo"}
    assert (
        foreign_words("AI trên Zalo, UBND, KH-UBND, https://x.com/a và LuyenAI.vn", allowed) == []
    )
    assert foreign_words("Bạn mở app rồi login", allowed) == ["app", "login"]
    assert sentences_without_diacritics("Đây là câu có dấu. Con meo an ca.", allowed) == [
        "Con meo an ca."
    ]


def test_the_shipped_curriculum_passes_the_linter():
    done = subprocess.run(
        [sys.executable, "-m", "bot", "lessons", "check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
    assert "44 glossary terms" in done.stdout or "glossary terms" in done.stdout


@pytest.mark.parametrize(
    "url, fires",
    [
        ("https://soha.vn", "home page"),
        ("https://soha.vn/", "home page"),
        ("https://vtcnews.vn/…ar933959.html", "elided"),
        ("https://baolaocai.vn/...post401819.html", "elided"),
        ("https://vtcnews.vn/thu-tuong-binh-dan-hoc-vu-so-ar933959.html", None),
        ("https://aitv.vn/?p=18785", None),
    ],
)
def test_a_source_must_be_the_page_that_states_the_fact(tmp_path, url, fires):
    lesson = GOOD_LESSON + f"sources:\n  - title: Báo\n    url: {url}\n"
    found = [f for f in findings(tmp_path, lesson) if "sources.0.url" in f]
    if fires:
        assert len(found) == 1 and found[0].startswith("x-1.yaml:39: sources.0.url"), found
        assert fires in found[0]
    else:
        assert found == []


def test_a_home_page_source_fails_the_check(tmp_path):
    lesson = GOOD_LESSON + "sources:\n  - title: Báo\n    url: https://kenh14.vn\n"
    root = make(tmp_path, lesson=lesson)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "lessons", "check", "--dir", str(root)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stdout
    assert "home page" in done.stdout


ANSWERABLE = GOOD_LESSON.replace(
    "  - Thẻ một.", "  - AI đoán theo mẫu đã học, nên có thể sai. Hãy đọc lại trước khi gửi."
).replace(
    "      - text: Có\n        correct: true\n      - text: Sai\n    explanation: Vì thế.",
    "      - text: {right}\n        correct: true\n      - text: {wrong}\n    explanation: Vì thế.",
)


@pytest.mark.parametrize(
    "right, wrong, warns",
    [
        # Common sense, nothing from the cards: a guess gets it right.
        ("Giữ bình tĩnh và suy nghĩ kỹ", "Hoảng sợ chạy khắp xóm", True),
        # The right option names what the cards teach.
        ("Đọc lại trước khi gửi", "Gửi ngay cho nhanh", False),
        # Too short to judge.
        ("Đúng", "Sai", False),
    ],
)
def test_a_question_answerable_without_the_lesson_is_a_warning(tmp_path, right, wrong, warns):
    root = make(tmp_path, lesson=ANSWERABLE.format(right=right, wrong=wrong))
    catalog, problems = load_catalog(root)
    assert problems == []
    found = [p for p in lint(catalog) if "without the lesson" in p.message]
    if warns:
        assert len(found) == 1 and found[0].warning and found[0].line == 9, found
        assert str(found[0]).endswith(
            "x-1.yaml:9: warning: quiz.0 (q1): no option shares a word with the cards; "
            "it can be answered without the lesson"
        )
        done = subprocess.run(
            [sys.executable, "-m", "bot", "lessons", "check", "--dir", str(root)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout  # a warning does not fail the check
        assert "warning: quiz.0 (q1)" in done.stdout
    else:
        assert found == []
