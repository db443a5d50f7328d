"""The tutor's answer to a free question, and its feedback on a practice prompt.

quota -> input guard -> retrieval -> model (if configured) or offline -> output guard ->
an Outbound with "Mở bài X.Y" and 👍/👎 choices.

Offline (no model, or the model failed, timed out or said something the output guard
drops): a glossary definition for "X là gì", else the best lesson card, quoted with its
lesson; or, honestly, "not found" with the course's topics. Quoted lesson text is not
labelled as AI-made; a model's answer always is.

Inside the engine the work is split so that no database transaction stays open while the
model thinks: `ask` (in the inbound's transaction) checks the quota, runs the guards and
the retrieval, stores the offline answer and returns it with the model call pending;
`finish` (after the commit) calls the model, stores the better answer in a short second
transaction and swaps the text. The choices stay as stored, so a typed "2" still works.
"""

import dataclasses
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import actions as A
from bot.config import Settings
from bot.flows import practice
from bot.flows.common import TO_MENU
from bot.messages import Choice, Outbound
from bot.textutil import fold
from bot.tutor import guards
from bot.tutor import prompts as P
from bot.tutor.grader import Grader
from bot.tutor.llm import ChatModel, ModelUnavailable
from bot.tutor.retriever import (
    MIN_SCORE,
    Hit,
    Passage,
    Result,
    Retriever,
    content_words,
    evidence,
    for_catalog,
)
from lessons.loader import Catalog
from lessons.schema import FaqEntry, Lesson
from storage.models import TutorAnswer
from storage.repository import Repository

if TYPE_CHECKING:  # the flows import the tutor
    from bot.flows.context import Context

log = logging.getLogger("hocai.tutor")

MAX_CHARS = 800  # one phone screen
AI_LABEL = "🤖 Câu trả lời do AI tạo, hãy kiểm chứng."
WEAK_SCORE = MIN_SCORE / 2  # below the offline bar, still worth asking the model about
MAX_PASSAGES = 4
MAX_QUESTION_CHARS = 1000
THUMBS_UP, THUMBS_DOWN = "u", "d"
_DEFINE = re.compile(
    r"\b(?:la gi|la j|la cai gi|nghia la gi|nghia la|co nghia|la sao|hieu the nao|"
    r"dinh nghia|what is)\b"
)
NOT_FOUND = "Mình chưa tìm thấy câu trả lời trong các bài học."
DID_YOU_MEAN = "Mình chưa chắc bạn hỏi điều nào. Có phải bạn hỏi về một trong các bài này không?"
ANIMALS = (
    "Chăm sóc vật nuôi không có trong các bài học của mình. Gà, lợn, trâu bò bị bệnh thì bạn "
    "hỏi cán bộ thú y hoặc khuyến nông ở xã nhé."
)
# A card is quoted when the best lesson matches strongly, or leads clearly; a moderate
# match with a close runner-up gets "did you mean" with the likeliest lessons instead.
SURE_SCORE = 10.0
SURE_MARGIN = 0.9  # second lesson's score / first's, at most
STRONG_SCORE = 25.0  # a match this strong is quoted even with a close runner-up
CHOICES = 3
STORY_WEIGHT = 0.8  # a worked example ("Ví dụ: …") answers less directly than the rule
KIND_BONUS = 0.4  # per kind of answer the card gives that the question asks for
# Scope from retrieval, for a question that names none of guards.TOPICS: one of the best
# passages shares a two-syllable word (a pair) with what the learner typed and most of its
# words, weighted by rarity. Calibrated on the dev half: every out-of-scope question there
# and in adversarial.yaml stays below (highest: one pair and 0.50, two pairs and 0.57).
SCOPE_PAIRS = 1
SCOPE_SHARE = 0.65
FAQ_MATCH = 0.6  # idf-weighted share of the question's and the paraphrase's words in common
# What a question asks for, and the cards that give it (folded text).
_HOW = re.compile(
    r"\b(?:lam sao|lam the nao|the nao|nhu the nao|ntn|cach|sao cho|lam gi|nhan biet|"
    r"nhan ra|phan biet|dau hieu|biet (?:la|duoc)?|kiem tra)\b"
)
_WHY = re.compile(r"\b(?:tai sao|vi sao|sao lai|vi dau|ly do)\b")
_SHOULD = re.compile(
    r"\b(?:co nen|nen khong|nen ko|duoc khong|duoc ko|dc ko|duoc k|co sao|co duoc|an toan)\b"
)
_HOW_CARD = re.compile(r"(?m)^\s*(?:\d\.|-|–|❌|✅)|\b(?:Dấu hiệu|Cách|Bước|hãy|Hãy)\b")
_SIGNS_CARD = re.compile(r"(?m)^\W*(?:Dấu hiệu|Cách|Bước|Mẹo|Muốn)\b")
_WHY_CARD = re.compile(r"\b(?:[Vv]ì|[Vv]ì sao|[Vv]ì vậy|nên)\b")
_SHOULD_CARD = re.compile(r"❌|✅|\b(?:[Kk]hông|[Đđ]ừng|[Nn]ên)\b")


