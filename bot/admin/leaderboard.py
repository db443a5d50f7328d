"""Thi đua: the communes (92) and the units ranked by the share of their population base
that is trained, and that is proficient, with the change of rank since a week ago.

- Trained / proficient: bot/policy.py's definitions, as stamped on the learner row
  (bot/admin/milestones.py), so one GROUP BY over the learner table counts them, now and
  as of a week ago (`trained_at < now - 7 days`): the weekly change is computed, not
  read from a stored snapshot, so it is right from the first week and after a restart.
- Population base: a commune's is set by an admin (`hocai targets base commune:CODE N`,
  stored in target_base as "commune:CODE"); a unit's is its headcount. Without one, the
  commune's or unit's own learners are the base (the row says so): a fair ranking needs
  every base set.
- Order: share trained (or proficient, `by`), then the other share, then learners;
  equal shares share a rank (1, 2, 2, 4). A week ago is ranked the same way, on the
  learners who had joined by then and the same bases.

Everyone with a dashboard sees the whole ranking (aggregates only, no learner): that is
the point of an emulation; learners see their commune's rank in /tiendo.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import communes as communes_mod
from storage.models import Learner, LearnerStatus, TargetBase, Unit
from storage.types import utcnow

COMMUNE_BASE_PREFIX = "commune:"  # target_base key of a commune's population
WEEK = timedelta(days=7)
BY = ("trained", "proficient")
PROGRESS_CACHE_SECONDS = 600.0  # /tiendo's rank: the ranking moves slowly
L = Learner.__table__


class MarkRow(NamedTuple):
    """Counts of onboarded learners of one (group, commune, unit), now and a week ago."""

    group: str | None
    commune: int | None
    unit_id: int | None
    learners: int
    first_lesson: int
    half_track: int
    trained: int
    proficient: int
    learners_then: int
    trained_then: int
    proficient_then: int


def marks_select(cut: datetime) -> Select:
    """One row per (group, commune, unit): the milestone counts, and those before `cut`."""

    def before(col: ColumnElement[Any]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((col < cut, 1), else_=0)), 0)

    return (
        select(
            L.c.group_code,
            L.c.commune_code,
            L.c.unit_id,
            func.count(),
            func.count(L.c.first_lesson_at),
            func.count(L.c.half_track_at),
            func.count(L.c.trained_at),
            func.count(L.c.proficient_at),
            before(L.c.created_at),
            before(L.c.trained_at),
            before(L.c.proficient_at),
        )
        .where(L.c.status != LearnerStatus.onboarding.value)
        .group_by(L.c.group_code, L.c.commune_code, L.c.unit_id)
    )


async def mark_rows(session: AsyncSession, now: datetime) -> list[MarkRow]:
    result = await session.execute(marks_select(now - WEEK))
    return [MarkRow(*(r[:3]), *(int(v) for v in r[3:])) for r in result.all()]


# --- the ranking ----------------------------------------------------------------------------


@dataclass
class Standing:
    kind: str  # commune | unit
    code: str  # commune code or unit join code
    name: str
    commune_code: int | None
    base: int | None  # the population base used (None: no base and no learners)
    base_source: str  # population | headcount | learners
    learners: int = 0
    trained: int = 0
    proficient: int = 0
    learners_then: int = 0
    trained_then: int = 0
    proficient_then: int = 0
    rank: int = 0
    rank_then: int | None = None  # None: nobody had joined a week ago

    @property
    def trained_pct(self) -> float | None:
        return _pct(self.trained, self.base)

    @property
    def proficient_pct(self) -> float | None:
        return _pct(self.proficient, self.base)

    @property
    def change(self) -> int | None:
        """Places gained since a week ago (negative: lost)."""
        return None if self.rank_then is None else self.rank_then - self.rank

    def base_then(self) -> int | None:
        return self.learners_then or None if self.base_source == "learners" else self.base

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "commune_code": self.commune_code,
            "base": self.base,
            "base_source": self.base_source,
            "learners": self.learners,
            "trained": self.trained,
            "proficient": self.proficient,
            "trained_percent": self.trained_pct,
            "proficient_percent": self.proficient_pct,
            "rank": self.rank,
            "rank_last_week": self.rank_then,
            "change": self.change,
        }


def _pct(part: int, whole: int | None) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Board:
    at: datetime
    by: str
    communes: list[Standing] = field(default_factory=list)
    units: list[Standing] = field(default_factory=list)

    def commune(self, code: int | None) -> Standing | None:
        return next((s for s in self.communes if s.code == str(code)), None)

    def as_dict(self) -> dict:
        return {
            "generated_at": self.at.isoformat(),
            "ranked_by": self.by,
            "compared_with": (self.at - WEEK).isoformat(),
            "communes": [s.as_dict() for s in self.communes],
            "units": [s.as_dict() for s in self.units],
        }


def _rank(rows: list[Standing], key: Callable[[Standing], tuple]) -> list[int]:
    """Competition ranks (1, 2, 2, 4) of rows by key (higher first); rows keep order."""
    keys = [key(r) for r in rows]
    first: dict = {}
    for place, k in enumerate(sorted(keys, reverse=True), start=1):
        first.setdefault(k, place)
    return [first[k] for k in keys]


def _shares(
    by: str, trained: int, proficient: int, learners: int, base: int | None
) -> tuple[float, float, int]:
    if not base:
        return (-1.0, -1.0, learners)
    t, p = trained / base, proficient / base
    return (t, p, learners) if by == "trained" else (p, t, learners)


def rank_all(rows: list[Standing], by: str) -> list[Standing]:
    """Set rank and rank_then; return the rows in rank order."""
    now = _rank(rows, lambda s: _shares(by, s.trained, s.proficient, s.learners, s.base))
    then = _rank(
        rows,
        lambda s: _shares(by, s.trained_then, s.proficient_then, s.learners_then, s.base_then()),
    )
    anyone_then = any(s.learners_then for s in rows)
    for s, r, r_then in zip(rows, now, then, strict=True):
        s.rank, s.rank_then = r, (r_then if anyone_then else None)
    return sorted(rows, key=lambda s: (s.rank, s.name))


def build_board(
    rows: list[MarkRow],
    units: list[Unit],
    bases: dict[str, int],
    now: datetime,
    by: str = "trained",
) -> Board:
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    # Looked up by a learner's commune and unit, which may be None.
    communes: dict[int | None, Standing] = {}
    for c in communes_mod.all_communes():
        population = bases.get(f"{COMMUNE_BASE_PREFIX}{c.code}")
        communes[c.code] = Standing(
            "commune", str(c.code), c.name, c.code, population, "population"
        )
    by_unit: dict[int | None, Standing] = {}
    for u in units:
        by_unit[u.id] = Standing("unit", u.code, u.name, u.commune_code, u.headcount, "headcount")
    for r in rows:
        for s in (communes.get(r.commune), by_unit.get(r.unit_id)):
            if s is None:
                continue
            s.learners += r.learners
            s.trained += r.trained
            s.proficient += r.proficient
            s.learners_then += r.learners_then
            s.trained_then += r.trained_then
            s.proficient_then += r.proficient_then
    for s in (*communes.values(), *by_unit.values()):
        if not s.base:
            s.base, s.base_source = (s.learners or None), "learners"
    return Board(
        now, by, rank_all(list(communes.values()), by), rank_all(list(by_unit.values()), by)
    )


async def commune_bases(session: AsyncSession) -> dict[str, int]:
    stmt = select(TargetBase.key, TargetBase.population).where(
        TargetBase.key.startswith(COMMUNE_BASE_PREFIX)
    )
    return {k: int(p) for k, p in (await session.execute(stmt)).all()}


async def compute(session: AsyncSession, now: datetime, by: str = "trained") -> Board:
    rows = await mark_rows(session, now)
    units = list((await session.execute(select(Unit).order_by(Unit.code))).scalars())
    return build_board(rows, units, await commune_bases(session), now, by)


class Standings:
    """The mark rows, units and bases, kept `ttl` seconds (the dashboard's leaderboard,
    funnel and the digests read them); every board and funnel is built from them."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions, self.ttl, self.clock = sessions, ttl, clock
        self._cached: tuple[float, tuple] | None = None

    async def data(self) -> tuple[datetime, list[MarkRow], list[Unit], dict[str, int]]:
        if self._cached and time.monotonic() - self._cached[0] < self.ttl:
            return self._cached[1]
        now = self.clock()
        async with self.sessions() as session:
            rows = await mark_rows(session, now)
            units = list((await session.execute(select(Unit).order_by(Unit.code))).scalars())
            bases = await commune_bases(session)
        value = (now, rows, units, bases)
        self._cached = (time.monotonic(), value)
        return value

    async def board(self, by: str = "trained") -> Board:
        now, rows, units, bases = await self.data()
        return build_board(rows, units, bases, now, by)


# /tiendo asks for its commune's rank on every call: one board per database, kept
# PROGRESS_CACHE_SECONDS (the ranking of 92 communes changes slowly).
_PROGRESS: dict[str, tuple[float, Board]] = {}


async def cached_board(session: AsyncSession, now: datetime) -> Board:
    key = str(session.get_bind().engine.url)
    hit = _PROGRESS.get(key)
    if hit and time.monotonic() - hit[0] < PROGRESS_CACHE_SECONDS:
        return hit[1]
    board = await compute(session, now)
    _PROGRESS[key] = (time.monotonic(), board)
    return board


def clear_cache() -> None:
    _PROGRESS.clear()
