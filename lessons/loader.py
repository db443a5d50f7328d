"""Load and validate the curriculum; every problem is reported with file and line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from lessons import limits as L
from lessons.schema import ExamBank, FaqEntry, Lesson, Module, Question, Term

MODULE_FILE = "module.yaml"
EXAM_FILE = "exam.yaml"  # a module's final-assessment bank (see docs/LESSONS.md)
GLOSSARY_FILE = "glossary.yaml"
FAQ_FILE = "faq.yaml"
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    message: str
    # A warning is printed by `hocai lessons check` but does not fail it.
    warning: bool = False

    def __str__(self) -> str:
        try:
            shown = os.path.relpath(self.file)
        except ValueError:
            shown = str(self.file)
        return f"{shown}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"


class LessonError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Catalog:
    """The validated curriculum, ordered for teaching."""

    modules: list[Module] = field(default_factory=list)
    glossary: list[Term] = field(default_factory=list)
    lessons: dict[str, Lesson] = field(default_factory=dict)
    module_of: dict[str, Module] = field(default_factory=dict)
    # The final-assessment bank: lesson id -> questions no lesson quiz shows (exam.yaml).
    exam: dict[str, list[Question]] = field(default_factory=dict)
    # Where each lesson and module came from, for the linter's file:line reports.
    files: dict[str, tuple[Path, dict]] = field(default_factory=dict, repr=False)
    module_files: dict[str, Path] = field(default_factory=dict, repr=False)
    module_lines: dict[str, dict] = field(default_factory=dict, repr=False)
    exam_files: dict[str, tuple[Path, dict]] = field(default_factory=dict, repr=False)
    glossary_file: tuple[Path, dict] | None = field(default=None, repr=False)
    faq: list[FaqEntry] = field(default_factory=list)  # the tutor answers these first

    def module(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)

    def modules_for(self, group: str | None) -> list[Module]:
        return [m for m in self.modules if m.is_for(group)]

    def track(self, group: str | None) -> list[Lesson]:
        """Lessons in teaching order for a learner group."""
        return [self.lessons[lid] for m in self.modules_for(group) for lid in m.lessons]

    def exam_question(self, lesson_id: str, qid: str) -> Question | None:
        return next((q for q in self.exam.get(lesson_id, ()) if q.id == qid), None)

    def position(self, lesson_id: str) -> str:
        """'1.2' for the second lesson of the module ordered first, for display."""
        mod = self.module_of[lesson_id]
        return f"{mod.order}.{mod.lessons.index(lesson_id) + 1}"


# --- YAML with line numbers -------------------------------------------------------------


def _read_yaml(path: Path, problems: list[Problem]) -> tuple[object, dict[tuple, int]] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        problems.append(Problem(path, 1, f"not UTF-8 text ({e.reason})"))
        return None
    # libyaml's parser when PyYAML has it (it gives the same nodes and marks): the pure
    # Python one took most of `hocai chat`'s start-up (docs/PERFORMANCE.md, cold start).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(Problem(path, 1, "the file is empty"))
            return None
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        problems.append(Problem(path, line, f"YAML syntax: {e.problem or e.context}"))
        return None
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    _walk(node, (), lines, path, problems)
    return data, lines


def _walk(node: yaml.Node, at: tuple, lines: dict, path: Path, problems: list[Problem]) -> None:
    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key, value in node.value:
            name = key.value
            if name in seen:
                problems.append(Problem(path, key.start_mark.line + 1, f"key '{name}' given twice"))
            seen.add(name)
            lines[at + (name,)] = key.start_mark.line + 1
            _walk(value, at + (name,), lines, path, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, at + (i,), lines, path, problems)


def _line_for(loc: tuple, lines: dict[tuple, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _where(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validation_problems(
    e: ValidationError, path: Path, lines: dict, prefix: tuple = ()
) -> Iterator[Problem]:
    for err in e.errors():
        loc = prefix + tuple(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "string_too_long" and isinstance(err.get("input"), str):
            msg += f" (has {len(err['input'].strip())})"
        where = _where(loc)
        yield Problem(path, _line_for(loc, lines), f"{where}: {msg}" if where else msg)


def _load_glossary(path: Path, problems: list[Problem], catalog: Catalog) -> list[Term]:
    read = _read_yaml(path, problems)
    if read is None:
        return []
    data, lines = read
    catalog.glossary_file = (path, lines)
    if not isinstance(data, list):
        problems.append(Problem(path, 1, "expected a list of entries (- term: …)"))
        return []
    terms: list[Term] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data):
        try:
            term = Term.model_validate(item)
        except ValidationError as e:
            problems.extend(_validation_problems(e, path, lines, (i,)))
            continue
        key = term.term.casefold()
        if key in seen:
            problems.append(Problem(path, lines[(i,)], f"term also at line {seen[key]}"))
            continue
        seen[key] = lines[(i,)]
        terms.append(term)
    return terms


def _load_faq(path: Path, problems: list[Problem], catalog: Catalog) -> list[FaqEntry]:
    """FAQ entries whose lesson exists; a question written twice is reported once."""
    read = _read_yaml(path, problems)
    if read is None:
        return []
    data, lines = read
    if not isinstance(data, list):
        problems.append(Problem(path, 1, "expected a list of entries (- questions: …)"))
        return []
    entries: list[FaqEntry] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data):
        try:
            entry = FaqEntry.model_validate(item)
        except ValidationError as e:
            problems.extend(_validation_problems(e, path, lines, (i,)))
            continue
        if entry.lesson not in catalog.lessons:
            line = lines.get((i, "lesson"), lines[(i,)])
            problems.append(Problem(path, line, f"lesson: no lesson with id {entry.lesson}"))
            continue
        for j, q in enumerate(entry.questions):
            key = " ".join(q.casefold().split())
            line = lines.get((i, "questions", j), lines[(i,)])
            if key in seen:
                problems.append(Problem(path, line, f"questions[{j}]: also at line {seen[key]}"))
            seen.setdefault(key, line)
        entries.append(entry)
    return entries


def _parse(
    model: type[M], path: Path, problems: list[Problem], raw_ids: set | None = None
) -> tuple[M, dict[tuple, int]] | None:
    read = _read_yaml(path, problems)
    if read is None:
        return None
    data, lines = read
    if not isinstance(data, dict):
        problems.append(Problem(path, 1, "expected keys such as id: and title: at the top"))
        return None
    if raw_ids is not None:
        raw_ids.add(str(data.get("id")))
    try:
        return model.model_validate(data), lines
    except ValidationError as e:
        problems.extend(_validation_problems(e, path, lines))
        return None


# --- the curriculum ----------------------------------------------------------------------


def _payloads(lesson: Lesson) -> list[str]:
    """The button payloads the engine builds from this lesson's ids (see bot.actions)."""
    out = [f"l:{lesson.id}", f"t:{lesson.id}:{L.CARDS_MAX}"]
    out += [f"a:{lesson.id}:{q.id}:{len(q.options) - 1}" for q in lesson.quiz]
    return out