@dataclass(frozen=True)
class Reply:
    """A finished answer, channel-free."""

    text: str
    source: str  # model | offline | refused
    category: str  # answer | glossary | unknown | a guard's category
    lesson_ids: list[str] = field(default_factory=list)  # the lessons it drew on
    lesson_id: str | None = None  # the lesson to open
    model: str | None = None
    latency_ms: int = 0


@dataclass
class Draft:
    question: str
    offline: Reply
    messages: tuple[str, str] | None = None  # (system, user) when the model is asked
    sources: str = ""  # the passages sent, for the output guard
    lesson_id: str | None = None  # the lesson to point to (offline's, or retrieval's best)
    started: float = field(default_factory=time.perf_counter)


@dataclass
class Pending:
    """A model call to make after the inbound's transaction (see finish)."""

    answer_id: int
    draft: Draft | None = None
    practice: tuple[Lesson, str, int] | None = None  # (lesson, prompt, next card index)


class Answerer:
    def __init__(
        self,
        catalog: Catalog,
        *,
        model: ChatModel | None = None,
        prompts: P.Prompts | None = None,
        daily_quota: int = 30,
        retriever: Retriever | None = None,
        faq: bool = True,
    ):
        self.catalog = catalog
        self._retriever = retriever
        self.model = model
        self.prompts = prompts or (P.load() if model else None)
        self.daily_quota = daily_quota
        self.grader = Grader(model, self.prompts) if model and self.prompts else None
        self.topics = ", ".join(f"«{m.title}»" for m in catalog.modules)
        self.use_faq = faq  # off: retrieval alone (bench/eval_tutor.py --no-faq, model tests)
        self._faq: list[tuple[frozenset[str], FaqEntry]] | None = None

    @property
    def retriever(self) -> Retriever:
        """Built on the first question, not at start-up: indexing the lessons is a quarter
        of a second that `hocai chat` and the CLI need not wait for (docs/PERFORMANCE.md)."""
        if self._retriever is None:
            self._retriever = for_catalog(self.catalog)
        return self._retriever

    @classmethod
    def from_settings(cls, catalog: Catalog, settings: Settings) -> "Answerer":
        """Offline unless an API key is configured; the prompts are read now, at start-up."""
        model = None
        if settings.openai_api_key is not None and settings.openai_api_key.get_secret_value():
            model = ChatModel(
                settings.llm_model,
                settings.openai_api_key.get_secret_value(),
                settings.openai_base_url or None,
                timeout=settings.llm_timeout_seconds,
            )
        return cls(
            catalog,
            model=model,
            prompts=P.load(settings.prompts_dir) if model else None,
            daily_quota=settings.ask_daily_quota,
        )

    # --- the answer itself (no database) ---------------------------------------------

    def prepare(self, question: str) -> Draft:
        """Guards, FAQ, retrieval and the offline answer; the model's messages if it is to
        be asked. Fast and synchronous."""
        draft = Draft(question, Reply("", "offline", "unknown"))
        verdict = guards.check_input(question)
        if verdict is not None:
            draft.offline = self._refusal(verdict)
            draft.lesson_id = draft.offline.lesson_id
            return draft
        faq = self.faq_match(question) if self.use_faq and not self._defines(question) else None
        if faq is not None:  # staff wrote this answer: it goes first, no model
            lid = faq.lesson
            text = f"{faq.answer}\n\n📚 Xem bài {self.catalog.position(lid)} «{self._title(lid)}»."
            draft.offline = Reply(guards.fit(text, MAX_CHARS), "offline", "faq", [lid], lid)
            draft.lesson_id = lid
            return draft
        if guards.about_animals(question):
            draft.offline = Reply(ANIMALS, "offline", "unknown", [], None)
            return draft
        result = _rerank(" " + fold(question) + " ", self.retriever.search(question))
        # A short word 'corrected' into a topic ('banh' -> 'anh') does not make it one.
        fixed = [v for k, v in result.corrections.items() if len(k) >= 5]
        scope = guards.in_scope(question, fixed)
        # No topic word: retrieval decides, and only ever offers lessons to choose from.
        unsure = not scope and self._evidence(question, result)
        draft.offline = self._offline(question, result, scope or unsure, unsure)
        draft.lesson_id = draft.offline.lesson_id
        if (
            self.model is not None
            and self.prompts is not None
            and (scope or unsure)
            and result.lessons
            and result.lessons[0][1] >= WEAK_SCORE
        ):
            passages = self._passages(question, result)
            draft.sources = passages
            draft.messages = (
                self.prompts.tutor_system,
                P.fill(
                    self.prompts.tutor_question,
                    passages=passages,
                    question=P.as_content(question),
                ),
            )
            if draft.lesson_id is None:  # the model may answer what retrieval only half
                draft.lesson_id = result.lessons[0][0]  # found: point to its best lesson
                draft.offline = dataclasses.replace(draft.offline, lesson_ids=result.lesson_ids)
        return draft

    async def complete(self, draft: Draft) -> Reply:
        """The model's answer when it gives a good one, else the offline answer."""
        offline = dataclasses.replace(draft.offline, latency_ms=_ms(draft.started))
        if draft.messages is None or self.model is None or self.prompts is None:
            return offline
        try:
            done = await self.model.complete(*draft.messages)
        except ModelUnavailable:
            return offline
        text = done.text.strip()
        if guards.says_unknown(text):
            log.info("model found no answer in the passages; offline answer given")
            return offline
        reason = guards.check_output(
            text,
            system_prompt=self.prompts.tutor_system,
            sources=draft.sources + "\n" + draft.question,
            canaries=self.prompts.canaries(),
        )
        if reason is None and not guards.grounded(text, draft.sources + "\n" + draft.question):
            reason = "ungrounded"  # it ignored the passages: its answer is not the lessons'
        if reason:
            log.warning("model answer dropped reason=%s model=%s", reason, done.model)
            return offline
        lesson_id = draft.lesson_id
        suffix = "\n\n" + AI_LABEL
        if lesson_id:
            lesson = self.catalog.lessons[lesson_id]
            suffix += f"\n📚 Xem bài {self.catalog.position(lesson_id)} «{lesson.title}»."
        body = guards.fit(guards.clean(text), MAX_CHARS - len(suffix))
        return Reply(
            body + suffix,
            "model",
            "answer",
            offline.lesson_ids,
            lesson_id,
            done.model,
            _ms(draft.started),
        )

    async def respond(self, question: str) -> Reply:
        """prepare + complete: the whole answer (CLI, benchmarks)."""
        return await self.complete(self.prepare(question))

    # --- offline pieces -------------------------------------------------------------

    def _refusal(self, verdict: guards.Verdict) -> Reply:
        lid = verdict.lesson_id if verdict.lesson_id in self.catalog.lessons else None
        return Reply(verdict.reply, "refused", verdict.category, [lid] if lid else [], lid)

    def _evidence(self, question: str, result: Result) -> bool:
        if self.retriever.named_term(question) is not None:  # names a glossary entry
            return True
        pairs, share = evidence(self.retriever, question, result)
        return pairs >= SCOPE_PAIRS and share >= SCOPE_SHARE

    def _offline(self, question: str, result: Result, scope: bool, unsure: bool = False) -> Reply:
        folded = " " + fold(question) + " "
        named = self.retriever.named_term(question)
        if named is not None and (named[1] >= 0.5 or _DEFINE.search(folded)):
            return self._definition(self.retriever.passages[named[0]], result)
        if scope and result.lessons and result.lessons[0][1] >= MIN_SCORE:
            (top, best), rest = result.lessons[0], result.lessons[1:]
            sure = not unsure and (
                best >= STRONG_SCORE
                or (best >= SURE_SCORE and (not rest or rest[0][1] <= SURE_MARGIN * best))
            )
            hit = result.hits[0].passage
            if sure and hit.term is not None and not _asks_how(folded):
                return self._definition(hit, result)  # a glossary entry answers it best
            card = self._card_for(folded, result, top)
            if sure and card is not None:
                pos = self.catalog.position(top)
                text = f"📚 Trong bài {pos} «{self._title(top)}» có đoạn này:\n\n{card.text}"
                return Reply(text, "offline", "answer", result.lesson_ids, top)
            ids = result.lesson_ids[:CHOICES]
            return Reply(DID_YOU_MEAN, "offline", "choices", ids, None)
        text = f"{NOT_FOUND} Bạn thử hỏi cách khác, hoặc xem các chủ đề: {self.topics}."
        return Reply(guards.fit(text, MAX_CHARS), "offline", "unknown", [], None)

    def _defines(self, question: str) -> bool:
        """'X là gì' for a glossary term: its definition answers it, not an FAQ entry that
        mentions the term."""
        return bool(_DEFINE.search(" " + fold(question) + " ")) and (
            self.retriever.named_term(question) is not None
        )

    def _card_for(self, folded: str, result: Result, lesson_id: str) -> Passage | None:
        """The card of the lesson that answers what was asked (see _fit_score)."""
        cards = [
            h
            for h in result.hits
            if h.passage.lesson_id == lesson_id and h.passage.card is not None
        ]
        if not cards:
            return None
        top = cards[0].score
        near = [h for h in cards if h.score >= 0.5 * top]
        return max(near, key=lambda h: h.score * _fit_score(folded, h.passage.text)).passage

    def faq_match(self, question: str) -> FaqEntry | None:
        """The FAQ entry one of whose paraphrases says what the question says, or None."""
        if not self.catalog.faq:
            return None
        if self._faq is None:
            self._faq = [
                (frozenset(content_words(q)), entry)
                for entry in self.catalog.faq
                for q in entry.questions
            ]
        asked = set(content_words(question))
        if not asked:
            return None
        vocab = {w for ws, _ in self._faq for w in ws}
        fixed = {
            w if w in vocab else (self.retriever._correct(w, dict.fromkeys(vocab, 1)) or w)
            for w in asked
        }
        idf = self.retriever.words.idf
        rare = max(idf.values(), default=1.0)

        def weight(words: Iterable[str]) -> float:  # rare words say more than 'dữ liệu' or 'có'
            return sum(idf.get(f"f:{w}", rare) for w in words)

        best, entry = 0.0, None
        for words, candidate in self._faq:
            common = fixed & words
            if len(common) < 2 and len(words) > 1:
                continue
            share = weight(common) / max(weight(fixed), weight(words))
            if share > best:
                best, entry = share, candidate
        return entry if best >= FAQ_MATCH else None

    def _definition(self, passage: Passage, result: Result) -> Reply:
        term, lid = passage.term, passage.lesson_id
        assert term is not None  # a glossary passage
        text = f"📖 {term.term}: {term.definition}"
        text += f"\n\nXem thêm bài {self.catalog.position(lid)} «{self._title(lid)}»."
        ids = [lid] + [i for i in result.lesson_ids if i != lid][:2]
        return Reply(text, "offline", "glossary", ids, lid)

    def _title(self, lesson_id: str) -> str:
        return self.catalog.lessons[lesson_id].title

    def _passages(self, question: str, result: Result) -> str:
        """The best cards of the top lessons (and a named glossary entry), labelled."""
        parts, seen = [], set()
        named = self.retriever.named_term(question)
        if named is not None:
            term = self.retriever.passages[named[0]].term
            if term is not None:  # named_term names term passages only
                parts.append(f"[Từ điển AI] {term.term}: {term.definition}")
        for hit in result.hits:
            p = hit.passage
            if p.card is None or p.id in seen or len(parts) >= MAX_PASSAGES:
                continue
            if hit.score < WEAK_SCORE:
                break
            seen.add(p.id)
            pos = self.catalog.position(p.lesson_id)
            parts.append(f"[Bài {pos} «{self._title(p.lesson_id)}»]\n{p.text}")
        return "\n\n".join(parts)

    # --- in the engine --------------------------------------------------------------

    async def ask(self, ctx: "Context") -> Outbound:
        """Answer ctx.text for ctx.learner: inside the inbound's transaction."""
        since = _day_start(ctx.now, ctx.tz)
        used = await ctx.repo.count_tutor_answers(_learner_id(ctx), since)
        if used >= self.daily_quota:
            log.info("tutor quota reached learner=%s used=%d", ctx.learner.pid, used)
            return Outbound(
                f"Hôm nay bạn đã hỏi {used} câu, đủ mức mỗi ngày rồi. Mai bạn hỏi tiếp nhé! "
                "Trong lúc chờ, bạn có thể học tiếp hoặc xem Từ điển AI.",
                (Choice("Học tiếp", A.CONTINUE), Choice("Từ điển AI", A.GLOSSARY), TO_MENU),
            )
        question = ctx.text[:MAX_QUESTION_CHARS]
        draft = self.prepare(question)
        reply = draft.offline
        row = TutorAnswer(
            learner_id=_learner_id(ctx),
            kind="ask",
            question=question,
            lesson_ids=reply.lesson_ids,
            answer=reply.text,
            source=reply.source,
            category=reply.category,
            latency_ms=_ms(draft.started),
            created_at=ctx.now,
        )
        await ctx.repo.add(row)
        assert row.id is not None  # the flush gave it one
        log.info(
            "tutor answer learner=%s source=%s category=%s lessons=%s model_pending=%s",
            ctx.learner.pid,
            reply.source,
            reply.category,
            ",".join(reply.lesson_ids) or "-",
            draft.messages is not None,
        )
        out = Outbound(reply.text, self._choices(reply, row.id, draft.lesson_id))
        if draft.messages is not None:
            out.meta["pending"] = Pending(row.id, draft=draft)
        return out

    def _choices(self, reply: Reply, answer_id: int, lesson_id: str | None) -> tuple:
        choices: list[Choice] = []
        if reply.category == "choices":  # "did you mean": each likely lesson, then the rest
            for lid in reply.lesson_ids:
                label = f"Bài {self.catalog.position(lid)} «{self._title(lid)}»"
                choices.append(Choice(_short(label), A.make(A.LESSON, lid)))
        elif lesson_id:
            pos = self.catalog.position(lesson_id)
            choices.append(Choice(f"Mở bài {pos}", A.make(A.LESSON, lesson_id)))
        if reply.category in ("unknown", "choices") and lesson_id is None:
            choices.append(Choice("Chọn bài", A.LIST))
        if reply.source != "refused":
            choices.append(Choice("👍 Hữu ích", A.make(A.FEEDBACK, answer_id, THUMBS_UP)))
            choices.append(Choice("👎 Chưa đúng", A.make(A.FEEDBACK, answer_id, THUMBS_DOWN)))
        elif lesson_id is None:
            choices.append(Choice("Chọn bài", A.LIST))
        choices.append(TO_MENU)
        return tuple(choices)

    async def feedback(self, ctx: "Context") -> list[Outbound] | None:
        """👍/👎 on one of the learner's own answers; None for a button that is not theirs."""
        if ctx.action is None:
            return None
        args = ctx.action.args
        if len(args) != 2 or not args[0].isdigit() or args[1] not in (THUMBS_UP, THUMBS_DOWN):
            return None
        ok = await ctx.repo.set_tutor_feedback(
            int(args[0]), _learner_id(ctx), 1 if args[1] == THUMBS_UP else -1
        )
        if not ok:
            return None
        log.info("tutor feedback learner=%s value=%s", ctx.learner.pid, args[1])
        # A notice: the answer's buttons (open the lesson, 👍/👎) still hold.
        if args[1] == THUMBS_UP:
            return [Outbound("Cảm ơn bạn! Mình ghi nhận góp ý.", kind="notice")]
        return [
            Outbound(
                "Cảm ơn bạn đã báo! Mình ghi nhận để các bài trả lời tốt hơn. "
                "Bạn có thể hỏi lại theo cách khác, hoặc mở bài học để đọc kỹ hơn.",
                kind="notice",
            )
        ]

    async def practice(self, ctx: "Context", lesson: Lesson, prompt: str, after: int) -> Outbound:
        """Feedback on a practice prompt: the rules now; the rubric and model (if set,
        within the quota) after the transaction."""
        rules = practice.feedback(lesson, prompt, after)
        if (
            self.grader is None
            or len(fold(prompt).split()) < practice.MIN_PROMPT_WORDS
            or guards.check_input(prompt) is not None
        ):
            return rules
        used = await ctx.repo.count_tutor_answers(_learner_id(ctx), _day_start(ctx.now, ctx.tz))
        if used >= self.daily_quota:
            return rules
        row = TutorAnswer(
            learner_id=_learner_id(ctx),
            kind="practice",
            question=prompt[:MAX_QUESTION_CHARS],
            lesson_ids=[lesson.id],
            answer=rules.text,
            source="offline",
            category="practice",
            created_at=ctx.now,
        )
        await ctx.repo.add(row)
        assert row.id is not None  # the flush gave it one
        out = dataclasses.replace(rules, meta={})
        out.meta["pending"] = Pending(row.id, practice=(lesson, prompt[:MAX_QUESTION_CHARS], after))
        return out

    async def finish(
        self, out: list[Outbound], sessions: async_sessionmaker[AsyncSession]
    ) -> list[Outbound]:
        """Run the pending model calls of these replies (after the inbound's commit)."""
        done = []
        for message in out:
            pending = message.meta.get("pending") if message.meta else None
            if not isinstance(pending, Pending):
                done.append(message)
                continue
            text = await self._run(pending, sessions)
            done.append(dataclasses.replace(message, text=text or message.text, meta={}))
        return done

    async def _run(
        self, pending: Pending, sessions: async_sessionmaker[AsyncSession]
    ) -> str | None:
        started = time.perf_counter()
        try:
            if pending.draft is not None:
                reply = await self.complete(pending.draft)
                if reply.source != "model":
                    return None
                values = dict(
                    answer=reply.text,
                    source="model",
                    model=reply.model,
                    latency_ms=reply.latency_ms,
                )
                text = reply.text
            else:
                if pending.practice is None or self.grader is None:
                    raise RuntimeError("a pending reply with neither a draft nor a practice")
                lesson, prompt, _ = pending.practice
                graded = await self.grader.grade(lesson, prompt)
                if graded is None:
                    return None
                text = graded.text
                values = dict(
                    answer=text,
                    source="model",
                    model=graded.model,
                    latency_ms=_ms(started),
                )
            async with sessions() as session, session.begin():
                await Repository(session).update_tutor_answer(pending.answer_id, **values)
            return text
        except Exception:  # noqa: BLE001  (the offline answer already stands)
            log.exception("tutor finish failed; offline answer kept")
            return None


