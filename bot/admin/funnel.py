"""The funnel and the weekly cohorts, for a scope, by commune, unit or group.

Funnel stages (bot/admin/milestones.py): onboarded (finished onboarding) → first lesson
completed → half the track → trained → proficient. Each stage counts the learners who
reached it; a learner may pass the final assessment without every lesson, so a stage is
not forced to hold fewer than the one before it.

Cohorts: learners grouped by the week (Monday, local time) they joined; retention in
week k is the share of the cohort still active in week k after joining or later (their
last activity, `last_active_at`, is at least k weeks after the start of their week).
It is computed from the learner row alone (one GROUP BY over join week × last-active
week), so it needs no activity log; it reads as "still coming back after k weeks".
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import communes as communes_mod
from bot.admin.leaderboard import MarkRow
from bot.admin.reports.conditions import learner_conditions
from bot.admin.roles import Filter
from lessons.limits import LEARNER_GROUPS
from storage.models import Learner, Unit

STAGES = (
    ("onboarded", "Đã đăng ký học"),
    ("first_lesson", "Học xong bài đầu tiên"),
    ("half_track", "Học xong nửa lộ trình"),
    ("trained", "Học xong phần cơ bản"),
    ("proficient", "Thành thạo"),
)
BY = ("commune", "unit", "group")
COHORT_WEEKS = 12
L = Learner.__table__


@dataclass
class FunnelRow:
    key: str  # commune code, unit code, group code; "" for the total
    label: str
    counts: list[int] = field(default_factory=lambda: [0] * len(STAGES))

    def add(self, r: MarkRow) -> None:
        for i, n in enumerate((r.learners, r.first_lesson, r.half_track, r.trained, r.proficient)):
            self.counts[i] += n

    def pcts(self) -> list[float | None]:
        """Each stage as a share of the onboarded."""
        first = self.counts[0]
        return [round(100 * n / first, 1) if first else None for n in self.counts]

    def as_dict(self) -> dict:
        stages = dict(zip(stage_keys(), self.counts, strict=True))
        return {"key": self.key, "label": self.label, **stages}


def stage_keys() -> list[str]:
    return [k for k, _ in STAGES]


def _in(flt: Filter, r: MarkRow) -> bool:
    return (
        (flt.commune is None or r.commune == flt.commune)
        and (flt.unit_id is None or r.unit_id == flt.unit_id)
        and (flt.group is None or r.group == flt.group)
    )


def funnel(
    rows: list[MarkRow], flt: Filter, by: str, units: list[Unit]
) -> tuple[FunnelRow, list[FunnelRow]]:
    """The scope's total, and one row per commune / unit / group inside it (those with
    learners), largest first."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    total = FunnelRow("", "Tổng")
    parts: dict[object, FunnelRow] = {}
    names = communes_mod.by_code()
    unit_by_id = {u.id: u for u in units}
    for r in rows:
        if not _in(flt, r):
            continue
        total.add(r)
        key: object
        if by == "commune":
            key = r.commune
            c = names.get(r.commune) if r.commune is not None else None
            label = c.name if c else "Chưa chọn xã/phường"
            code = "" if r.commune is None else str(r.commune)
        elif by == "unit":
            u = unit_by_id.get(r.unit_id) if r.unit_id is not None else None
            if u is None:
                continue  # learners of no unit are not a unit's
            key, label, code = r.unit_id, u.name, u.code
        else:
            key = r.group
            label = LEARNER_GROUPS.get(r.group or "", "Chưa chọn nhóm")
            code = r.group or ""
        if key not in parts:
            parts[key] = FunnelRow(code, label)
        parts[key].add(r)
    return total, sorted(parts.values(), key=lambda f: (-f.counts[0], f.label))


# --- cohorts ---------------------------------------------------------------------------------


