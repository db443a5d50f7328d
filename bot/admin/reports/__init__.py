"""The province's targets report, and the per-learner progress query behind exports.

"Trained" and "proficient" are bot/policy.py's definitions, written here as SQL:
- trained: completed (lesson_progress.completed_at set) every core lesson
  (`policy.core_lessons`);
- proficient: a finished final assessment of the learner's track with `passed` set
  (which `policy.passed` decided when the attempt finished).

Counting is done by the database: one GROUP BY over (group, commune, unit) gives at most a
few thousand rows, from which every view (province, a commune, a unit) is summed up. A
learner counts once onboarding is finished (status other than "onboarding").

The province's targets (Kế hoạch 237/KH-UBND and the programme's KPIs), as computed:

| target group | learner groups | measure | target |
|---|---|---|---|
| public servants | cb | trained / base | 100% |
|  |  | proficient / base | ≥50% |
| business owners | dn | learners ("reached") / base | ≥80% |
|  |  | proficient ("applying") / learners | ≥50% |
| working-age citizens | dan, che | learners ("in the basic course") / base | ≥80% |
|  |  | proficient / learners | ≥50% |

The base of public servants is the headcount of agency and school units unless an admin
set it (`hocai targets base`); the other two bases come only from an admin. Units are
measured against their headcount (agency/school: the public-servant targets; enterprise/
coop: the business targets); a commune is below target when it has no learners, no
active core team, or fewer than half of its learners proficient.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Integer, Select, and_, case, cast, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import communes as communes_mod
from bot import policy
from bot.admin.roles import PROVINCE, Filter, Scope, scope_filter
from lessons.limits import ALL_GROUPS, LEARNER_GROUPS
from lessons.loader import Catalog
from storage.models import (
    Assessment,
    Certificate,
    Learner,
    LearnerStatus,
    LessonProgress,
    StaffRole,
    TargetBase,
    Unit,
)
from storage.types import utcnow

ACTIVE_DAYS = 7
CORE_TEAM_ACTIVE_DAYS = 30
COMMUNE_PROFICIENT_PCT = 50
TREND_WEEKS = 12
TREND_TTL_FACTOR = 10
PUBLIC_KINDS = ("agency", "school")
UNIT_KINDS = {
    "agency": "Cơ quan",
    "school": "Trường học",
    "enterprise": "Doanh nghiệp",
    "coop": "Hợp tác xã",
}
DEFAULT_TRACK = "dan"  # bot/flows/assessment.py: a learner without a group takes this track


@dataclass(frozen=True)
class GroupTarget:
    key: str
    label: str
    groups: tuple[str, ...]
    reach_pct: int | None  # learners / base
    trained_pct: int | None  # trained / base
    proficient_pct: int  # proficient / (base or learners)
    proficient_of_base: bool


TARGETS = (
    GroupTarget("public_servants", "Cán bộ, công chức, viên chức", ("cb",), None, 100, 50, True),
    GroupTarget("business", "Chủ doanh nghiệp, HTX, hộ kinh doanh", ("dn",), 80, None, 50, False),
    GroupTarget(
        "citizens",
        "Người dân trong độ tuổi lao động (người dân, nông dân trồng chè)",
        ("dan", "che"),
        80,
        None,
        50,
        False,
    ),
)
TARGET_KEYS = tuple(t.key for t in TARGETS)


# --- the report's shapes ----------------------------------------------------------------


@dataclass
class Counts:
    learners: int = 0
    trained: int = 0
    proficient: int = 0
    active: int = 0  # active in the last ACTIVE_DAYS days

    def add(self, other: "Counts") -> None:
        self.learners += other.learners
        self.trained += other.trained
        self.proficient += other.proficient
        self.active += other.active


def pct(part: int, whole: int | None) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Metric:
    label: str
    value: int
    of: int | None  # the denominator; None when unknown
    target_pct: int

    @property
    def pct(self) -> float | None:
        return pct(self.value, self.of)

    @property
    def met(self) -> bool | None:
        return None if self.pct is None else self.pct >= self.target_pct


@dataclass
class TargetRow:
    key: str
    label: str
    groups: tuple[str, ...]
    base: int | None
    base_source: str
    counts: Counts
    metrics: list[Metric]

    @property
    def met(self) -> bool | None:
        states = [m.met for m in self.metrics]
        return None if None in states else all(states)


@dataclass
class CommuneRow:
    code: int
    name: str
    kind: str
    counts: Counts
    team: int  # core team members (staff scoped to the commune or a unit in it)
    team_active: int  # of them, seen in the last CORE_TEAM_ACTIVE_DAYS days
    flags: list[str] = field(default_factory=list)

    @property
    def proficient_pct(self) -> float | None:
        return pct(self.counts.proficient, self.counts.learners)

    @property
    def trained_pct(self) -> float | None:
        return pct(self.counts.trained, self.counts.learners)


@dataclass
class UnitRow:
    id: int
    code: str
    name: str
    kind: str
    commune_code: int | None
    commune_name: str
    headcount: int | None
    counts: Counts
    metrics: list[Metric]
    flags: list[str] = field(default_factory=list)

    @property
    def trained_pct(self) -> float | None:
        return pct(self.counts.trained, self.headcount)

    @property
    def proficient_pct(self) -> float | None:
        return pct(self.counts.proficient, self.headcount)


@dataclass
class Report:
    generated_at: datetime
    scope: Scope
    total: Counts
    groups: dict[str, Counts]
    targets: list[TargetRow]
    communes: list[CommuneRow]
    units: list[UnitRow]

    @property
    def communes_below(self) -> int:
        return sum(1 for c in self.communes if c.flags)

    @property
    def units_below(self) -> int:
        return sum(1 for u in self.units if u.flags)

    def as_dict(self) -> dict:
        """JSON for the admin API (English keys)."""

        def counts(c: Counts) -> dict:
            return {
                "learners": c.learners,
                "trained": c.trained,
                "proficient": c.proficient,
                "active_7d": c.active,
            }

        def metric(m: Metric) -> dict:
            return {
                "label": m.label,
                "value": m.value,
                "of": m.of,
                "percent": m.pct,
                "target_percent": m.target_pct,
                "met": m.met,
            }

        return {
            "generated_at": self.generated_at.isoformat(),
            "scope": self.scope.__dict__,
            "definitions": DEFINITIONS,
            "total": counts(self.total),
            "groups": {g: counts(c) for g, c in self.groups.items()},
            "targets": [
                {
                    "key": t.key,
                    "label": t.label,
                    "learner_groups": list(t.groups),
                    "base": t.base,
                    "base_source": t.base_source,
                    **counts(t.counts),
                    "metrics": [metric(m) for m in t.metrics],
                    "met": t.met,
                }
                for t in self.targets
            ],
            "communes": [
                {
                    "code": c.code,
                    "name": c.name,
                    **counts(c.counts),
                    "core_team": c.team,
                    "core_team_active": c.team_active,
                    "below_target": bool(c.flags),
                    "flags": c.flags,
                }
                for c in self.communes
            ],
            "units": [
                {
                    "code": u.code,
                    "name": u.name,
                    "kind": u.kind,
                    "commune_code": u.commune_code,
                    "headcount": u.headcount,
                    **counts(u.counts),
                    "trained_percent": u.trained_pct,
                    "proficient_percent": u.proficient_pct,
                    "below_target": bool(u.flags),
                    "flags": u.flags,
                }
                for u in self.units
            ],
        }


DEFINITIONS = {
    "trained": "completed every lesson of the core modules (M1-M5)",
    "proficient": (
        f"passed the final assessment of their track with at least {policy.PASS_PERCENT}% "
        "of the answers right"
    ),
    "learner": "finished onboarding (consent, group, commune)",
}
DEFINITIONS_VI = {
    "trained": "Đã học xong phần cơ bản: hoàn thành mọi bài của các module chung (M1–M5).",
    "proficient": (
        "Thành thạo: đạt bài kiểm tra cuối khóa của lộ trình, đúng từ "
        f"{policy.PASS_PERCENT}% số câu trở lên."
    ),
}


# --- SQL ----------------------------------------------------------------------------------

L, U, LP, AS = (
    Learner.__table__,
    Unit.__table__,
    LessonProgress.__table__,
    Assessment.__table__,
)


def learner_conditions(flt: Filter) -> list:
    conds = [L.c.status != LearnerStatus.onboarding.value]
    if flt.commune is not None:
        conds.append(L.c.commune_code == flt.commune)
    if flt.unit_id is not None:
        conds.append(L.c.unit_id == flt.unit_id)
    if flt.group is not None:
        conds.append(L.c.group_code == flt.group)
    return conds


def _track_group():
    return func.coalesce(L.c.group_code, DEFAULT_TRACK)


def _passed_subquery(restrict=None):
    q = select(AS.c.learner_id, AS.c.track).where(
        AS.c.finished_at.is_not(None), AS.c.passed.is_(True)
    )
    if restrict is not None:
        q = q.where(AS.c.learner_id.in_(restrict))
    return q.group_by(AS.c.learner_id, AS.c.track).subquery("passed")


def _trained_subquery(catalog: Catalog, restrict=None):
    core = policy.core_lessons(catalog)
    q = select(LP.c.learner_id).where(LP.c.completed_at.is_not(None), LP.c.lesson_id.in_(core))
    if restrict is not None:
        q = q.where(LP.c.learner_id.in_(restrict))
    return q.group_by(LP.c.learner_id).having(func.count() >= len(core)).subquery("trained")


def grouped_select(catalog: Catalog, since: datetime) -> Select:
    """Learners, trained, proficient, active: one row per (group, commune, unit)."""
    trained, passed = _trained_subquery(catalog), _passed_subquery()
    return (
        select(
            L.c.group_code,
            L.c.commune_code,
            L.c.unit_id,
            func.count().label("learners"),
            func.count(trained.c.learner_id).label("trained"),
            func.count(passed.c.learner_id).label("proficient"),
            func.sum(case((L.c.last_active_at >= since, 1), else_=0)).label("active"),
        )
        .select_from(
            L.outerjoin(trained, trained.c.learner_id == L.c.id).outerjoin(
                passed,
                and_(passed.c.learner_id == L.c.id, passed.c.track == _track_group()),
            )
        )
        .where(*learner_conditions(Filter()))
        .group_by(L.c.group_code, L.c.commune_code, L.c.unit_id)
    )


def per_learner_select(catalog: Catalog, flt: Filter, ids: list[int] | None = None) -> Select:
    """One row per learner, ordered by id, with everything an export needs."""
    core = policy.core_lessons(catalog)
    n_core = max(len(core), 1)
    extra = [m for m in catalog.modules if ALL_GROUPS not in m.groups]
    restrict = None
    if ids is not None:
        restrict = ids
    elif flt.as_dict():
        restrict = select(L.c.id).where(*learner_conditions(flt))

    cols = [
        LP.c.learner_id,
        func.sum(case((LP.c.lesson_id.in_(core), 1), else_=0)).label("core_done"),
        *[
            func.sum(case((LP.c.lesson_id.in_(m.lessons), 1), else_=0)).label(f"done_{i}")
            for i, m in enumerate(extra)
        ],
        func.sum(LP.c.score).label("score_sum"),
        func.sum(LP.c.total).label("total_sum"),
    ]
    lp = select(*cols).where(LP.c.completed_at.is_not(None))
    if restrict is not None:
        lp = lp.where(LP.c.learner_id.in_(restrict))
    p = lp.group_by(LP.c.learner_id).subquery("p")

    best = select(
        AS.c.learner_id,
        AS.c.track,
        # Percentages as rounded integers in SQL (no Decimal per row on Postgres).
        func.max((AS.c.score * 200 + AS.c.total) / (AS.c.total * 2)).label("best_pct"),
        func.max(case((AS.c.passed.is_(True), 1), else_=0)).label("passed"),
    ).where(AS.c.finished_at.is_not(None), AS.c.total > 0)
    if restrict is not None:
        best = best.where(AS.c.learner_id.in_(restrict))
    a = best.group_by(AS.c.learner_id, AS.c.track).subquery("a")
    cert = select(Certificate.learner_id, func.max(Certificate.number).label("number")).where(
        Certificate.revoked_at.is_(None)
    )
    if restrict is not None:
        cert = cert.where(Certificate.learner_id.in_(restrict))
    c = cert.group_by(Certificate.learner_id).subquery("c")

    group = _track_group()
    core_done = func.coalesce(p.c.core_done, 0)
    extra_done = {
        g: [func.coalesce(p.c[f"done_{i}"], 0) for i, m in enumerate(extra) if m.is_for(g)]
        for g in LEARNER_GROUPS
    }
    track_done = core_done + case(
        *[(group == g, sum(parts[1:], parts[0])) for g, parts in extra_done.items() if parts],
        else_=0,
    )
    track_total = case(
        *[(group == g, len(catalog.track(g))) for g in LEARNER_GROUPS],
        else_=len(catalog.track(DEFAULT_TRACK)),
    )
    stmt = (
        select(
            L.c.id,
            L.c.pid,
            L.c.display_name,
            L.c.group_code,
            L.c.commune_code,
            U.c.code.label("unit_code"),
            U.c.name.label("unit_name"),
            # Plain timestamps: the export converts them itself, faster than per-row types.
            type_coerce(L.c.created_at, DateTime(timezone=True)).label("created_at"),
            type_coerce(L.c.last_active_at, DateTime(timezone=True)).label("last_active_at"),
            track_done.label("lessons_done"),
            track_total.label("lessons_total"),
            ((core_done * 200 + n_core) / (2 * n_core)).label("core_pct"),
            case(
                (p.c.total_sum > 0, (p.c.score_sum * 200 + p.c.total_sum) / (p.c.total_sum * 2)),
                else_=None,
            ).label("quiz_pct"),
            a.c.best_pct,
            case((core_done >= n_core, 1), else_=0).label("trained"),
            func.coalesce(a.c.passed, 0).label("proficient"),
            c.c.number.label("certificate"),
        )
        .select_from(
            L.outerjoin(U, U.c.id == L.c.unit_id)
            .outerjoin(p, p.c.learner_id == L.c.id)
            .outerjoin(a, and_(a.c.learner_id == L.c.id, a.c.track == group))
            .outerjoin(c, c.c.learner_id == L.c.id)
        )
        .order_by(L.c.id)
    )
    if ids is not None:
        return stmt.where(L.c.id.in_(ids))
    return stmt.where(*learner_conditions(flt))


# --- building the report ------------------------------------------------------------------


@dataclass
class _Snapshot:
    """Everything the report needs, small: grouped counts, units, core teams, bases."""

    at: datetime
    rows: list[tuple]  # (group, commune, unit_id, Counts)
    units: list[Unit]
    team: dict[int, tuple[int, int]]  # commune -> (members, active)
    unit_team: dict[int, tuple[int, int]]  # unit -> (members, active)
    bases: dict[str, TargetBase]


class ReportService:
    """Computes the targets report; the province-wide snapshot is kept `ttl` seconds
    (the dashboard opens several pages from it), and every scope is summed from it."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        *,
        ttl: float = 60.0,
        clock=utcnow,
    ):
        self.sessions, self.catalog, self.ttl, self.clock = sessions, catalog, ttl, clock
        self._cached: tuple[float, _Snapshot] | None = None
        self._trends: dict[Filter, tuple[float, list[dict]]] = {}

    def invalidate(self) -> None:
        self._cached = None
        self._trends.clear()

    async def trend(self, flt: Filter, tz: ZoneInfo) -> list[dict]:
        """The weekly trend of a scope, kept 10× the report's time (at a million learners
        it counts millions of lesson completions; weeks change slowly)."""
        hit = self._trends.get(flt)
        if hit and time.monotonic() - hit[0] < self.ttl * TREND_TTL_FACTOR:
            return hit[1]
        async with self.sessions() as session:
            data = await weekly_trend(session, flt, self.clock(), tz)
        self._trends[flt] = (time.monotonic(), data)
        return data

    async def snapshot(self) -> _Snapshot:
        if self._cached and time.monotonic() - self._cached[0] < self.ttl:
            return self._cached[1]
        now = self.clock()
        async with self.sessions() as session:
            rows = [
                (g, c, u, Counts(n, t, p, int(a or 0)))
                for g, c, u, n, t, p, a in (
                    await session.execute(
                        grouped_select(self.catalog, now - timedelta(days=ACTIVE_DAYS))
                    )
                ).all()
            ]
            units = list((await session.execute(select(Unit).order_by(Unit.code))).scalars())
            unit_commune = {u.id: u.commune_code for u in units}
            seen_since = now - timedelta(days=CORE_TEAM_ACTIVE_DAYS)
            team: dict[int, list[int]] = {}
            unit_team: dict[int, list[int]] = {}
            staff = await session.execute(
                select(
                    StaffRole.scope,
                    StaffRole.commune_code,
                    StaffRole.unit_id,
                    StaffRole.last_seen_at,
                ).where(StaffRole.role == "staff", StaffRole.scope.in_(("commune", "unit")))
            )
            for scope, commune, unit_id, seen in staff:
                active = int(seen is not None and seen >= seen_since)
                if scope == "unit":
                    unit_team.setdefault(unit_id, [0, 0])
                    unit_team[unit_id][0] += 1
                    unit_team[unit_id][1] += active
                    commune = unit_commune.get(unit_id)
                if commune is not None:
                    team.setdefault(commune, [0, 0])
                    team[commune][0] += 1
                    team[commune][1] += active
            bases = {b.key: b for b in (await session.execute(select(TargetBase))).scalars()}
        snap = _Snapshot(
            now,
            rows,
            units,
            {k: (v[0], v[1]) for k, v in team.items()},
            {k: (v[0], v[1]) for k, v in unit_team.items()},
            bases,
        )
        self._cached = (time.monotonic(), snap)
        return snap

    async def report(self, scope: Scope = PROVINCE) -> Report:
        return build_report(await self.snapshot(), scope)