def load_catalog(root: Path) -> tuple[Catalog, list[Problem]]:
    """Read every module folder under root. Returns the catalog and all problems found."""
    problems: list[Problem] = []
    catalog = Catalog()
    root = Path(root)
    if not root.is_dir():
        return catalog, [Problem(root, 1, "lessons folder not found")]

    lesson_at: dict[str, tuple[Path, int]] = {}
    invalid_ids: set[str] = set()  # lessons that failed validation: not "missing" too
    modules: list[tuple[Module, Path, dict]] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        mod_path = folder / MODULE_FILE
        if not mod_path.exists():
            problems.append(Problem(folder, 1, f"module folder without {MODULE_FILE}"))
        else:
            parsed_module = _parse(Module, mod_path, problems)
            if parsed_module:
                modules.append((parsed_module[0], mod_path, parsed_module[1]))
        for path in sorted(folder.glob("*.y*ml")):
            if path.name in (MODULE_FILE, EXAM_FILE):
                continue
            raw_ids: set[str] = set()
            parsed = _parse(Lesson, path, problems, raw_ids)
            if not parsed:
                invalid_ids |= raw_ids
                continue
            lesson, lines = parsed
            for i, q in enumerate(lesson.quiz):
                if any(other.id == q.id for other in lesson.quiz[:i]):
                    line = lines[("quiz", i, "id")]
                    problems.append(Problem(path, line, f"quiz[{i}].id: {q.id} used twice"))
            if lesson.id in lesson_at:
                first, first_line = lesson_at[lesson.id]
                problems.append(
                    Problem(
                        path, lines[("id",)], f"lesson id {lesson.id} also in {first}:{first_line}"
                    )
                )
                continue
            lesson_at[lesson.id] = (path, lines[("id",)])
            catalog.lessons[lesson.id] = lesson
            catalog.files[lesson.id] = (path, lines)
            for payload in _payloads(lesson):
                if len(payload.encode()) > L.BUTTON_PAYLOAD_MAX_BYTES:
                    problems.append(
                        Problem(path, 1, f"button payload {payload!r} over 64 bytes: shorten ids")
                    )

    seen_ids: dict[str, Path] = {}
    seen_orders: dict[int, Path] = {}
    for mod, path, lines in sorted(modules, key=lambda t: t[0].order):
        if mod.id in seen_ids:
            problems.append(
                Problem(path, lines[("id",)], f"module id {mod.id} also in {seen_ids[mod.id]}")
            )
            continue
        if mod.order in seen_orders:
            problems.append(
                Problem(
                    path, lines[("order",)], f"order {mod.order} also in {seen_orders[mod.order]}"
                )
            )
        seen_ids[mod.id] = path
        seen_orders[mod.order] = path
        catalog.module_files[mod.id] = path
        catalog.module_lines[mod.id] = lines
        for i, lid in enumerate(mod.lessons):
            line = lines.get(("lessons", i), lines[("lessons",)])
            if lid in invalid_ids:
                continue
            if lid not in catalog.lessons:
                problems.append(Problem(path, line, f"lessons[{i}]: no lesson with id {lid}"))
            elif lid in catalog.module_of:
                other = catalog.module_of[lid].id
                problems.append(Problem(path, line, f"lesson {lid} is already in module {other}"))
            else:
                catalog.module_of[lid] = mod
        catalog.modules.append(mod)

    modules_ok = len(modules) == sum(1 for p in root.iterdir() if (p / MODULE_FILE).exists())
    for lid, (path, line) in lesson_at.items():
        if modules_ok and lid not in catalog.module_of:
            problems.append(Problem(path, line, f"lesson {lid} is not listed in any module.yaml"))
    for mod in catalog.modules:
        exam_path = catalog.module_files[mod.id].parent / EXAM_FILE
        if exam_path.exists():
            _load_exam(exam_path, mod, problems, catalog, invalid_ids)
    if (root / GLOSSARY_FILE).exists():
        catalog.glossary = _load_glossary(root / GLOSSARY_FILE, problems, catalog)
    if (root / FAQ_FILE).exists():
        catalog.faq = _load_faq(root / FAQ_FILE, problems, catalog)
    if not catalog.modules and not problems:
        problems.append(Problem(root, 1, "no modules found"))
    return catalog, problems


