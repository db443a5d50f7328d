"""Retrieval over lesson cards and glossary terms, for questions typed the way people type.

Vietnamese-aware:
- lower-cased and diacritics-insensitive ("lua dao" finds "lừa đảo"), while a question typed
  with diacritics also matches them exactly ("giá lúa" is not "giả, lừa");
- syllable unigrams and adjacent pairs ("lua_dao"), joined or split compounds ("chat gpt" =
  "chatgpt");
- common chat shorthand ("ko", "dc", "sdt", "ck");
- typo-tolerant: a syllable the lessons never use is corrected to the closest one they do
  (one edit, or two for long words; swapped letters count as one), and a field of character
  trigrams scores near-misses that no correction catches.

Ranking is BM25 over both fields. Built once per catalogue at start-up (a few hundred
passages); a question costs well under a millisecond of scoring.
"""

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.textutil import fold
from lessons.loader import Catalog
from lessons.schema import Term

# Frequent Vietnamese syllables (folded) that say nothing about the topic.
_STOP = """la gi co khong the nao sao vay a o thi ma va voi cua cho de duoc ban minh toi em
chi oi nhe nha u ak k ko hay hoac nhung cac mot nhu trong khi neu vi nen ra len di roi
day do nay kia bao nhieu hom qua mai luc gium giup xin hoi cai phai muon rat cung se vao
thay cach lam"""  # not 'anh': 'ảnh' (picture) is typed 'anh' as often as 'anh' (brother)
STOPWORDS = frozenset(_STOP.split())  # noqa: SIM905  (easier to edit as text)
# Accented forms whose folded twin is a stopword but which carry meaning ("lá chè").
KEEP_ACCENTED = frozenset({"la1"})  # canonical spelling of "lá"

# Chat shorthand -> what it stands for (folded).
SLANG = {
    "ko": "khong",
    "k": "khong",
    "kh": "khong",
    "hok": "khong",
    "hong": "khong",
    "j": "gi",
    "dc": "duoc",
    "đc": "duoc",
    "ntn": "nhu the nao",
    "mk": "minh",
    "cx": "cung",
    "vs": "voi",
    "tn": "tin nhan",
    "sdt": "so dien thoai",
    "sđt": "so dien thoai",
    "dt": "dien thoai",
    "đt": "dien thoai",
    "ck": "chuyen khoan",
    "tk": "tai khoan",
    "stk": "so tai khoan",
    "fb": "facebook",
    "cccd": "can cuoc",
    "cmnd": "can cuoc",
    "ad": "ban",
    "vid": "video",
    "clip": "video",
    "pass": "mat khau",
    "app": "ung dung",
    "share": "chia se",
    "face": "facebook",
    "live": "livestream",
    "web": "trang web",
}

# Learners' phrases for what the lessons say otherwise (folded -> added to the question).
PHRASES = {
    "anh gia": "ảnh do AI tạo",
    "hinh gia": "ảnh do AI tạo",
    "dung hay sai": "kiểm chứng",
    "co that khong": "kiểm chứng",
}
# The learner's word for what the lessons name otherwise: a plant's "bệnh" is "sâu bệnh".
_PLANT = re.compile(r"\b(?:che|cay|la|bup|lua|rau|nuong|vuon)\b")

_TOKEN = re.compile(r"\w+(?:[./-]\w+)*")
K1, B = 1.2, 0.75
CHAR_WEIGHT = 0.35  # how much the trigram field adds to the syllable field
TERM_WEIGHT = 0.8  # a glossary entry votes a little less for its lesson than a card
TERM_BONUS = 12.0  # added to a glossary entry the question names, times its share of words
MIN_SCORE = 3.0  # below this the best passage is a guess
EVIDENCE_TYPO_LEN = 6  # see evidence()
# One Vietnamese syllable, folded: onset, one to three vowels, coda. Loanwords and names
# ('facebook', 'otp', 'luyenai') are not.
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}"
    r"(?:ng|nh|ch|[cmnpt])?$"
)