def _in(flt: Filter, commune, unit_id) -> bool:
    return (flt.commune is None or commune == flt.commune) and (
        flt.unit_id is None or unit_id == flt.unit_id
    )


def _unit_metrics(kind: str, headcount: int | None, c: Counts) -> list[Metric]:
    if kind in PUBLIC_KINDS:
        return [
            Metric("Đã học xong cơ bản", c.trained, headcount, 100),
            Metric("Thành thạo", c.proficient, headcount, 50),
        ]
    return [
        Metric("Đã tham gia học", c.learners, headcount, 80),
        Metric("Thành thạo (trong số đã học)", c.proficient, c.learners or None, 50),
    ]


def build_report(snap: _Snapshot, scope: Scope) -> Report:
    flt = scope_filter(scope)
    total, groups = Counts(), {g: Counts() for g in LEARNER_GROUPS}
    by_commune: dict[int, Counts] = {}
    by_unit: dict[int, Counts] = {}
    for group, commune, unit_id, c in snap.rows:
        if not _in(flt, commune, unit_id):
            continue
        total.add(c)
        groups.setdefault(group or "?", Counts()).add(c)
        by_commune.setdefault(commune, Counts()).add(c)
        if unit_id is not None:
            by_unit.setdefault(unit_id, Counts()).add(c)

    names = communes_mod.by_code()
    units_in = [
        u
        for u in snap.units
        if scope.kind == "province"
        or (scope.kind == "commune" and u.commune_code == scope.commune)
        or (scope.kind == "unit" and u.id == scope.unit_id)
    ]
    # A unit's figures cover all its learners (also those living in another commune).
    unit_counts: dict[int, Counts] = {}
    if scope.kind == "commune":
        wanted = {u.id for u in units_in}
        for _g, _c, unit_id, c in snap.rows:
            if unit_id in wanted:
                unit_counts.setdefault(unit_id, Counts()).add(c)
    else:
        unit_counts = by_unit

    unit_rows = []
    for u in units_in:
        c = unit_counts.get(u.id, Counts())
        metrics = _unit_metrics(u.kind, u.headcount, c)
        flags = [
            f"{m.label} {_fmt_pct(m.pct)} < {m.target_pct}%" for m in metrics if m.met is False
        ]
        commune = names.get(u.commune_code) if u.commune_code else None
        unit_rows.append(
            UnitRow(
                u.id,
                u.code,
                u.name,
                u.kind,
                u.commune_code,
                commune.name if commune else "",
                u.headcount,
                c,
                metrics,
                flags,
            )
        )

    if scope.kind == "province":
        commune_codes = [c.code for c in communes_mod.all_communes()]
    else:
        commune_codes = [scope.commune] if scope.commune in names else []
    commune_rows = []
    for code in commune_codes:
        c = by_commune.get(code, Counts())
        members, active = snap.team.get(code, (0, 0))
        row = CommuneRow(code, names[code].name, names[code].kind, c, members, active)
        if not c.learners:
            row.flags.append("Chưa có người học")
        if not active:
            row.flags.append("Chưa có nhóm nòng cốt hoạt động")
        p = row.proficient_pct
        if p is not None and p < COMMUNE_PROFICIENT_PCT:
            row.flags.append(f"Thành thạo {_fmt_pct(p)} < {COMMUNE_PROFICIENT_PCT}%")
        commune_rows.append(row)

    public_headcount = sum(u.headcount or 0 for u in units_in if u.kind in PUBLIC_KINDS)
    targets = []
    for t in TARGETS:
        c = Counts()
        for g in t.groups:
            c.add(groups.get(g, Counts()))
        base, source = None, "chưa có số liệu"
        stored = snap.bases.get(t.key) if scope.kind == "province" else None
        if stored is not None:
            base, source = stored.population, stored.source or "quản trị viên nhập"
        elif t.key == "public_servants" and public_headcount:
            base, source = public_headcount, "tổng biên chế các cơ quan, trường học đã nhập"
        metrics = []
        if t.reach_pct is not None:
            metrics.append(Metric("Đã tham gia học", c.learners, base, t.reach_pct))
        if t.trained_pct is not None:
            metrics.append(Metric("Đã học xong cơ bản", c.trained, base, t.trained_pct))
        of = base if t.proficient_of_base else (c.learners or None)
        label = "Thành thạo" if t.proficient_of_base else "Thành thạo (trong số đã học)"
        metrics.append(Metric(label, c.proficient, of, t.proficient_pct))
        targets.append(TargetRow(t.key, t.label, t.groups, base, source, c, metrics))

    return Report(snap.at, scope, total, groups, targets, commune_rows, unit_rows)