def question_key(text: str) -> str:
    """Question wording compared without case and spacing."""
    return " ".join(text.casefold().split())


def _load_exam(
    path: Path, module: Module, problems: list[Problem], catalog: Catalog, invalid: set[str]
) -> None:
    """A module's exam.yaml: lesson id -> questions. Each must be new to the learner: not
    the wording of any lesson's quiz question, nor of another bank question."""
    read = _read_yaml(path, problems)
    if read is None:
        return
    data, lines = read
    if not isinstance(data, dict):
        problems.append(Problem(path, 1, "expected lesson ids as keys (m1-1:) with questions"))
        return
    try:
        bank = ExamBank.model_validate({str(k): v for k, v in data.items()}).root
    except ValidationError as e:
        problems.extend(_validation_problems(e, path, lines))
        return
    catalog.exam_files[module.id] = (path, lines)
    quiz_wording = {
        question_key(q.question): f"{lid}.{q.id}"
        for lid, lesson in catalog.lessons.items()
        for q in lesson.quiz
    }
    bank_wording = {
        question_key(q.question): f"{lid}.{q.id}"
        for lid, questions in catalog.exam.items()
        for q in questions
    }
    for lid, questions in bank.items():
        line = lines.get((lid,), 1)
        if lid in invalid:  # already reported
            continue
        if lid not in catalog.lessons:
            problems.append(Problem(path, line, f"{lid}: no lesson with id {lid}"))
            continue
        if lid not in module.lessons:
            owner = catalog.module_of.get(lid)
            where = f"module {owner.id}'s {EXAM_FILE}" if owner else "its module's exam file"
            problems.append(Problem(path, line, f"{lid}: not a lesson of {module.id}; use {where}"))
            continue
        quiz_ids = {q.id for q in catalog.lessons[lid].quiz}
        kept: list[Question] = []
        for i, q in enumerate(questions):
            at = lines.get((lid, i, "id"), line)
            key = question_key(q.question)
            if any(other.id == q.id for other in kept):
                problems.append(Problem(path, at, f"{lid}[{i}].id: {q.id} used twice"))
            elif q.id in quiz_ids:
                problems.append(
                    Problem(path, at, f"{lid}[{i}].id: {q.id} is a quiz id of {lid}; use e1, e2…")
                )
            elif key in quiz_wording:
                problems.append(
                    Problem(
                        path,
                        lines.get((lid, i, "question"), at),
                        f"{lid}[{i}]: same question as quiz {quiz_wording[key]}: learners have "
                        "seen it",
                    )
                )
            elif key in bank_wording:
                problems.append(
                    Problem(
                        path,
                        lines.get((lid, i, "question"), at),
                        f"{lid}[{i}]: same question as {bank_wording[key]}",
                    )
                )
            else:
                kept.append(q)
                bank_wording[key] = f"{lid}.{q.id}"
        catalog.exam[lid] = kept


