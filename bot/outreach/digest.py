"""The staff's weekly digest in the chat: Monday 08:00 (local time), for every staff member
and admin with a role row, about their scope: new learners, trained, proficient (this
week and in all), the leaderboard rank, how many learners are stalled, and the dashboard.

When: from Monday DIGEST_TIME until the end of Monday, local time, outside the quiet
hours (if those cover 08:00, it goes when they end); a worker down all Monday skips that
week rather than sending on Tuesday. Once per staff member per week, however many
workers tick: the job runs on the leader only, and the outbox row's dedup key
"digest:<ISO week>:<role id>" makes a repeated or concurrent tick queue nothing twice.
"""

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import communes
from bot.admin import leaderboard
from bot.admin.leaderboard import Board, MarkRow
from bot.admin.roles import PROVINCE, Scope, scope_filter
from bot.messages import Outbound
from bot.outreach import outbox, schedule, stalled
from bot.textutil import vn_number
from storage.models import OutboxMessage, StaffRole, Unit, stored_id

log = logging.getLogger("hocai.digest")

DIGEST_WEEKDAY = 0  # Monday
DIGEST_TIME = time(8, 0)


def week_key(now: datetime, tz: ZoneInfo) -> str | None:
    """This week's key if a digest may go out now, else None."""
    local = now.astimezone(tz)
    if local.weekday() != DIGEST_WEEKDAY or local.time() < DIGEST_TIME:
        return None
    iso = local.isocalendar()
    return f"{iso.year}W{iso.week:02}"


def dedup_key(week: str, role_id: int) -> str:
    return f"digest:{week}:{role_id}"


def scope_of(role: StaffRole, units: dict[int, Unit]) -> Scope | None:
    if role.role == "admin" or role.scope == "province":
        return PROVINCE
    if role.scope == "commune":
        return Scope("commune", role.commune_code)
    unit = units.get(role.unit_id) if role.unit_id is not None else None
    return Scope("unit", unit.commune_code, unit.id) if unit else None


def _sums(rows: list[MarkRow], scope: Scope) -> dict[str, int]:
    flt = scope_filter(scope)
    out = dict.fromkeys(("learners", "trained", "proficient", "new", "new_trained", "new_prof"), 0)
    for r in rows:
        if (flt.commune is None or r.commune == flt.commune) and (
            flt.unit_id is None or r.unit_id == flt.unit_id
        ):
            out["learners"] += r.learners
            out["trained"] += r.trained
            out["proficient"] += r.proficient
            out["new"] += r.learners - r.learners_then
            out["new_trained"] += r.trained - r.trained_then
            out["new_prof"] += r.proficient - r.proficient_then
    return out


def _rank_line(board: Board, scope: Scope, units: dict[int, Unit]) -> str | None:
    if scope.kind == "commune":
        mine, total = board.commune(scope.commune), len(board.communes)
    elif scope.kind == "unit":
        code = units[scope.unit_id].code if scope.unit_id in units else None
        mine, total = next((s for s in board.units if s.code == code), None), len(board.units)
    else:
        top = ", ".join(s.name for s in board.communes[:3] if s.learners)
        return f"• Dẫn đầu thi đua: {top}." if top else None
    if mine is None:
        return None
    line = f"• Xếp hạng thi đua: thứ {mine.rank}/{total}"
    if mine.change:
        arrow = "↑" if mine.change > 0 else "↓"
        line += f" ({arrow}{abs(mine.change)} bậc so với tuần trước)"
    elif mine.change == 0:
        line += " (giữ nguyên so với tuần trước)"
    return line + "."


def _where(scope: Scope, units: dict[int, Unit]) -> str:
    if scope.kind == "commune":
        c = communes.lookup(scope.commune)
        return c.name if c else f"xã/phường {scope.commune}"
    if scope.kind == "unit":
        return units[scope.unit_id].name if scope.unit_id in units else "đơn vị của bạn"
    return "toàn tỉnh"


def message(
    scope: Scope,
    sums: dict[str, int],
    rank: str | None,
    stalled_n: int,
    units: dict[int, Unit],
    dashboard_url: str,
) -> Outbound:
    n = vn_number
    lines = [
        f"📊 Tổng kết tuần của {_where(scope, units)}:",
        f"• Người học mới: {n(sums['new'])} (tổng {n(sums['learners'])})",
        f"• Học xong phần cơ bản: +{n(sums['new_trained'])} (tổng {n(sums['trained'])})",
        f"• Thành thạo: +{n(sums['new_prof'])} (tổng {n(sums['proficient'])})",
    ]
    if rank:
        lines.append(rank)
    lines.append(f"• Người học cần nhắc: {n(stalled_n)}. Gõ /canbo để xem và nhắc họ.")
    lines.append(f"\nTrang quản trị: {dashboard_url}")
    return Outbound("\n".join(lines))


async def _waiting(session: AsyncSession, week: str) -> list[StaffRole]:
    """Role holders without this week's digest row yet."""
    roles = list((await session.execute(select(StaffRole).order_by(StaffRole.id))).scalars())
    if not roles:
        return []
    keys = [dedup_key(week, stored_id(r)) for r in roles]
    have = set(
        (
            await session.execute(
                select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys))
            )
        ).scalars()
    )
    return [r for r in roles if dedup_key(week, stored_id(r)) not in have]


async def tick(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    tz: ZoneInfo = schedule.VN,
    quiet: tuple[time, time] = (schedule.QUIET_START, schedule.QUIET_END),
    dashboard_url: str = "",
    stalled_after_ignored: int = stalled.STALLED_AFTER_IGNORED,
    stalled_after_days: int = stalled.STALLED_AFTER_DAYS,
) -> int:
    """Queue the digests due now. Returns how many were queued."""
    week = week_key(now, tz)
    if week is None or schedule.is_quiet(now.astimezone(tz).time(), *quiet):
        return 0
    async with sessions() as session, session.begin():
        waiting = await _waiting(session, week)
        if not waiting:
            return 0
        rows = await leaderboard.mark_rows(session, now)
        unit_list = list((await session.execute(select(Unit).order_by(Unit.code))).scalars())
        bases = await leaderboard.commune_bases(session)
        board = leaderboard.build_board(rows, unit_list, bases, now)
        units = {stored_id(u): u for u in unit_list}
        stalled_by_scope: dict[Scope, int] = {}
        queued = []
        for role in waiting:
            scope = scope_of(role, units)
            if scope is None:
                continue  # a unit since deleted: the role shows nothing
            if scope not in stalled_by_scope:
                stalled_by_scope[scope] = await stalled.count(
                    session,
                    scope,
                    now,
                    tz,
                    ignored=stalled_after_ignored,
                    days=stalled_after_days,
                )
            msg = message(
                scope,
                _sums(rows, scope),
                _rank_line(board, scope, units),
                stalled_by_scope[scope],
                units,
                dashboard_url,
            )
            queued.append(
                outbox.row(
                    dedup_key(week, stored_id(role)),
                    role.channel,
                    role.channel_user_id,
                    [msg],
                    kind="digest",
                    now=now,
                )
            )
        n = await outbox.enqueue_many(session, queued)
    if n:
        log.info("queued %d weekly digests for %s", n, week)
    return n