def _fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%".replace(".", ",")


# --- the weekly trend (overview page) -------------------------------------------------------


def _epoch(col, dialect: str):
    if dialect == "sqlite":
        return (func.julianday(col) - 2440587.5) * 86400.0
    return func.extract("epoch", col)


async def weekly_trend(
    session: AsyncSession, flt: Filter, now: datetime, tz: ZoneInfo, weeks: int = TREND_WEEKS
) -> list[dict]:
    """New learners, lessons completed and assessments passed per week (Monday-based,
    local time), oldest first."""
    local = now.astimezone(tz)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    start = monday - timedelta(weeks=weeks - 1)
    start_epoch = start.timestamp()
    dialect = session.get_bind().dialect.name
    scoped = bool(flt.as_dict())
    out = [
        {"week": start + timedelta(weeks=i), "learners": 0, "lessons": 0, "passed": 0}
        for i in range(weeks)
    ]

    def bucket(col):
        return cast((_epoch(col, dialect) - start_epoch) / 604800.0, Integer)

    wl, wp, wa = bucket(L.c.created_at), bucket(LP.c.completed_at), bucket(AS.c.finished_at)
    queries = {
        "learners": select(wl, func.count())
        .where(L.c.created_at >= start, *learner_conditions(flt))
        .group_by(wl),
        "lessons": select(wp, func.count()).where(LP.c.completed_at >= start).group_by(wp),
        "passed": select(wa, func.count())
        .where(AS.c.finished_at >= start, AS.c.passed.is_(True))
        .group_by(wa),
    }
    if scoped:
        in_scope = select(L.c.id).where(*learner_conditions(flt))
        queries["lessons"] = queries["lessons"].where(LP.c.learner_id.in_(in_scope))
        queries["passed"] = queries["passed"].where(AS.c.learner_id.in_(in_scope))
    for key, stmt in queries.items():
        for week, n in (await session.execute(stmt)).all():
            if week is not None and 0 <= int(week) < weeks:
                out[int(week)][key] += int(n)
    return out


# --- learners list (dashboard) ----------------------------------------------------------


def search_conditions(q: str | None) -> list:
    if not q:
        return []
    q = q.strip()[:64]
    like = f"%{q.lower()}%"
    return [or_(func.lower(L.c.display_name).like(like), L.c.pid == q.lower())]
