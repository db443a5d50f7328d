"""Thái Nguyên's 92 commune-level units and a forgiving search over their names."""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.textutil import fold

DATA_FILE = Path(__file__).resolve().parent / "data" / "thai_nguyen_wards.json"
_PREFIXES = ("xa ", "phuong ", "p ", "x ")
FUZZY_CUTOFF = 70


@dataclass(frozen=True)
class Commune:
    code: int
    name: str  # "Xã Tân Cương"
    kind: str  # "xã" | "phường"
    key: str  # folded name without the kind: "tan cuong"


def _strip_kind(folded: str) -> str:
    for p in _PREFIXES:
        if folded.startswith(p):
            return folded[len(p) :]
    return folded


@lru_cache
def all_communes() -> tuple[Commune, ...]:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return tuple(
        Commune(w["code"], w["name"], w["division_type"], _strip_kind(fold(w["name"])))
        for w in data["wards"]
    )


@lru_cache
def by_code() -> dict[int, Commune]:
    return {c.code: c for c in all_communes()}


def lookup(code: int | None) -> Commune | None:
    """The commune with this code; None for no code or an unknown one."""
    return None if code is None else by_code().get(code)


def search(query: str, limit: int = 5) -> list[Commune]:
    """Closest communes to what was typed, best first; tolerant of missing diacritics
    and small typos. An exact name returns just that commune."""
    q = _strip_kind(fold(query))
    if not q:
        return []
    communes = all_communes()
    exact = [c for c in communes if c.key == q]
    if exact:
        return exact
    found = sorted((c for c in communes if q in c.key), key=lambda c: (c.key.find(q), c.key))
    if not found:
        keys = [c.key for c in communes]
        for _key, _score, idx in process.extract(
            q, keys, scorer=fuzz.WRatio, limit=limit, score_cutoff=FUZZY_CUTOFF
        ):
            if communes[idx] not in found:
                found.append(communes[idx])
    return found[:limit]