@dataclass
class Cohort:
    week: datetime  # Monday 00:00 local
    size: int
    retained: list[int]  # retained[k]: still active k weeks after the cohort's week began

    def pcts(self) -> list[float | None]:
        return [round(100 * n / self.size, 1) if self.size else None for n in self.retained]


def _epoch(col: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return (func.julianday(col) - 2440587.5) * 86400.0
    # date_part gives a double; EXTRACT gives numeric since PostgreSQL 14, twice as slow
    # over a million rows.
    return func.date_part("epoch", col)


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


async def cohorts(
    session: AsyncSession, flt: Filter, now: datetime, tz: ZoneInfo, weeks: int = COHORT_WEEKS
) -> list[Cohort]:
    """The last `weeks` weekly cohorts of the filter's learners, oldest first; a cohort's
    retention runs up to the current week."""
    start = week_start(now, tz) - timedelta(weeks=weeks - 1)
    dialect = session.get_bind().dialect.name
    start_epoch = start.timestamp()

    def bucket(col: ColumnElement[Any]) -> ColumnElement[int]:
        # Both are >= 0 here (joined since `start`), so truncating is flooring.
        return cast((_epoch(col, dialect) - start_epoch) / 604800.0, Integer)

    joined, seen = bucket(L.c.created_at), bucket(func.coalesce(L.c.last_active_at, L.c.created_at))
    stmt = (
        select(joined, seen, func.count())
        .where(L.c.created_at >= start, *learner_conditions(flt))
        .group_by(joined, seen)
    )
    out = [Cohort(start + timedelta(weeks=i), 0, [0] * (weeks - i)) for i in range(weeks)]
    for j, s, n in (await session.execute(stmt)).all():
        if j is None or not 0 <= int(j) < weeks:
            continue
        j, n = int(j), int(n)
        c = out[j]
        c.size += n
        last = min(max(int(s) - j, 0), len(c.retained) - 1)
        for k in range(last + 1):
            c.retained[k] += n
    return out


# --- the export's sheet «Phễu học» ------------------------------------------------------------


async def write_sheet(
    ws: Any, formats: dict, session: AsyncSession, flt: Filter, now: datetime, tz: ZoneInfo
) -> None:
    """The funnel (total, by group, by commune or by unit) and the weekly cohorts of the
    export's filter, on the XLSX's second sheet (constant memory: rows in order)."""
    from bot.admin.leaderboard import mark_rows

    rows = await mark_rows(session, now)
    units = list((await session.execute(select(Unit))).scalars())
    found = await cohorts(session, flt, now, tz)
    r = 0
    ws.set_column(0, 0, 40)
    ws.set_column(1, COHORT_WEEKS + 1, 12)
    ws.write(r, 0, "Phễu học tập", formats["title"])
    r += 2
    total, _ = funnel(rows, flt, "group", units)
    sections = [("Nhóm người học", "group")]
    if flt.unit_id is None:
        sections.append(("Xã, phường", "commune") if flt.commune is None else ("Đơn vị", "unit"))
    for title, by in sections:
        ws.write_row(r, 0, [title, *(label for _, label in STAGES)], formats["head"])
        r += 1
        _, parts = funnel(rows, flt, by, units)
        for f in [total, *parts]:
            ws.write_row(r, 0, [f.label, *f.counts], formats["bold"] if f is total else None)
            r += 1
        r += 1
    ws.write_row(r, 0, ["Tỷ lệ so với số đã đăng ký (%)", *total.pcts()], formats["bold"])
    r += 2
    ws.write(r, 0, "Giữ chân theo tuần tham gia (% còn hoạt động sau k tuần)", formats["title"])
    r += 1
    head = ["Tuần tham gia", "Số người", *(f"Tuần {k}" for k in range(COHORT_WEEKS))]
    ws.write_row(r, 0, head, formats["head"])
    r += 1
    for c in found:
        ws.write_row(r, 0, [f"{c.week:%d/%m/%Y}", c.size, *c.pcts()])
        r += 1
