"""The weekly trend on the overview page: new learners, lessons completed and assessments
passed per week."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.reports.conditions import AS, LP, L, learner_conditions
from bot.admin.roles import Filter

TREND_WEEKS = 12


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
    out: list[dict[str, Any]] = [
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
