"""Content linter: what the schema cannot see. Each finding has a file and a line.

Run by `hocai lessons check` after the loader. The rules are in docs/LESSONS.md.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from lessons.limits import EXAM_MIN_PER_LESSON
from lessons.loader import EXAM_FILE, Catalog, Problem
from lessons.schema import Lesson, Module, Question

LineOf = Callable[[tuple], int]  # the line of a path within a lesson file

ALLOWED_WORDS_FILE = Path(__file__).resolve().parent / "allowed_words.txt"
READING_SYLLABLES_PER_MINUTE = 150  # an unhurried reader on a phone
READING_MINUTES_MAX = 5
MIN_SENTENCE_WORDS = 4  # shorter fragments ("Ví dụ:") are not judged for diacritics
POSITION_EXCESS = 1.5  # a position may hold at most 1.5x its fair share of right answers
LONGEST_SHARE_MAX = 0.4  # the right option may be the longest at most this often

# A Vietnamese syllable written without diacritics: onset, vowels, final consonant.
_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x)?"
    r"[aeiouy]{1,3}(ch|ng|nh|c|m|n|p|t)?$"
)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
_URLISH = re.compile(r"https?://\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|gov)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+|\n+")
# Options with fewer content words than this are too short to judge (e.g. "Có" / "Không").
MIN_OPTION_WORDS = 3
# Vietnamese function words: sharing only these with the cards says nothing.
_STOPWORDS_TEXT = (
    "là và của có không được cho với các những một để thì mà này đó kia khi đã sẽ đang vì "
    "nên hay hoặc rồi ra vào trong ngoài trên dưới từ đến tới theo như cũng chỉ rất thật "
    "nhiều ít bạn mình người việc cái gì nào ở lại thêm nữa mới cần phải hãy đừng chưa "
    "bị do nếu thế vậy luôn ngay đi làm biết nói"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# A stated fact: a year, a document number, a percentage, a large figure.
_FACT = re.compile(r"\b(1[89]\d\d|20\d\d)\b|\b\d+/\d{4}/|\b\d+([.,]\d+)?\s?%|\b\d{1,3}(\.\d{3})+\b")


def allowed_words() -> set[str]:
    lines = ALLOWED_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return {w.strip().casefold() for w in lines if w.strip() and not w.startswith("#")}


def _has_marks(word: str) -> bool:
    return (
        any(unicodedata.category(c) == "Mn" for c in unicodedata.normalize("NFD", word))
        or "đ" in word.lower()
    )


def _is_acronym(word: str) -> bool:
    """UBND, CCCD, KH-UBND, NĐ-CP: upper-case parts of at most 6 letters."""
    return all(p.isupper() and len(p) <= 6 for p in word.split("-"))


def foreign_words(text: str, allowed: set[str]) -> list[str]:
    """Words that are neither Vietnamese syllables nor allowed (URLs, acronyms skipped)."""
    text = _URLISH.sub(" ", text)
    found = []
    for word in _WORD.findall(text):
        if _has_marks(word) or _is_acronym(word) or word.casefold() in allowed:
            continue
        parts = word.lower().split("-")
        if not all(_SYLLABLE.match(p) for p in parts):
            found.append(word)
    return found


def sentences_without_diacritics(text: str, allowed: set[str]) -> list[str]:
    out = []
    for sentence in _SENTENCE_END.split(_URLISH.sub(" ", text)):
        words = [
            w for w in _WORD.findall(sentence) if w.casefold() not in allowed and not _is_acronym(w)
        ]
        if len(words) >= MIN_SENTENCE_WORDS and not any(_has_marks(w) for w in words):
            out.append(sentence.strip())
    return out


def syllables(text: str) -> int:
    return len(_WORD.findall(text))


def _question_texts(at: tuple, q: Question) -> Iterator[tuple[tuple, str]]:
    yield (*at, "question"), q.question
    for j, o in enumerate(q.options):
        yield (*at, "options", j, "text"), o.text
    yield (*at, "explanation"), q.explanation


def _texts(lesson: Lesson) -> Iterator[tuple[tuple, str]]:
    """(path within the file, learner-facing text) for everything a lesson shows."""
    yield ("title",), lesson.title
    for i, card in enumerate(lesson.cards):
        yield ("cards", i), card
    for i, q in enumerate(lesson.quiz):
        yield from _question_texts(("quiz", i), q)
    if lesson.practice:
        yield ("practice", "task"), lesson.practice.task
        yield ("practice", "example"), lesson.practice.example


def _word_problems(
    path: Path, line: int, where: str, text: str, allowed: set[str]
) -> Iterator[Problem]:
    for s in sentences_without_diacritics(text, allowed):
        yield Problem(path, line, f"{where}: sentence without diacritics: «{s[:60]}»")
    words = sorted(set(foreign_words(text, allowed)))
    if words:
        yield Problem(
            path,
            line,
            f"{where}: not Vietnamese and not in lessons/allowed_words.txt: " + ", ".join(words),
        )


def lint(catalog: Catalog) -> list[Problem]:
    allowed = allowed_words()
    problems: list[Problem] = []
    seen_questions: dict[str, str] = {}
    for lesson_id, lesson in catalog.lessons.items():
        path, lines = catalog.files[lesson_id]

        def line(at: tuple, lines: dict[tuple, int] = lines) -> int:
            return lines.get(at, lines.get(at[:1], 1))

        for at, text in _texts(lesson):
            where = ".".join(str(p) for p in at)
            problems += _word_problems(path, line(at), where, text, allowed)
        reading = sum(syllables(c) for c in lesson.cards) / READING_SYLLABLES_PER_MINUTE
        if reading > READING_MINUTES_MAX:
            problems.append(
                Problem(path, line(("cards",)), f"cards take {reading:.1f} minutes to read (max 5)")
            )
        for i, q in enumerate(lesson.quiz):
            key = " ".join(q.question.casefold().split())
            if key in seen_questions:
                problems.append(
                    Problem(path, line(("quiz", i)), f"same question as {seen_questions[key]}")
                )
            seen_questions.setdefault(key, f"{lesson_id}.{q.id}")
        problems += _lint_sources(lesson, path, line)
        problems += _lint_answerable_without(lesson, path, line)
        if not lesson.sources:
            for i, card in enumerate(lesson.cards):
                fact = _FACT.search(card)
                if fact:
                    problems.append(
                        Problem(
                            path,
                            line(("cards", i)),
                            f"cards.{i} states a fact («{fact.group(0)}») but the lesson has no "
                            "sources",
                        )
                    )
                    break
    for module in catalog.modules:
        quiz = [q for lid in module.lessons for q in catalog.lessons[lid].quiz]
        problems += _balance(catalog.module_files[module.id], quiz)
        problems += _lint_exam(catalog, module, allowed)
    problems += _lint_glossary(catalog, allowed)
    return problems


def source_url_problem(url: str) -> str | None:
    """Why a source URL cannot be the page that states the fact, or None if it can."""
    if "…" in url or "..." in url:
        return "is elided («…»): give the full address of the page"
    parts = urlsplit(url)
    if parts.path.strip("/") == "" and not parts.query:
        return "is a site's home page: give the page that states the fact"
    return None


def _lint_sources(lesson: Lesson, path: Path, line: LineOf) -> list[Problem]:
    out = []
    for i, source in enumerate(lesson.sources):
        why = source_url_problem(source.url)
        if why:
            out.append(Problem(path, line(("sources", i, "url")), f"sources.{i}.url {why}"))
    return out


def content_words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)} - STOPWORDS


def _lint_answerable_without(lesson: Lesson, path: Path, line: LineOf) -> list[Problem]:
    """Warn on a question whose options share no content word with the cards: it can
    be answered, or guessed, without reading the lesson."""
    taught = set().union(*(content_words(c) for c in lesson.cards))
    out = []
    for i, q in enumerate(lesson.quiz):
        said = set().union(*(content_words(o.text) for o in q.options))
        if len(said) >= MIN_OPTION_WORDS and not said & taught:
            out.append(
                Problem(
                    path,
                    line(("quiz", i)),
                    f"quiz.{i} ({q.id}): no option shares a word with the cards; "
                    "it can be answered without the lesson",
                    warning=True,
                )
            )
    return out


def _lint_exam(catalog: Catalog, module: Module, allowed: set[str]) -> list[Problem]:
    """The module's final-assessment bank: every lesson has enough questions, and they
    follow the quiz's rules for words and answer positions."""
    path, lines = catalog.exam_files.get(module.id, (None, {}))
    out: list[Problem] = []
    for i, lid in enumerate(module.lessons):
        have = len(catalog.exam.get(lid, ()))
        if have >= EXAM_MIN_PER_LESSON:
            continue
        if path is None:
            where = catalog.module_files[module.id]
            line = catalog.module_lines.get(module.id, {}).get(("lessons", i), 1)
            shown = f"no {EXAM_FILE} beside this module.yaml"
        else:
            where, line, shown = path, lines.get((lid,), 1), f"{have} in {EXAM_FILE}"
        out.append(
            Problem(
                where,
                line,
                f"{lid}: {shown}; every lesson needs at least {EXAM_MIN_PER_LESSON} "
                "final-assessment questions",
            )
        )
    if path is None:
        return out
    bank = []
    for lid in module.lessons:
        for i, q in enumerate(catalog.exam.get(lid, ())):
            bank.append(q)
            for at, text in _question_texts((lid, i), q):
                line = lines.get(at, lines.get((lid,), 1))
                out += _word_problems(path, line, ".".join(map(str, at)), text, allowed)
    return out + _balance(path, bank)


