"""What the dashboard and the admin API share: their state, the filter resolver."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.reports.service import ReportService
from bot.admin.roles import PROVINCE, Filter, Forbidden, Perm, Principal, Scope, narrow
from bot.config import Settings
from lessons.limits import LEARNER_GROUPS
from lessons.loader import Catalog
from storage.models import Unit


class BadRequest(Exception):
    """A malformed parameter (HTTP 400)."""


@dataclass
class AdminState:
    sessions: async_sessionmaker[AsyncSession]
    catalog: Catalog
    settings: Settings
    reports: ReportService

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)


def state(request: Request) -> AdminState:
    return request.app.state.admin


async def resolve_filter(
    st: AdminState,
    who: Principal,
    perm: Perm,
    commune: str | int | None = None,
    unit: str | None = None,
    group: str | None = None,
) -> tuple[Filter, Scope, Unit | None]:
    """A requested (commune, unit code, group) checked against the caller's scope (403)
    and narrowed to it; with the scope whose targets report matches the filter."""
    if who is None or who.scope is None:
        raise Forbidden(perm.value)
    commune_code = None
    if commune not in (None, ""):
        if not str(commune).isdigit():
            raise BadRequest("commune must be a commune code")
        commune_code = int(commune)
    if group in ("", None):
        group = None
    elif group not in LEARNER_GROUPS:
        raise BadRequest(f"group must be one of {', '.join(LEARNER_GROUPS)}")
    unit_row = None
    if unit:
        async with st.sessions() as session:
            unit_row = (
                await session.execute(select(Unit).where(Unit.code == unit.strip().upper()))
            ).scalar_one_or_none()
        if unit_row is None:
            # An unknown unit is out of anyone's scope but an admin's.
            if who.role != "admin":
                raise Forbidden(perm.value)
            raise BadRequest("no such unit")
    flt = narrow(
        who,
        perm,
        Filter(commune_code, unit_row.id if unit_row else None, group),
        unit_commune=unit_row.commune_code if unit_row else None,
    )
    if flt.unit_id is not None:
        if unit_row is None or unit_row.id != flt.unit_id:
            async with st.sessions() as session:
                unit_row = await session.get(Unit, flt.unit_id)
        scope = Scope("unit", unit_row.commune_code if unit_row else None, flt.unit_id)
    elif flt.commune is not None:
        scope = Scope("commune", flt.commune)
    else:
        scope = PROVINCE
    return flt, scope, unit_row