_TONES = {"\u0300": "2", "\u0301": "1", "\u0303": "3", "\u0309": "3", "\u0323": "5"}


@lru_cache(maxsize=65536)
def canon(word: str) -> str:
    """A syllable with diacritics, spelled one way: the tone mark moved to the end, and the
    hỏi and ngã tones (often confused in writing) merged. 'hoà' = 'hòa', 'đão' = 'đảo'."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONES]
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    return base + "".join(_TONES[t] for t in tones)


@dataclass(frozen=True)
class Token:
    folded: str
    accented: str  # lower-case with diacritics (canonical spelling, see canon())

    @property
    def has_marks(self) -> bool:
        return self.folded != self.accented


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    return fold(word).replace(" ", "")


def tokens(text: str) -> list[Token]:
    """Words of text, lower-cased, shorthand expanded; each with and without diacritics."""
    text = unicodedata.normalize("NFC", text.lower())
    out: list[Token] = []
    for word in _TOKEN.findall(text):
        folded = _fold_word(word)
        if folded in SLANG or word in SLANG:
            out += [Token(w, w) for w in SLANG.get(folded, SLANG.get(word, "")).split()]
            continue
        out.append(Token(folded, canon(word)))
        if any(c in word for c in "./-"):  # 'luyenai.vn' also as 'luyenai', 'vn'
            out += [Token(_fold_word(p), canon(p)) for p in re.split(r"[./-]", word) if p]
    return out


def _content(toks: list[Token]) -> list[Token]:
    return [t for t in toks if t.folded not in STOPWORDS or t.accented in KEEP_ACCENTED]


def content_words(text: str) -> list[str]:
    """Folded words of text that say something (stopwords out, shorthand expanded)."""
    return [t.folded for t in _content(tokens(text))]


def _trigrams(words: list[str]) -> list[str]:
    grams = []
    for w in words:
        padded = f"#{w}#"
        grams += [padded[i : i + 3] for i in range(len(padded) - 2)]
    return grams


def doc_terms(text: str) -> Counter:
    """Index terms of a passage: folded and accented unigrams and pairs."""
    toks = _content(tokens(text))
    terms = [f"f:{t.folded}" for t in toks]
    terms += [f"a:{t.accented}" for t in toks if t.has_marks]
    for a, b in zip(toks, toks[1:], strict=False):
        terms.append(f"f:{a.folded}_{b.folded}")
        if a.has_marks or b.has_marks:
            terms.append(f"a:{a.accented}_{b.accented}")
    return Counter(terms)


@dataclass(frozen=True)
class Passage:
    id: int
    lesson_id: str  # the lesson it belongs to (a glossary term's closest lesson)
    kind: str  # "card" | "term"
    text: str
    card: int | None = None  # index of the card in its lesson
    term: Term | None = None


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


@dataclass
class Result:
    question: str
    hits: list[Hit]  # passages, best first
    lessons: list[tuple[str, float]]  # lesson ids, best first
    corrections: dict[str, str] = field(default_factory=dict)  # typed -> understood as

    @property
    def lesson_ids(self) -> list[str]:
        return [lid for lid, _ in self.lessons]

    def best_card(self, lesson_id: str) -> Passage | None:
        return next(
            (
                h.passage
                for h in self.hits
                if h.passage.lesson_id == lesson_id and h.passage.card is not None
            ),
            None,
        )


class _Field:
    """One BM25 field: an inverted index of term -> [(passage id, term frequency)]."""

    def __init__(self, bags: list[Counter]):
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for pid, bag in enumerate(bags):
            for term, tf in bag.items():
                self.postings[term].append((pid, tf))
        n = len(bags) or 1
        self.idf = {
            t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()
        }
        lengths = [sum(b.values()) for b in bags]
        avg = (sum(lengths) / n) or 1.0
        self.norm = [K1 * (1 - B + B * length / avg) for length in lengths]

    def score(self, query: Counter, into: dict[int, float], weight: float = 1.0) -> None:
        for term, qtf in query.items():
            idf = self.idf.get(term)
            if idf is None:
                continue
            for pid, tf in self.postings[term]:
                s = idf * tf * (K1 + 1) / (tf + self.norm[pid])
                into[pid] = into.get(pid, 0.0) + weight * s * min(qtf, 2)


class Retriever:
    """BM25 over lesson cards and glossary entries. Build once; search per question."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.passages: list[Passage] = []
        for lid, lesson in catalog.lessons.items():
            for i, card in enumerate(lesson.cards):
                self.passages.append(Passage(len(self.passages), lid, "card", card, card=i))
        card_bags = [self._bag(p) for p in self.passages]
        # Each glossary entry joins the lesson whose cards best match it.
        cards = _Field(card_bags)
        for term in catalog.glossary:
            text = f"{term.term}: {term.definition}"
            home = self._home(cards, term, text)
            if home is not None:
                self.passages.append(Passage(len(self.passages), home, "term", text, term=term))
        bags = card_bags + [self._bag(p) for p in self.passages[len(card_bags) :]]
        terms_of: dict[str, set[str]] = defaultdict(set)  # every index term of a lesson
        for p, bag in zip(self.passages, bags, strict=True):
            terms_of[p.lesson_id].update(bag)
        self.lesson_terms = {lid: frozenset(t) for lid, t in terms_of.items()}
        self.words = _Field(bags)
        self.chars = _Field(
            [
                Counter(_trigrams([t[2:] for t in b if t.startswith("f:") and "_" not in t]))
                for b in bags
            ]
        )
        unigrams: Counter[str] = Counter()
        for bag in bags:
            unigrams.update(t for t in bag if "_" not in t)
        self.folded_vocab = {t[2:]: n for t, n in unigrams.items() if t.startswith("f:")}
        self.accented_vocab = {t[2:]: n for t, n in unigrams.items() if t.startswith("a:")}
        self.term_keys: list[tuple[int, str]] = []  # (passage id, folded name) per name
        for p in self.passages:
            if p.term is not None:
                self.term_keys += [(p.id, k) for k in _names(p.term)]
        self.joined: dict[str, tuple[str, str]] = {}  # 'luadao' -> ('lua', 'dao')
        for bag in bags:
            for t in bag:
                if t.startswith("f:") and "_" in t:
                    a, b = t[2:].split("_", 1)
                    self.joined.setdefault(a + b, (a, b))

    def _bag(self, p: Passage) -> Counter:
        if p.term is None:  # a lesson card
            title = self.catalog.lessons[p.lesson_id].title
            return doc_terms(f"{title}. {p.text}")
        names = " ".join([p.term.term, *p.term.aliases])
        return doc_terms(f"{names}. {names}. {p.term.definition}")

    def _home(self, cards: _Field, term: Term, text: str) -> str | None:
        names = {fold(n) for n in [term.term, *term.aliases]} | {
            fold(re.sub(r"\s*\(.*?\)", "", term.term))
        }
        for lid, lesson in self.catalog.lessons.items():  # a lesson named after the term
            title = f" {fold(lesson.title)} "
            if any(len(n) > 2 and f" {n} " in title for n in names):
                return lid
        scores: dict[int, float] = {}
        cards.score(doc_terms(" ".join([term.term, *term.aliases]) + " " + text), scores)
        if not scores:
            return None
        best = max(scores, key=scores.__getitem__)
        return self.passages[best].lesson_id

    # --- query side -------------------------------------------------------------------

    def _correct(self, word: str, vocab: dict[str, int]) -> str | None:
        """The closest word the lessons use: one edit (two for long words), most frequent."""
        if len(word) < 4 or word.isdigit():
            return None
        limit = 1 if len(word) < 7 else 2
        found = process.extract(
            word, vocab.keys(), scorer=OSA.distance, score_cutoff=limit, limit=8
        )
        if not found:
            return None
        return min(found, key=lambda f: (f[1], -vocab[f[0]]))[0]

    def query_terms(
        self, question: str, typo_len: int = 4
    ) -> tuple[Counter, list[str], dict[str, str]]:
        """(terms, content words, corrections) for a question.

        A question typed with diacritics is matched on them (canonical spelling) for the
        words that carry them; everything else is matched folded. Only folded words are
        corrected for typos (words of typo_len letters or more): a marked word the lessons
        never use stays unmatched, so "nấu phở" does not turn into "nâu, Phổ Yên"."""
        toks = self._join(_content(tokens(question)))
        marked = any(t.has_marks for t in toks)
        fixed: list[Token] = []
        corrections: dict[str, str] = {}
        for t in toks:
            if marked and t.has_marks:
                fixed.append(t)
                continue
            t = Token(t.folded, t.folded)
            if t.folded not in self.folded_vocab:
                if t.folded in self.joined:  # 'luadao' -> 'lua dao'
                    first, second = self.joined[t.folded]
                    corrections[t.folded] = f"{first} {second}"
                    fixed += [Token(first, first), Token(second, second)]
                    continue
                # A real syllable the lessons never use is another word, not a typo of
                # one they do: 'nguy hiem' is not 'ngay kiem'.
                near = (
                    None
                    if len(t.folded) < typo_len or _SYLLABLE.match(t.folded)
                    else self._correct(t.folded, self.folded_vocab)
                )
                if near:
                    corrections[t.folded] = near
                    t = Token(near, near)
            fixed.append(t)

        def uni(t: Token) -> str:
            return f"a:{t.accented}" if t.has_marks else f"f:{t.folded}"

        terms = Counter(uni(t) for t in fixed)
        for a, b in zip(fixed, fixed[1:], strict=False):
            if a.has_marks and b.has_marks:
                terms[f"a:{a.accented}_{b.accented}"] += 1
            else:
                terms[f"f:{a.folded}_{b.folded}"] += 1
        return terms, [uni(t) for t in fixed], corrections

    def _join(self, toks: list[Token]) -> list[Token]:
        """'chat gpt' -> 'chatgpt', 'deep fake' -> 'deepfake', when the lessons write it so."""
        out: list[Token] = []
        i = 0
        while i < len(toks):
            if i + 1 < len(toks):
                a, b = toks[i], toks[i + 1]
                joined = a.folded + b.folded
                pair = f"f:{a.folded}_{b.folded}"
                if joined in self.folded_vocab and pair not in self.words.idf:
                    out.append(Token(joined, joined))
                    i += 2
                    continue
            out.append(toks[i])
            i += 1
        return out

    def named_term(self, question: str) -> tuple[int, float, str] | None:
        """The glossary entry named in the question (longest name wins; a name of six
        letters or more may carry one typo, 'cau len' for 'cau lenh'), the share of the
        question's words that the name covers, and the name."""
        words = [t.folded for t in tokens(question)]
        q = " " + " ".join(words) + " "
        best: tuple[int, str] | None = None
        for pid, key in self.term_keys:
            if (best is None or len(key) > len(best[1])) and f" {key} " in q:
                best = (pid, key)
        if best is None:
            for pid, key in self.term_keys:
                n = key.count(" ") + 1
                if len(key) < 6 or (best is not None and len(key) <= len(best[1])):
                    continue
                grams = {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
                if any(OSA.distance(g, key, score_cutoff=1) <= 1 for g in grams):
                    best = (pid, key)
        if best is None:
            return None
        content = len(_content(tokens(question))) or 1
        return best[0], min(1.0, (best[1].count(" ") + 1) / content), best[1]

    def search(self, question: str, k: int = 3) -> Result:
        folded = " " + fold(question) + " "
        if " benh " in folded and " sau " not in folded and _PLANT.search(folded):
            question = f"{question} sâu bệnh"
        for said, meant in PHRASES.items():
            if f" {said} " in folded:
                question = f"{question} {meant}"
        named = self.named_term(question)
        q = " " + " ".join(t.folded for t in tokens(question)) + " "
        if named is not None and f" {named[2]} " not in q:  # a glossary name with a typo
            question = f"{question} {named[2]}"
        terms, words, corrections = self.query_terms(question)
        if named is not None and f" {named[2]} " not in q:
            corrections[named[2]] = named[2]
        scores: dict[int, float] = {}
        self.words.score(terms, scores)
        content_words = [w.split(":", 1)[1] for w in words]
        self.chars.score(Counter(_trigrams([fold(w) for w in content_words])), scores, CHAR_WEIGHT)
        for pid in scores:
            if self.passages[pid].kind == "term":
                scores[pid] *= TERM_WEIGHT
        if named is not None and named[1] >= 0.5:  # "deepfake là gì": that entry leads
            pid, share, _ = named
            scores[pid] = scores.get(pid, 0.0) + TERM_BONUS * share
        ranked = sorted(scores.items(), key=lambda s: -s[1])
        hits = [Hit(self.passages[pid], s) for pid, s in ranked]
        lessons: dict[str, float] = {}
        for h in hits:
            lessons.setdefault(h.passage.lesson_id, h.score)
        top = sorted(lessons.items(), key=lambda s: -s[1])[:k]
        return Result(question, hits, top, corrections)


def evidence(
    retriever: "Retriever", question: str, result: Result, top: int = 3
) -> tuple[int, float]:
    """How much of what the learner typed (no added phrases; only typos in words of six
    letters or more corrected, since short ones land on any syllable: 'giat' -> 'gia')
    one of the top lessons says too, anywhere in its cards and glossary entries:
    (words in common, idf-weighted share of words in common). Vietnamese words are
    mostly two syllables, so a shared pair of syllables is a shared word, not a shared
    syllable; so is a shared name that is no Vietnamese syllable ('zalo', 'luyenai')."""
    terms, words, _ = retriever.query_terms(question, typo_len=EVIDENCE_TYPO_LEN)
    unique = list(dict.fromkeys(words))
    pairs = [t for t in terms if "_" in t]
    foreign = [w for w in unique if not _SYLLABLE.match(w[2:])]  # 'zalo', 'luyenai'
    rare = max(retriever.words.idf.values(), default=1.0)
    total = sum(retriever.words.idf.get(w, rare) for w in unique) or 1.0
    best = (0, 0.0)
    for lesson_id, _ in result.lessons[:top]:
        bag = retriever.lesson_terms.get(lesson_id, frozenset())
        shared = sum(t in bag for t in pairs) + sum(t in bag for t in foreign)
        share = sum(retriever.words.idf[w] for w in unique if w in bag) / total
        best = max(best, (shared, round(share, 3)))
    return best


def _names(term: Term) -> list[str]:
    """Folded names of a glossary entry: 'Câu lệnh (prompt)' -> 'cau lenh', 'prompt', …"""
    names = [term.term, re.sub(r"\s*\(.*?\)", "", term.term), *re.findall(r"\((.*?)\)", term.term)]
    names += term.aliases
    keys = (" ".join(t.folded for t in tokens(n)) for n in names)
    return [k for k in dict.fromkeys(keys) if k]


_CACHE: dict[int, tuple[Catalog, Retriever]] = {}


def for_catalog(catalog: Catalog) -> Retriever:
    """The retriever of a catalogue, built on first use and kept (start-up cost only)."""
    cached = _CACHE.get(id(catalog))
    if cached is None or cached[0] is not catalog:
        cached = (catalog, Retriever(catalog))
        _CACHE[id(catalog)] = cached
    return cached[1]
