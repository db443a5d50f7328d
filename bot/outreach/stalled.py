"""Stalled learners, for the staff who push the programme, and what staff do about them.

A learner is *stalled* when they finished onboarding, can still be reached (status active
or dormant, not unreachable), are not proficient yet, and either ignored
STALLED_AFTER_IGNORED reminders in a row (default 3) or have not studied for
STALLED_AFTER_DAYS days (default 14; never studied: joined that long ago).

A staff member sees the stalled learners of their scope only (bot/admin/roles.py
`scope_filter`: a commune's staff never see another commune's learners) and, with no
phone number anywhere, either
- *nhắc*: a personal nudge sent through the bot (an outbox row, sent by the rate-limited
  dispatcher; at most one per learner per day, whoever asks: the outbox dedup key is
  "nudge:<learner id>:<local date>"; held until the quiet hours end); not to learners who
  chose «Tắt nhắc» (`reminders_off`), nor to unreachable ones; or
- *đã gọi*: notes that they called or met the learner.
Both are kept in learner_contact (who, whom, when; no text) and the audit log.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import actions as A
from bot.admin.reports.conditions import learner_conditions
from bot.admin.roles import Principal, Scope, scope_filter
from bot.messages import Choice, Outbound
from bot.outreach import outbox, schedule
from lessons.loader import Catalog
from storage.models import (
    AuditLog,
    Learner,
    LearnerContact,
    LearnerStatus,
    LessonProgress,
    StaffRole,
    Unit,
    stored_id,
)

STALLED_AFTER_IGNORED = 3  # defaults of the settings of the same name
STALLED_AFTER_DAYS = 14
REACHABLE = (LearnerStatus.active.value, LearnerStatus.dormant.value)
L, LC = Learner.__table__, LearnerContact.__table__


def conditions(
    scope: Scope,
    now: datetime,
    tz: ZoneInfo,
    ignored: int = STALLED_AFTER_IGNORED,
    days: int = STALLED_AFTER_DAYS,
) -> list:
    cutoff_day = (schedule.local_day(now, tz) - timedelta(days=days)).isoformat()
    return [
        *learner_conditions(scope_filter(scope)),
        L.c.status.in_(REACHABLE),
        L.c.proficient_at.is_(None),
        or_(
            L.c.reminders_ignored >= ignored,
            L.c.last_study_on <= cutoff_day,  # ISO dates compare as strings
            and_(L.c.last_study_on.is_(None), L.c.created_at <= now - timedelta(days=days)),
        ),
    ]


async def count(session: AsyncSession, scope: Scope, now: datetime, tz: ZoneInfo, **kw) -> int:
    stmt = select(func.count()).select_from(L).where(*conditions(scope, now, tz, **kw))
    return int((await session.execute(stmt)).scalar_one())


@dataclass
class StalledRow:
    id: int
    pid: str
    name: str | None
    group: str | None
    commune_code: int | None
    unit_name: str | None
    last_study_on: str | None
    created_at: datetime
    reminders_ignored: int
    reminders_off: bool
    last_nudge: datetime | None
    last_call: datetime | None

    def days_idle(self, today) -> int:
        if self.last_study_on:
            return (today - datetime.fromisoformat(self.last_study_on).date()).days
        return (today - self.created_at.date()).days


def _last(kind: str):
    return (
        select(func.max(LC.c.at))
        .where(LC.c.learner_id == L.c.id, LC.c.kind == kind)
        .scalar_subquery()
    )


async def page(
    session: AsyncSession,
    scope: Scope,
    now: datetime,
    tz: ZoneInfo,
    *,
    limit: int = 20,
    offset: int = 0,
    **kw,
) -> list[StalledRow]:
    """A page of the scope's stalled learners, the most recently joined first."""
    u = Unit.__table__
    stmt = (
        select(
            L.c.id,
            L.c.pid,
            L.c.display_name,
            L.c.group_code,
            L.c.commune_code,
            u.c.name,
            L.c.last_study_on,
            L.c.created_at,
            L.c.reminders_ignored,
            L.c.reminders_off,
            _last("nudge"),
            _last("called"),
        )
        .select_from(L.outerjoin(u, u.c.id == L.c.unit_id))
        .where(*conditions(scope, now, tz, **kw))
        .order_by(L.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [StalledRow(*tuple(r)) for r in (await session.execute(stmt)).all()]


# --- acting on one learner ------------------------------------------------------------------


class Outcome(StrEnum):
    queued = "queued"  # the nudge is in the outbox
    already = "already"  # this learner got (or has queued) a nudge today
    opted_out = "opted_out"  # chose «Tắt nhắc»
    unreachable = "unreachable"  # the chat is blocked or gone
    called = "called"  # "đã gọi" noted
    not_found = "not_found"  # no such learner in the caller's scope


def _visible(scope: Scope, learner: Learner) -> bool:
    """The same narrowing as every list (the learner's commune, or their unit)."""
    flt = scope_filter(scope)
    return (
        learner.status != LearnerStatus.onboarding
        and (flt.commune is None or learner.commune_code == flt.commune)
        and (flt.unit_id is None or learner.unit_id == flt.unit_id)
    )


async def _learner(session: AsyncSession, who: Principal, learner_id: int) -> Learner | None:
    if who.scope is None:
        return None
    learner = await session.get(Learner, learner_id)
    return learner if learner is not None and _visible(who.scope, learner) else None


async def sender_label(session: AsyncSession, who: Principal) -> str:
    """How the nudge names its sender: the staff member's name if the admin gave one."""
    name = who.name
    if name is None:
        row = await session.execute(
            select(StaffRole.name).where(
                StaffRole.channel == who.channel, StaffRole.channel_user_id == who.user_id
            )
        )
        name = row.scalar_one_or_none()
    return f"Cán bộ {name}" if name else "Cán bộ phụ trách của chương trình"


async def nudge_message(
    session: AsyncSession, catalog: Catalog, learner: Learner, sender: str
) -> Outbound:
    done = set(
        (
            await session.execute(
                select(LessonProgress.lesson_id).where(
                    LessonProgress.learner_id == learner.id,
                    LessonProgress.completed_at.is_not(None),
                )
            )
        ).scalars()
    )
    nxt = next((les for les in catalog.track(learner.group_code) if les.id not in done), None)
    text = f"👋 {sender} nhắn bạn: mình cùng học tiếp «Bình dân học AI» nhé!"
    if nxt:
        text += (
            f" Bài tiếp theo: {catalog.position(nxt.id)} «{nxt.title}» (khoảng {nxt.minutes} phút)."
        )
    else:
        text += " Bạn đã học hết các bài, chỉ còn bài kiểm tra cuối khóa."
    choices = [Choice("Học ngay", A.CONTINUE if nxt else A.EXAM), Choice("Đổi giờ nhắc", A.REMIND)]
    return Outbound(text, tuple(choices))


def not_before(now: datetime, tz: ZoneInfo, quiet: tuple[time, time]) -> datetime:
    """Now, or the end of the quiet hours if it is quiet now."""
    local = now.astimezone(tz)
    if not schedule.is_quiet(local.time(), *quiet):
        return now
    end = datetime.combine(local.date(), quiet[1], tzinfo=tz)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)


async def nudge(
    session: AsyncSession,
    who: Principal,
    learner_id: int,
    catalog: Catalog,
    now: datetime,
    tz: ZoneInfo,
    quiet: tuple[time, time] = (schedule.QUIET_START, schedule.QUIET_END),
) -> Outcome:
    """Queue a personal nudge to a learner of the caller's scope (call in a transaction)."""
    learner = await _learner(session, who, learner_id)
    if learner is None:
        return Outcome.not_found
    if learner.reminders_off:
        return Outcome.opted_out
    if learner.status == LearnerStatus.unreachable:
        return Outcome.unreachable
    start = not_before(now, tz, quiet)
    day = schedule.local_day(start, tz)  # the day it goes out: one nudge that day
    message = await nudge_message(session, catalog, learner, await sender_label(session, who))
    row = outbox.row(
        f"nudge:{learner.id}:{day:%Y%m%d}",
        learner.channel,
        learner.channel_user_id,
        [message],
        kind="nudge",
        now=now,
        learner_id=learner.id,
        not_before=start,
    )
    if not await outbox.enqueue_many(session, [row]):
        return Outcome.already
    _record(session, who, learner, "nudge", now)
    return Outcome.queued


async def mark_called(session: AsyncSession, who: Principal, learner_id: int, now: datetime):
    learner = await _learner(session, who, learner_id)
    if learner is None:
        return Outcome.not_found
    _record(session, who, learner, "called", now)
    return Outcome.called


def _record(session: AsyncSession, who: Principal, learner: Learner, kind: str, now) -> None:
    session.add(
        LearnerContact(
            learner_id=stored_id(learner),
            kind=kind,
            staff_channel=who.channel,
            staff_user_id=str(who.user_id),
            at=now,
        )
    )
    action = "learner_nudged" if kind == "nudge" else "learner_called"
    session.add(AuditLog(at=now, actor=who.actor[:64], action=action, detail={"pid": learner.pid}))


OUTCOME_VI = {
    Outcome.queued: "Đã xếp lời nhắc vào hàng gửi cho {name}.",
    Outcome.already: "{name} đã được nhắc hôm nay rồi (mỗi người tối đa một lần một ngày).",
    Outcome.opted_out: "{name} đã tắt nhắc học nên mình không gửi lời nhắc.",
    Outcome.unreachable: "Không gửi được cho {name}: người này đã chặn hoặc rời trợ lý.",
    Outcome.called: "Đã ghi nhận: bạn đã gọi cho {name}.",
    Outcome.not_found: "Không tìm thấy người học này trong phạm vi của bạn.",
}


def describe(outcome: Outcome, name: str | None) -> str:
    return OUTCOME_VI[outcome].format(name=name or "người học")
