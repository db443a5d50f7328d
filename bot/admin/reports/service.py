"""The report service the dashboard, the API and the CLI share: the province-wide snapshot
read in a few queries and kept a while, reports and trends of any scope from it."""

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.reports.build import Snapshot, build_report
from bot.admin.reports.queries import grouped_select
from bot.admin.reports.shapes import Counts, Report
from bot.admin.reports.targets import ACTIVE_DAYS, CORE_TEAM_ACTIVE_DAYS
from bot.admin.reports.trend import weekly_trend
from bot.admin.roles import PROVINCE, Filter, Scope
from lessons.loader import Catalog
from storage.models import StaffRole, TargetBase, Unit
from storage.types import utcnow

TREND_TTL_FACTOR = 10


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
        self._cached: tuple[float, Snapshot] | None = None
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

    async def snapshot(self) -> Snapshot:
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
                    if unit_id is not None:  # a unit staff role names its unit
                        unit_team.setdefault(unit_id, [0, 0])
                        unit_team[unit_id][0] += 1
                        unit_team[unit_id][1] += active
                    commune = unit_commune.get(unit_id)
                if commune is not None:
                    team.setdefault(commune, [0, 0])
                    team[commune][0] += 1
                    team[commune][1] += active
            bases = {b.key: b for b in (await session.execute(select(TargetBase))).scalars()}
        snap = Snapshot(
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