def _balance(path: Path, questions: list) -> list[Problem]:
    if not questions:
        return []
    out = []
    positions = Counter(q.correct_index for q in questions)
    pos, count = positions.most_common(1)[0]
    # The fair share of a position: each question gives it 1/len(options), if it has one.
    fair = sum(1 / len(q.options) for q in questions if pos < len(q.options))
    if count > POSITION_EXCESS * fair and count - fair >= 2:
        out.append(
            Problem(
                path,
                1,
                f"answers unbalanced: option {pos + 1} is correct in {count} of "
                f"{len(questions)} questions",
            )
        )
    longest = sum(
        1
        for q in questions
        if len(q.options[q.correct_index].text)
        > max(len(o.text) for j, o in enumerate(q.options) if j != q.correct_index)
    )
    if longest > LONGEST_SHARE_MAX * len(questions):
        out.append(
            Problem(
                path,
                1,
                f"giveaway: the right option is the longest in {longest} of {len(questions)} "
                "questions",
            )
        )
    return out


def _lint_glossary(catalog: Catalog, allowed: set[str]) -> list[Problem]:
    if not catalog.glossary_file:
        return []
    path, lines = catalog.glossary_file
    out = []
    for i, term in enumerate(catalog.glossary):
        for s in sentences_without_diacritics(term.definition, allowed):
            out.append(Problem(path, lines.get((i,), 1), f"sentence without diacritics: «{s}»"))
    return out
