"""The lesson validator: every problem named with file:line; the CLI exits non-zero."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import LESSONS_DIR
from lessons.loader import load_catalog

GOOD_LESSON = """\
id: x-1
title: Bài thử
minutes: 3
cards:
  - Thẻ một.
  - Thẻ hai.
  - Thẻ ba.
quiz:
  - id: q1
    question: Câu hỏi một?
    options:
      - text: Có
        correct: true
      - text: Sai
    explanation: Vì thế.
  - id: q2
    question: Câu hỏi hai?
    options:
      - text: Sai
      - text: Có
        correct: true
    explanation: Vì vậy.
  - id: q3
    question: Câu hỏi ba?
    options:
      - text: Có
        correct: true
      - text: Sai
    explanation: Bởi vì.
  - id: q4
    question: Câu hỏi bốn?
    options:
      - text: Sai
      - text: Có
        correct: true
    explanation: Do đó.
"""
GOOD_MODULE = "id: x\ntitle: Module thử\norder: 1\ngroups: [all]\nlessons: [x-1]\n"
GOOD_EXAM = """\
# The module's final-assessment bank.
x-1:
  - id: e1
    question: Câu kiểm tra một?
    options:
      - text: Có
        correct: true
      - text: Sai
    explanation: Vì thế.
  - id: e2
    question: Câu kiểm tra hai?
    options:
      - text: Sai
      - text: Có
        correct: true
    explanation: Vì vậy.
  - id: e3
    question: Câu kiểm tra ba?
    options:
      - text: Có
        correct: true
      - text: Sai
    explanation: Bởi vì.
"""


def make(
    tmp_path: Path,
    lesson: str = GOOD_LESSON,
    module: str = GOOD_MODULE,
    exam: str | None = GOOD_EXAM,
) -> Path:
    folder = tmp_path / "content" / "x"
    folder.mkdir(parents=True)
    (folder / "module.yaml").write_text(module, encoding="utf-8")
    (folder / "x-1.yaml").write_text(lesson, encoding="utf-8")
    if exam is not None:
        (folder / "exam.yaml").write_text(exam, encoding="utf-8")
    return tmp_path / "content"


def problems(root: Path) -> list[str]:
    return [f"{p.file.name}:{p.line}: {p.message}" for p in load_catalog(root)[1]]


def test_the_shipped_curriculum_is_valid():
    catalog, found = load_catalog(LESSONS_DIR)
    assert found == []
    assert [m.id for m in catalog.modules] == [f"m{i}" for i in range(1, 9)]
    assert len(catalog.lessons) >= 36
    assert sum(len(lesson.quiz) for lesson in catalog.lessons.values()) >= 150
    assert all(len(lesson.quiz) >= 4 for lesson in catalog.lessons.values())
    assert len(catalog.glossary) >= 40


def test_a_good_module_loads(tmp_path):
    catalog, found = load_catalog(make(tmp_path))
    assert found == []
    assert catalog.lessons["x-1"].quiz[1].correct_index == 1


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "  - Thẻ hai.",
            "  - " + "chữ " * 200,
            "x-1.yaml:6: cards[1]: String should have at most 600",
        ),
        (
            "      - text: Sai\n    explanation: Vì thế.",
            "      - text: Sai\n        correct: true\n    explanation: Vì thế.",
            "x-1.yaml:9: quiz[0]: exactly one option must be correct",
        ),
        (
            "minutes: 3",
            "minutes: 90",
            "x-1.yaml:3: minutes: Input should be less than or equal to 15",
        ),
        ("id: x-1", "id: X 1", "x-1.yaml:1: id: String should match pattern"),
        ("  - id: q2", "  - id: q1", "x-1.yaml:16: quiz[1].id: q1 used twice"),
        ("title: Bài thử\n", "title: Bài thử\ntitle: Lặp\n", "x-1.yaml:3: key 'title' given twice"),
        ("    question: Câu hỏi hai?", "    question: [oops", "x-1.yaml:18: YAML syntax"),
        ("  - Thẻ ba.\n", "", "x-1.yaml:4: cards: List should have at least 3 items"),
        (
            "minutes: 3\n",
            "minutes: 3\ncolor: red\n",
            "x-1.yaml:4: color: Extra inputs are not permitted",
        ),
    ],
)
def test_each_broken_lesson_is_reported_with_file_and_line(tmp_path, old, new, expected):
    assert old in GOOD_LESSON
    found = problems(make(tmp_path, lesson=GOOD_LESSON.replace(old, new, 1)))
    assert any(p.startswith(expected) for p in found), found


def test_module_problems(tmp_path):
    module = "id: x\ntitle: T\norder: 1\ngroups: [all, martians]\nlessons: [x-1]\n"
    found = problems(make(tmp_path / "a", module=module))
    assert found == [
        "module.yaml:4: groups: unknown learner group martians; use all or dan, cb, dn, che, hs"
    ]
    module = "id: x\ntitle: T\norder: 1\ngroups: [all]\nlessons:\n  - x-1\n  - x-9\n"
    found = problems(make(tmp_path / "b", module=module))
    assert found == ["module.yaml:7: lessons[1]: no lesson with id x-9"]


def test_unlisted_lessons_and_duplicate_ids(tmp_path):
    root = make(tmp_path, module=GOOD_MODULE.replace("[x-1]", "[x-1]"))
    (root / "x" / "x-2.yaml").write_text(GOOD_LESSON.replace("id: x-1", "id: x-2"), "utf-8")
    (root / "x" / "x-3.yaml").write_text(GOOD_LESSON, "utf-8")
    found = problems(root)
    assert "x-2.yaml:1: lesson x-2 is not listed in any module.yaml" in found
    assert any(p.startswith("x-3.yaml:1: lesson id x-1 also in") for p in found)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "lessons", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_check_fails_on_a_broken_folder(tmp_path):
    root = make(tmp_path, lesson=GOOD_LESSON.replace("minutes: 3", "minutes: 0"))
    done = run_cli("check", "--dir", str(root))
    assert done.returncode == 1
    assert "x-1.yaml:3: minutes: Input should be greater than or equal to 1" in done.stdout
    assert "1 problem(s) found." in done.stderr


def test_cli_check_and_stats_on_the_shipped_lessons(tmp_path):
    done = run_cli("check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK: 8 modules, ")
    stats = json.loads(run_cli("stats", "--json").stdout)
    assert [s["module"] for s in stats["modules"]] == [f"m{i}" for i in range(1, 9)]
    assert stats["modules"][0]["questions"] == 20
    table = run_cli("stats").stdout
    assert "total" in table and "An toàn" in table


def test_copy_of_shipped_lessons_still_validates(tmp_path):
    shutil.copytree(LESSONS_DIR, tmp_path / "c")
    assert load_catalog(tmp_path / "c")[1] == []
