"""Free questions, answered from the lesson cards by keyword overlap.

A deliberately simple stand-in until the AI tutor lands: it never invents, it only
quotes the closest card and points to its lesson.
"""

import math
from collections import Counter
from dataclasses import dataclass

from bot import actions as A
from bot.flows.common import TO_MENU
from bot.messages import Choice, Outbound
from bot.textutil import fold
from lessons.loader import Catalog

# Frequent Vietnamese syllables that say nothing about the topic.
_STOP = """la gi co khong the nao sao vay a o thi ma va voi cua cho de duoc ban minh toi em
anh chi oi nhe nha u ak k ko hay hoac nhung cac mot nhu trong khi neu vi nen ra len di roi
day do nay kia"""
STOPWORDS = frozenset(_STOP.split())  # noqa: SIM905  (easier to edit as text)
MIN_SCORE = 2.0


@dataclass(frozen=True)
class Passage:
    lesson_id: str
    text: str
    terms: frozenset[str]


def _terms(text: str) -> list[str]:
    words = [w for w in fold(text).split() if len(w) > 1]
    grams = [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]
    return [w for w in words if w not in STOPWORDS] + grams


class KeywordAnswerer:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.passages = [
            Passage(lid, card, frozenset(_terms(lesson.title + " " + card)))
            for lid, lesson in catalog.lessons.items()
            for card in lesson.cards
        ]
        df = Counter(t for p in self.passages for t in p.terms)
        n = len(self.passages) or 1
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}

    def best(self, question: str) -> tuple[Passage, float] | None:
        q = set(_terms(question))
        scored = [(sum(self.idf[t] for t in q & p.terms), p) for p in self.passages]
        score, passage = max(scored, key=lambda s: s[0], default=(0.0, None))
        return (passage, score) if passage and score >= MIN_SCORE else None

    def answer(self, question: str) -> Outbound:
        hit = self.best(question)
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