def load_or_raise(root: Path) -> Catalog:
    catalog, problems = load_catalog(root)
    if problems:
        raise LessonError(problems)
    return catalog


def stats(catalog: Catalog) -> dict:
    """Counts per module and per learner group's track: both question pools, the lesson
    quizzes' ("questions") and the final assessment's ("exam")."""

    def row(lesson_ids: list[str]) -> dict:
        lessons = [catalog.lessons[lid] for lid in lesson_ids]
        return {
            "lessons": len(lessons),
            "questions": sum(len(les.quiz) for les in lessons),  # the lesson quizzes' pools
            "exam": sum(len(catalog.exam.get(les.id, ())) for les in lessons),
            "cards": sum(len(les.cards) for les in lessons),
            "minutes": sum(les.minutes for les in lessons),
        }

    modules = [
        {"module": m.id, "title": m.title, "groups": list(m.groups), **row(m.lessons)}
        for m in catalog.modules
    ]
    tracks = [
        {
            "group": code,
            "name": name,
            "modules": [m.id for m in catalog.modules_for(code)],
            **row([les.id for les in catalog.track(code)]),
        }
        for code, name in L.LEARNER_GROUPS.items()
    ]
    return {
        "modules": modules,
        "tracks": tracks,
        "total": row(list(catalog.lessons)),
        "glossary_terms": len(catalog.glossary),
    }
