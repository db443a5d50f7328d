"""Who receives a broadcast: the audience asked for, narrowed to the author's scope by
bot/admin/roles.py, and the learners it stands for (conditions, counts per channel)."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import communes, policy
from bot.admin.roles import Filter, Forbidden, Perm, Principal, Role, narrow
from bot.channels import limits
from lessons.limits import LEARNER_GROUPS
from lessons.loader import Catalog
from storage.models import Broadcast, Learner, LearnerStatus, LessonProgress, Unit

RECIPIENT_STATUSES = (LearnerStatus.active, LearnerStatus.dormant)
KINDS = ("all", "group", "commune", "unit", "not_trained")


class BadAudience(Exception):
    """An audience that does not exist (unknown group, commune or unit)."""


@dataclass(frozen=True)
class Audience:
    kind: str  # all | group | commune | unit | not_trained
    value: str | int | None  # the group code, commune code or unit id asked for
    filter: Filter  # narrowed to the author's scope
    not_trained: bool
    commune_code: int | None  # where the audience lies (a unit's commune for a unit)
    unit_id: int | None
    label: str  # Vietnamese: "người dân, Phường Đức Xuân"

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "value": self.value,
            "filter": self.filter.as_dict(),
            "not_trained": self.not_trained,
            "label": self.label,
        }


async def resolve(
    session: AsyncSession, who: Principal, kind: str, value: str | int | None = None
) -> Audience:
    """The audience (kind, value) for this author, checked and narrowed by roles.narrow.

    Raises Forbidden when it lies outside the author's scope (or they may not broadcast),
    BadAudience when the group, commune or unit does not exist."""
    if kind not in KINDS:
        raise BadAudience(kind)
    wanted, unit, not_trained = Filter(), None, kind == "not_trained"
    if kind == "group":
        if value not in LEARNER_GROUPS:
            raise BadAudience(f"group {value}")
        wanted = Filter(group=str(value))
    elif kind == "commune":
        code = _number(value)
        if code not in communes.by_code():
            raise BadAudience(f"commune {value}")
        wanted = Filter(commune=code)
    elif kind == "unit":
        unit_id = _number(value)
        unit = await session.get(Unit, unit_id) if unit_id is not None else None
        if unit is None:
            if who is not None and who.role == Role.admin:
                raise BadAudience(f"unit {value}")
            raise Forbidden(Perm.broadcast.value)  # an unknown unit is in no staff's scope
        wanted = Filter(unit_id=unit.id)
    flt = narrow(who, Perm.broadcast, wanted, unit_commune=unit.commune_code if unit else None)
    if flt.unit_id is not None and (unit is None or unit.id != flt.unit_id):
        unit = await session.get(Unit, flt.unit_id)
    commune = flt.commune if flt.commune is not None else (unit.commune_code if unit else None)
    return Audience(
        kind,
        value,
        flt,
        not_trained,
        commune,
        flt.unit_id,
        _label(flt, not_trained, unit),
    )


def _number(value: str | int | None) -> int | None:
    """A commune code or unit id as asked for: digits only."""
    return int(str(value)) if str(value).isdigit() else None


def _label(flt: Filter, not_trained: bool, unit: Unit | None) -> str:
    if not_trained:
        whom = "người chưa học xong phần cơ bản"
    elif flt.group:
        whom = f"nhóm {LEARNER_GROUPS[flt.group]}"
    else:
        whom = "tất cả người học"
    if unit is not None:
        where = f"đơn vị {unit.name}"
    elif flt.commune is not None:
        where = communes.by_code()[flt.commune].name
    else:
        where = "toàn tỉnh"
    return f"{whom}, {where}"


def filter_of(bc: Broadcast) -> Filter:
    """The narrowed filter a stored broadcast was created with."""
    f = bc.audience.get("filter", {})
    return Filter(f.get("commune"), f.get("unit_id"), f.get("group"))


def conditions(catalog: Catalog, flt: Filter, not_trained: bool) -> list[ColumnElement[bool]]:
    """Who receives a broadcast to this (already narrowed) audience."""
    conds: list[ColumnElement[bool]] = [
        Learner.status.in_([s.value for s in RECIPIENT_STATUSES]),
        Learner.consent_at.is_not(None),
        Learner.channel.in_(list(limits.MESSENGERS)),
    ]
    if flt.commune is not None:
        conds.append(Learner.commune_code == flt.commune)
    if flt.unit_id is not None:
        conds.append(Learner.unit_id == flt.unit_id)
    if flt.group is not None:
        conds.append(Learner.group_code == flt.group)
    if not_trained:  # bot/policy.py: trained = every core lesson completed
        core = policy.core_lessons(catalog)
        done = (
            select(func.count())
            .select_from(LessonProgress)
            .where(
                LessonProgress.learner_id == Learner.id,
                LessonProgress.completed_at.is_not(None),
                LessonProgress.lesson_id.in_(core),
            )
            .scalar_subquery()
        )
        conds.append(done < len(core))
    return conds


def conditions_of(catalog: Catalog, bc: Broadcast) -> list:
    """Who receives this stored broadcast (before its audience is fixed by id)."""
    return conditions(catalog, filter_of(bc), bool(bc.audience.get("not_trained")))


async def count_by_channel(session: AsyncSession, conds: list) -> dict[str, int]:
    stmt = select(Learner.channel, func.count()).where(*conds).group_by(Learner.channel)
    return {channel: int(n) for channel, n in await session.execute(stmt)}
