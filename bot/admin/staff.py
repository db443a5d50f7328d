"""Granting and removing roles: `hocai admin add|remove`, `hocai staff add|remove|list`
and the dashboard's «Cán bộ» page all come here. Every change is audited.

Whether the caller may grant is decided in bot/admin/roles.py (Perm.manage: admins);
this module only validates the scope and writes the row.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import communes
from storage.db import rowcount
from storage.models import AuditLog, StaffRole, Unit

CHANNELS = ("telegram", "zalo", "zalo_oa", "console")


class GrantError(Exception):
    """A role that cannot be given: unknown commune or unit, bad channel or user id."""


@dataclass(frozen=True)
class ScopeSpec:
    kind: str  # province | commune | unit
    commune: int | None = None
    unit_code: str | None = None


def parse_scope(text: str) -> ScopeSpec:
    """'province', 'commune:1840', 'unit:UBND-DX' (as `hocai staff add --scope` takes)."""
    kind, _, code = (text or "").strip().partition(":")
    kind, code = kind.strip().lower(), code.strip()
    if kind == "province" and not code:
        return ScopeSpec("province")
    if kind == "commune" and code.isdigit():
        return ScopeSpec("commune", commune=int(code))
    if kind == "unit" and code:
        return ScopeSpec("unit", unit_code=code.upper())
    raise GrantError(f"scope must be province, commune:CODE or unit:CODE (got {text!r})")


async def grant(
    session: AsyncSession,
    channel: str,
    user_id: str,
    role: str,
    scope: ScopeSpec,
    actor: str,
    name: str | None = None,
) -> StaffRole:
    """Give a chat a role (replacing the one it had). Admins always have the province."""
    user_id = str(user_id).strip()
    if channel not in CHANNELS:
        raise GrantError(f"channel must be one of {', '.join(CHANNELS)}")
    if not user_id or len(user_id) > 64 or not user_id.isprintable():
        raise GrantError("user id must be 1-64 printable characters")
    if role not in ("admin", "staff"):
        raise GrantError("role must be admin or staff")
    kind, commune, unit_id = "province", None, None
    if role == "staff" and scope.kind == "commune":
        if scope.commune not in communes.by_code():
            raise GrantError(f"no commune with code {scope.commune} in Thái Nguyên")
        kind, commune = "commune", scope.commune
    elif role == "staff" and scope.kind == "unit":
        unit = (
            await session.execute(select(Unit).where(Unit.code == scope.unit_code))
        ).scalar_one_or_none()
        if unit is None:
            raise GrantError(f"no unit with code {scope.unit_code}")
        kind, unit_id = "unit", unit.id
    row = (
        await session.execute(
            select(StaffRole).where(
                StaffRole.channel == channel, StaffRole.channel_user_id == user_id
            )
        )
    ).scalar_one_or_none()
    row = row or StaffRole(channel=channel, channel_user_id=user_id, role="", created_by=actor)
    row.role, row.scope, row.commune_code, row.unit_id = role, kind, commune, unit_id
    row.name = name or row.name
    session.add(row)
    detail: dict[str, Any] = {"channel": channel, "role": role, "scope": kind}
    if commune is not None:
        detail["commune"] = commune
    if unit_id is not None:
        detail["unit"] = scope.unit_code
    session.add(AuditLog(actor=actor[:64], action="role_set", detail=detail))
    await session.flush()
    return row


async def revoke(
    session: AsyncSession, channel: str, user_id: str, actor: str, role: str | None = None
) -> bool:
    """Remove a chat's role (only if it is `role`, when given). True if there was one."""
    stmt = delete(StaffRole).where(
        StaffRole.channel == channel, StaffRole.channel_user_id == str(user_id)
    )
    if role is not None:
        stmt = stmt.where(StaffRole.role == role)
    removed = rowcount(await session.execute(stmt)) > 0
    if removed:
        session.add(AuditLog(actor=actor[:64], action="role_removed", detail={"channel": channel}))
    return removed


async def roles(session: AsyncSession, role: str | None = None) -> list[tuple[StaffRole, str]]:
    """Role rows, each with its scope in words ("toàn tỉnh", a commune, a unit code)."""
    stmt = select(StaffRole, Unit).outerjoin(Unit, Unit.id == StaffRole.unit_id)
    if role is not None:
        stmt = stmt.where(StaffRole.role == role)
    out = []
    for row, unit in (await session.execute(stmt.order_by(StaffRole.id))).all():
        out.append((row, scope_words(row, unit)))
    return out


def scope_words(row: StaffRole, unit: Unit | None = None) -> str:
    if row.scope == "commune":
        commune = communes.lookup(row.commune_code)
        return commune.name if commune else f"xã/phường {row.commune_code}"
    if row.scope == "unit":
        return f"đơn vị {unit.code}" if unit else "đơn vị ?"
    return "toàn tỉnh"
