"""The glossary ("Từ điển AI"): an index of terms and lookup by what people type."""

import re

from rapidfuzz import fuzz, process

from bot import actions as A
from bot.flows.common import TO_MENU
from bot.flows.texts import common as shared
from bot.flows.texts import glossary as texts
from bot.messages import Choice, Outbound
from bot.textutil import fold
from lessons.loader import Catalog
from lessons.schema import Term

FUZZY_CUTOFF = 78  # one or two typos in a short term
_PAREN = re.compile(r"\s*\(.*?\)")


def keys(term: Term) -> list[str]:
    """Folded ways to name a term: 'Câu lệnh (prompt)' -> 'cau lenh', 'prompt', aliases."""
    names = [term.term, _PAREN.sub("", term.term), *re.findall(r"\((.*?)\)", term.term)]
    names += term.aliases
    return [k for k in dict.fromkeys(fold(n) for n in names) if k]


def index(catalog: Catalog) -> Outbound:
    names = ", ".join(t.term for t in catalog.glossary)
    return Outbound(texts.index(len(catalog.glossary), names), (TO_MENU,))


def lookup(catalog: Catalog, text: str, fuzzy: bool = True) -> Term | None:
    """The term named in text: a whole-word mention (longest wins), else a close spelling."""
    q = f" {fold(text)} "
    best: tuple[int, Term] | None = None
    for term in catalog.glossary:
        for key in keys(term):
            if f" {key} " in q and (best is None or len(key) > best[0]):
                best = (len(key), term)
    if best or not fuzzy:
        return best[1] if best else None
    choices = {k: t for t in catalog.glossary for k in keys(t)}
    hit = process.extractOne(
        fold(text), list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
    )
    return choices[hit[0]] if hit else None


def entry(term: Term) -> Outbound:
    return Outbound(
        texts.entry(term.term, term.definition),
        (Choice(shared.GLOSSARY, A.GLOSSARY), TO_MENU),
    )
