"""Who may do what: admin, staff (scoped to the province, a commune or a unit), learner.

Every permission decision of the dashboard, the admin API and the CLI goes through
`allowed` / `check` here, and every list or export is narrowed to the caller's scope by
`narrow` here. Nothing else decides.

- admin: everything, the whole province.
- staff: reports, learners, exports, unit join links and broadcasts (announcements to
  learners) inside their scope; a filter outside it is refused (403), no filter means
  "all of my scope". Staff with the province scope also see the tutor's unanswered
  questions (content staff); those come from every commune, so no narrower scope does.
- learner (anyone else, including a former staff member): nothing.

A role belongs to a chat (channel + user id), not to a learner row; admins may also be
named in ADMIN_TELEGRAM_IDS / ADMIN_ZALO_IDS (the first admin, before any CLI command).
"""

from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from storage.models import StaffRole, Unit


class Role(StrEnum):
    admin = "admin"
    staff = "staff"
    learner = "learner"


class Perm(StrEnum):
    view = "view"  # overview, targets, communes, units, learners (in scope)
    export = "export"  # progress exports (in scope)
    unit_links = "unit_links"  # join links and QR codes of units (in scope)
    broadcast = "broadcast"  # announcements to learners (in scope)
    questions = "questions"  # the tutor's unanswered questions: province-wide staff, admins
    import_units = "import_units"  # admin only
    manage = "manage"  # roles and API tokens: admin only


STAFF_PERMS = frozenset({Perm.view, Perm.export, Perm.unit_links, Perm.broadcast})


class Forbidden(Exception):
    """The caller may not do this (HTTP 403)."""


@dataclass(frozen=True)
class Scope:
    kind: str = "province"  # province | commune | unit
    commune: int | None = None  # the commune of a commune scope, or of a unit scope's unit
    unit_id: int | None = None


PROVINCE = Scope()


@dataclass(frozen=True)
class Principal:
    role: Role
    channel: str = ""
    user_id: str = ""
    scope: Scope | None = None
    name: str | None = None

    @property
    def staff_scope(self) -> Scope:
        """The scope of a staff member or admin, for code that runs only for them."""
        assert self.scope is not None, "a learner has no scope"
        return self.scope

    @property
    def actor(self) -> str:
        """Who, for the audit log."""
        return f"{self.role}:{self.channel}:{self.user_id}"


@dataclass(frozen=True)
class Filter:
    """Which learners a list, report or export covers (None: no restriction)."""

    commune: int | None = None
    unit_id: int | None = None
    group: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def in_scope(
    scope: Scope, commune: int | None, unit_id: int | None, unit_commune: int | None
) -> bool:
    """Is this target (a commune and/or a unit located in unit_commune) inside the scope?"""
    if scope.kind == "province":
        return True
    if scope.kind == "commune":
        return (commune is None or commune == scope.commune) and (
            unit_id is None or (unit_commune is not None and unit_commune == scope.commune)
        )
    if scope.kind == "unit":
        return unit_id is not None and unit_id == scope.unit_id and commune in (None, scope.commune)
    return False


def allowed(
    who: Principal | None,
    perm: Perm,
    *,
    commune: int | None = None,
    unit_id: int | None = None,
    unit_commune: int | None = None,
) -> bool:
    """The single permission check. With no target, "in my own scope"."""
    if who is None or who.role == Role.learner or who.scope is None:
        return False
    if who.role == Role.admin:
        return True
    if perm == Perm.questions:  # learners' questions come from everywhere
        return who.scope.kind == "province"
    if perm not in STAFF_PERMS:
        return False
    if commune is None and unit_id is None:
        return True
    return in_scope(who.scope, commune, unit_id, unit_commune)


def check(who: Principal | None, perm: Perm, **target: int | None) -> Scope:
    """Raise Forbidden unless allowed; else the caller's scope."""
    if who is None or who.scope is None or not allowed(who, perm, **target):
        raise Forbidden(perm.value)
    return who.scope


def narrow(
    who: Principal | None, perm: Perm, wanted: Filter, unit_commune: int | None = None
) -> Filter:
    """Check the requested filter against the caller's scope and add the scope to it."""
    scope = check(
        who, perm, commune=wanted.commune, unit_id=wanted.unit_id, unit_commune=unit_commune
    )
    if scope.kind == "commune":
        return replace(wanted, commune=scope.commune)
    if scope.kind == "unit":
        return replace(wanted, unit_id=scope.unit_id)
    return wanted


def still_within(
    who: Principal | None, perm: Perm, flt: Filter, unit_commune: int | None = None
) -> bool:
    """Is a filter narrowed earlier (e.g. a scheduled broadcast's audience) still wholly
    inside the caller's scope now? False if it is refused or narrowing it would change it."""
    try:
        return narrow(who, perm, flt, unit_commune) == flt
    except Forbidden:
        return False


def may_manage_broadcast(who: Principal | None, author_channel: str, author_user_id: str) -> bool:
    """Cancel a broadcast: its author (while they may still broadcast), or an admin."""
    if who is None or not allowed(who, Perm.broadcast):
        return False
    return who.role == Role.admin or (who.channel, who.user_id) == (
        author_channel,
        str(author_user_id),
    )


def scope_filter(scope: Scope) -> Filter:
    if scope.kind == "commune":
        return Filter(commune=scope.commune)
    if scope.kind == "unit":
        return Filter(unit_id=scope.unit_id)
    return Filter()


def env_admin(settings: Settings, channel: str, user_id: str) -> bool:
    ids = {"telegram": settings.admin_telegram_ids, "zalo": settings.admin_zalo_ids}
    return str(user_id) in ids.get(channel, [])


async def principal_for(
    session: AsyncSession, settings: Settings, channel: str, user_id: str
) -> Principal:
    """The role of a chat right now (re-read on every request, so revoking is immediate)."""
    if env_admin(settings, channel, user_id):
        return Principal(Role.admin, channel, user_id, PROVINCE)
    row = (
        await session.execute(
            select(StaffRole).where(
                StaffRole.channel == channel, StaffRole.channel_user_id == str(user_id)
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return Principal(Role.learner, channel, user_id)
    if row.role == Role.admin:
        return Principal(Role.admin, channel, user_id, PROVINCE, row.name)
    if row.scope == "unit":
        unit = await session.get(Unit, row.unit_id) if row.unit_id else None
        if unit is None:
            return Principal(Role.learner, channel, user_id)
        scope = Scope("unit", unit.commune_code, unit.id)
    elif row.scope == "commune":
        scope = Scope("commune", row.commune_code)
    else:
        scope = PROVINCE
    return Principal(Role.staff, channel, user_id, scope, row.name)
