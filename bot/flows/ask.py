"""Free questions, answered from the lesson cards by keyword overlap.

A deliberately simple stand-in until the AI tutor lands: it never invents, it only
quotes the closest card and points to its lesson.
"""

import math
from collections import Counter
from dataclasses import dataclass

from bot import actions as A
from bot.flows import glossary
from bot.flows.common import TO_MENU
from bot.messages import Choice, Outbound
from bot.textutil import fold, has_diacritics, lower_words
from lessons.loader import Catalog

# Frequent Vietnamese syllables that say nothing about the topic.
_STOP = """la gi co khong the nao sao vay a o thi ma va voi cua cho de duoc ban minh toi em
anh chi oi nhe nha u ak k ko hay hoac nhung cac mot nhu trong khi neu vi nen ra len di roi
day do nay kia bao nhieu hom qua mai luc sao gium giup voi xin hoi"""
STOPWORDS = frozenset(_STOP.split())  # noqa: SIM905  (easier to edit as text)
MIN_SCORE = 2.0
MIN_COVERAGE = 0.5  # share of the question's words that some lesson uses


@dataclass(frozen=True)
class Passage:
    lesson_id: str
    text: str
    terms: Counter
    length: int


def _terms(text: str, accents: bool = False) -> list[str]:
    """Syllables that carry meaning, plus adjacent pairs ('y_thuc' for 'ý thức').

    With accents=True the syllables keep their diacritics, so a question typed with
    diacritics does not confuse "giá lúa" with "giả, lừa"."""
    folded = fold(text).split()
    words = lower_words(text) if accents else folded
    if len(words) != len(folded):  # the two splits disagree: fall back to the folded one
        words = folded
    words = [w for w, f in zip(words, folded, strict=True) if f not in STOPWORDS]
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


class KeywordAnswerer:
    """BM25 over lesson cards (titles included), diacritics-insensitive."""

    K1, B = 1.2, 0.75

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.passages = []
        for lid, lesson in catalog.lessons.items():
            for card in lesson.cards:
                text = lesson.title + " " + card
                terms = Counter(_terms(text) + _terms(text, accents=True))
                self.passages.append(Passage(lid, card, terms, sum(terms.values())))
        n = len(self.passages) or 1
        df = Counter(t for p in self.passages for t in p.terms)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.unseen = math.log(1 + n) / 2  # a word no lesson uses: likely off-topic or a typo
        self.avglen = sum(p.length for p in self.passages) / n

    def _bm25(self, query: set[str], p: Passage) -> float:
        norm = self.K1 * (1 - self.B + self.B * p.length / self.avglen)
        return sum(
            self.idf[t] * p.terms[t] * (self.K1 + 1) / (p.terms[t] + norm)
            for t in query
            if t in p.terms
        )

    def best(self, question: str) -> tuple[Passage, float] | None:
        q = set(_terms(question, accents=has_diacritics(question)))
        if not q:
            return None
        scored = [(self._bm25(q, p), p) for p in self.passages]
        score, passage = max(scored, key=lambda s: s[0], default=(0.0, None))
        known = sum(1 for t in q if t in self.idf and "_" not in t)
        words = sum(1 for t in q if "_" not in t)
        if passage is None or score < MIN_SCORE or known < MIN_COVERAGE * words:
            return None
        return passage, score

    def answer(self, question: str) -> Outbound:
        hit = self.best(question)
        term = glossary.lookup(self.catalog, question, fuzzy=False)
        if term is not None:
            choices: tuple[Choice, ...] = (Choice("Từ điển AI", A.GLOSSARY), TO_MENU)
            text = f"📖 {term.term}: {term.definition}"
            if hit:
                lesson = self.catalog.lessons[hit[0].lesson_id]
                pos = self.catalog.position(lesson.id)
                text += f"\n\nXem thêm bài {pos} «{lesson.title}»."
                choices = (Choice(f"Mở bài {pos}", A.make(A.LESSON, lesson.id)), TO_MENU)
            return Outbound(text, choices)
        if hit is None:
            topics = ", ".join(f"«{m.title}»" for m in self.catalog.modules)
            return Outbound(
                "Mình chưa tìm thấy câu trả lời trong các bài học. "
                f"Bạn thử hỏi cách khác, hoặc xem các chủ đề: {topics}.",
                (Choice("Chọn bài", A.LIST), TO_MENU),
            )
        passage = hit[0]
        lesson = self.catalog.lessons[passage.lesson_id]
        pos = self.catalog.position(lesson.id)
        return Outbound(
            f"📚 Trong bài {pos} «{lesson.title}» có đoạn này:\n\n{passage.text}",
            (Choice(f"Mở bài {pos}", A.make(A.LESSON, lesson.id)), TO_MENU),
        )


ASK_PROMPT = (
    "Bạn cứ gõ câu hỏi về AI hoặc an toàn trên mạng, ví dụ: «deepfake là gì?». "
    "Mình sẽ tìm trong các bài học."
)
