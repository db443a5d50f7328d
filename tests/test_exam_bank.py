"""The final-assessment bank (exam.yaml per module): questions no lesson quiz shows, every
problem named with file:line, at least 3 per lesson, both pools in the stats."""

import json
import subprocess
import sys

import pytest

from bot.config import LESSONS_DIR
from lessons.limits import EXAM_MIN_PER_LESSON
from lessons.lint import lint
from lessons.loader import load_catalog, question_key
from tests.test_lessons_loader import GOOD_EXAM, GOOD_LESSON, make, problems


def lint_findings(root) -> list[str]:
    catalog, found = load_catalog(root)
    assert found == []
    return [f"{p.file.name}:{p.line}: {p.message}" for p in lint(catalog)]


def test_a_good_bank_loads_beside_its_lessons(tmp_path):
    catalog, found = load_catalog(make(tmp_path))
    assert found == []
    assert [q.id for q in catalog.exam["x-1"]] == ["e1", "e2", "e3"]
    assert catalog.exam_question("x-1", "e2").correct_index == 1
    assert catalog.exam_question("x-1", "q1") is None  # quiz questions are not in the bank
    assert lint_findings(tmp_path / "content") == []


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("x-1:", "x-9:", "exam.yaml:2: x-9: no lesson with id x-9"),
        ("  - id: e2", "  - id: e1", "exam.yaml:10: x-1[1].id: e1 used twice"),
        ("  - id: e3", "  - id: q1", "exam.yaml:17: x-1[2].id: q1 is a quiz id of x-1"),
        (
            "    question: Câu kiểm tra hai?",
            "    question: '  câu HỎI   hai?'",
            "exam.yaml:11: x-1[1]: same question as quiz x-1.q2: learners have seen it",
        ),
        (
            "    question: Câu kiểm tra ba?",
            "    question: Câu kiểm tra một?",
            "exam.yaml:18: x-1[2]: same question as x-1.e1",
        ),
        (
            "      - text: Sai\n    explanation: Vì thế.",
            "      - text: Sai\n        correct: true\n    explanation: Vì thế.",
            "exam.yaml:3: x-1[0]: exactly one option must be correct",
        ),
        ("    explanation: Bởi vì.\n", "", "exam.yaml:17: x-1[2].explanation: Field required"),
        ("x-1:\n", "x-1:\nx-1:\n", "exam.yaml:3: key 'x-1' given twice"),
    ],
)
def test_each_broken_bank_is_reported_with_file_and_line(tmp_path, old, new, expected):
    assert old in GOOD_EXAM
    found = problems(make(tmp_path, exam=GOOD_EXAM.replace(old, new, 1)))
    assert any(p.startswith(expected) for p in found), found


def test_a_bank_that_is_not_a_mapping(tmp_path):
    found = problems(make(tmp_path, exam="- id: e1\n"))
    assert found == ["exam.yaml:1: expected lesson ids as keys (m1-1:) with questions"]


def test_a_lesson_of_another_module_belongs_in_that_modules_bank(tmp_path):
    root = make(tmp_path)
    other = root / "y"
    other.mkdir()
    (other / "module.yaml").write_text(
        "id: y\ntitle: Khác\norder: 2\ngroups: [cb]\nlessons: [y-1]\n", "utf-8"
    )
    (other / "y-1.yaml").write_text(
        GOOD_LESSON.replace("id: x-1", "id: y-1").replace("Câu hỏi", "Hỏi"), "utf-8"
    )
    (other / "exam.yaml").write_text(GOOD_EXAM.replace("Câu kiểm tra", "Kiểm tra"), "utf-8")
    found = problems(root)
    assert found == ["exam.yaml:2: x-1: not a lesson of y; use module x's exam.yaml"]


def test_check_wants_enough_bank_questions_for_every_lesson(tmp_path):
    short = GOOD_EXAM.split("  - id: e3")[0]
    assert lint_findings(make(tmp_path / "a", exam=short)) == [
        f"exam.yaml:2: x-1: 2 in exam.yaml; every lesson needs at least {EXAM_MIN_PER_LESSON} "
        "final-assessment questions"
    ]
    assert lint_findings(make(tmp_path / "b", exam=None)) == [
        "module.yaml:5: x-1: no exam.yaml beside this module.yaml; every lesson needs at least "
        f"{EXAM_MIN_PER_LESSON} final-assessment questions"
    ]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "lessons", "check", "--dir", str(tmp_path / "b" / "content")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "x-1: no exam.yaml" in done.stdout


def test_bank_questions_follow_the_word_rules(tmp_path):
    exam = GOOD_EXAM.replace("explanation: Vì vậy.", "explanation: Ban hay doc lai bai hoc nay.")
    assert lint_findings(make(tmp_path, exam=exam)) == [
        "exam.yaml:16: x-1.1.explanation: sentence without diacritics: «Ban hay doc lai bai hoc "
        "nay.»"
    ]


def test_the_shipped_bank_is_new_to_learners():
    """No bank question is worded like any lesson quiz question, and every lesson has its
    share (the whole rule set runs in test_the_shipped_curriculum_passes_the_linter)."""
    catalog, found = load_catalog(LESSONS_DIR)
    assert found == []
    quiz = {question_key(q.question) for les in catalog.lessons.values() for q in les.quiz}
    bank = [q for questions in catalog.exam.values() for q in questions]
    assert len(bank) >= EXAM_MIN_PER_LESSON * len(catalog.lessons)
    assert not [q.question for q in bank if question_key(q.question) in quiz]
    short = [lid for lid in catalog.lessons if len(catalog.exam.get(lid, ())) < 3]
    assert short == [], f"lessons without {EXAM_MIN_PER_LESSON} bank questions: {short}"


def test_stats_show_both_pools(tmp_path):
    run = [sys.executable, "-m", "bot", "lessons", "stats", "--dir", str(make(tmp_path))]
    data = json.loads(subprocess.run([*run, "--json"], capture_output=True, text=True).stdout)
    assert (data["modules"][0]["questions"], data["modules"][0]["exam"]) == (4, 3)
    dan = next(t for t in data["tracks"] if t["group"] == "dan")
    assert (dan["questions"], dan["exam"]) == (4, 3)
    table = subprocess.run(run, capture_output=True, text=True).stdout
    assert "quiz" in table and "exam" in table
    assert table.splitlines()[1].split()[:4] == ["x", "1", "4", "3"]