def _learner_id(ctx: "Context") -> int:
    assert ctx.learner.id is not None  # the engine runs flows on a stored learner
    return ctx.learner.id


def _fit_score(folded: str, text: str, kinds: bool = True) -> float:
    """How well a card's kind fits the question's kind: "how", "why" and "should I"
    questions want a card that tells how (steps, signs, ✅/❌), not a story or a law that
    merely shares the words. kinds=False: only the story discount (ranking lessons; the
    kind bonus chooses among the cards of a lesson, where it helps, not between lessons,
    where it did not on the dev half)."""
    want = [
        rx
        for ask, rx in ((_HOW, _HOW_CARD), (_WHY, _WHY_CARD), (_SHOULD, _SHOULD_CARD))
        if kinds and ask.search(folded)
    ]
    value = 1.0 + KIND_BONUS * sum(bool(rx.search(text)) for rx in want)
    if kinds and _HOW.search(folded) and _SIGNS_CARD.search(text):
        value += KIND_BONUS  # "Dấu hiệu…", "Cách…", "Bước 1": the card that tells how
    if text.startswith(("Ví dụ", "Chào bạn", "Thử hình dung")) or (
        want and text.startswith("📚")  # a law or a bit of history, not how to
    ):
        value *= STORY_WEIGHT
    return value


def _rerank(folded: str, result: Result) -> Result:
    """Cards rescored by _fit_score, lessons re-ranked by their best passage."""
    hits = [
        Hit(h.passage, h.score * _fit_score(folded, h.passage.text, kinds=False))
        if h.passage.card is not None
        else h
        for h in result.hits
    ]
    hits.sort(key=lambda h: -h.score)
    lessons: dict[str, float] = {}
    for h in hits:
        lessons.setdefault(h.passage.lesson_id, h.score)
    top = sorted(lessons.items(), key=lambda s: -s[1])[: len(result.lessons)]
    return Result(result.question, hits, top, result.corrections)


def _asks_how(folded: str) -> bool:
    return bool(_HOW.search(folded))


def _short(label: str, limit: int = 60) -> str:
    """A button label that fits: cut at a word, the guillemet closed."""
    if len(label) <= limit:
        return label
    return label[: limit - 2].rsplit(" ", 1)[0] + "…»"


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of now's day where the learner lives, as an aware UTC-comparable time."""
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
