"""Staff broadcasts: an announcement to the learners of one's scope, delivered through the
outbox.

- The audience is asked for as (kind, value) and resolved by `resolve`, which goes
  through bot/admin/roles.py (`narrow`): a staff member's scope bounds every audience, and
  one outside it is refused (Forbidden) before anything is stored.
- Recipients: learners who finished onboarding and consented, on a messenger channel
  (Telegram, Zalo, Zalo OA), active or dormant (dormant learners stopped answering reminders, which
  is no request to hear nothing: an announcement of a class may be what brings them
  back); unreachable learners (403) are skipped.
- A confirmed broadcast is a `Broadcast` row. The worker's tick (`tick`) turns it into
  outbox rows, one per recipient (dedup key "bc:<id>:<learner id>"), a batch per
  transaction with the position (`queued_through`) saved in the same transaction: a crash
  mid-queueing resumes after the last batch, and a repeated batch inserts nothing. The
  dispatcher sends the rows at the channel's rate; the text is read from the broadcast
  row (not copied into each outbox row).
- Scheduling, resuming and big audiences take the same path: a scheduled broadcast is
  started by the tick once its time has come; the audience is fixed then (learners up to
  `last_learner_id`). The author's right to that audience is checked again at that moment.
- Cancel: the broadcast and its unsent rows are marked cancelled in one transaction; the
  dispatcher skips rows of a cancelled broadcast (it re-reads the status at most every
  second), so only messages already on their way go out.
- Progress and the final report are counted from the outbox statuses; the author gets the
  report as an outbox message when everything is decided. Messages a channel skipped on
  purpose (the Zalo OA's 48-hour window) are counted apart, per reason.
- Audit: broadcast_created, broadcast_scheduled, broadcast_cancelled, broadcast_finished
  with author, audience, counts and times (never the text).
"""

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import communes, policy
from bot.admin.roles import (
    Filter,
    Forbidden,
    Perm,
    Principal,
    Role,
    may_manage_broadcast,
    narrow,
    principal_for,
    still_within,
)
from bot.channels.telegram import constants as telegram
from bot.channels.zalo import constants as zalo
from bot.channels.zalo_oa import constants as zalo_oa
from bot.config import Settings
from bot.messages import Outbound
from bot.outreach import outbox
from bot.outreach.schedule import VN
from bot.textutil import fold, vn_number
from lessons.limits import LEARNER_GROUPS
from lessons.loader import Catalog
from storage.models import (
    AuditLog,
    Broadcast,
    BroadcastStatus,
    Learner,
    LearnerStatus,
    LessonProgress,
    OutboxMessage,
    OutboxStatus,
    Unit,
)

log = logging.getLogger("hocai.broadcasts")

# Longest text each messenger accepts in one message. A broadcast must fit the smallest
# limit among the channels its recipients use (it is never split).
CHANNEL_LIMITS = {
    telegram.CHANNEL: telegram.MAX_MESSAGE_CHARS,
    zalo.CHANNEL: zalo.MAX_TEXT_CHARS,
    zalo_oa.CHANNEL: zalo_oa.MAX_TEXT_CHARS,
}
CHANNEL_NAMES = {telegram.CHANNEL: "Telegram", zalo.CHANNEL: "Zalo", zalo_oa.CHANNEL: "Zalo OA"}
# Why a message was skipped (outbox.error of a 'skipped' row), as the report says it.
SKIP_REASONS = {
    zalo_oa.SKIP_OUTSIDE_WINDOW: "ngoài 48 giờ kể từ tin nhắn cuối của người học (Zalo OA)",
}
MAX_TEXT = max(CHANNEL_LIMITS.values())
MAX_LINK = 500
BATCH = 1000  # outbox rows written per transaction
MAX_AHEAD = timedelta(days=90)  # how far ahead a broadcast may be scheduled
ACTIVE = (BroadcastStatus.scheduled, BroadcastStatus.queueing, BroadcastStatus.sending)
RECIPIENT_STATUSES = (LearnerStatus.active, LearnerStatus.dormant)
KINDS = ("all", "group", "commune", "unit", "not_trained")
REPORT_KIND = "bc_report"
WORKER_ACTOR = "system:worker"


class BadAudience(Exception):
    """An audience that does not exist (unknown group, commune or unit)."""


def text_length(text: str) -> int:
    """Length as the messengers count it: UTF-16 code units (an emoji may count 2)."""
    return len(text.encode("utf-16-le")) // 2


def body(text: str, link: str | None) -> str:
    """What the learners receive: the text as written, the link on its own line."""
    return f"{text}\n\n{link}" if link else text


def messages(bc: Broadcast) -> list[Outbound]:
    return [Outbound(body(bc.text, bc.link))]


def limit_for(channels) -> tuple[int, str]:
    """The smallest text limit among these channels, and that channel."""
    known = [c for c in channels if c in CHANNEL_LIMITS] or list(CHANNEL_LIMITS)
    channel = min(known, key=lambda c: CHANNEL_LIMITS[c])
    return CHANNEL_LIMITS[channel], channel


def widest_channel() -> str:
    """The channel with the largest limit: no broadcast can be longer than its limit."""
    return max(CHANNEL_LIMITS, key=lambda c: CHANNEL_LIMITS[c])


def actor_of(bc: Broadcast) -> str:
    return f"{bc.author_role}:{bc.author_channel}:{bc.author_user_id}"[:64]


# --- audiences ----------------------------------------------------------------------------


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
        code = int(value) if str(value).isdigit() else None
        if code not in communes.by_code():
            raise BadAudience(f"commune {value}")
        wanted = Filter(commune=code)
    elif kind == "unit":
        unit = await session.get(Unit, int(value)) if str(value).isdigit() else None
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


def _filter_of(bc: Broadcast) -> Filter:
    f = bc.audience.get("filter", {})
    return Filter(f.get("commune"), f.get("unit_id"), f.get("group"))


def conditions(catalog: Catalog, flt: Filter, not_trained: bool) -> list:
    """Who receives a broadcast to this (already narrowed) audience."""
    conds = [
        Learner.status.in_([s.value for s in RECIPIENT_STATUSES]),
        Learner.consent_at.is_not(None),
        Learner.channel.in_(list(CHANNEL_LIMITS)),
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


def _conditions_of(catalog: Catalog, bc: Broadcast) -> list:
    return conditions(catalog, _filter_of(bc), bool(bc.audience.get("not_trained")))


async def count_by_channel(session: AsyncSession, conds: list) -> dict[str, int]:
    stmt = select(Learner.channel, func.count()).where(*conds).group_by(Learner.channel)
    return {channel: int(n) for channel, n in await session.execute(stmt)}


# --- create, cancel -----------------------------------------------------------------------


def _audit(session: AsyncSession, actor: str, action: str, bc: Broadcast, **extra) -> None:
    def iso(t):
        return t.isoformat(timespec="seconds") if t else None

    detail = {
        "broadcast": bc.id,
        "author": actor_of(bc),
        "audience": {k: v for k, v in bc.audience.items()},
        "recipients": bc.recipients,
        "status": bc.status,
        "created_at": iso(bc.created_at),
        "scheduled_at": iso(bc.scheduled_at),
        "started_at": iso(bc.started_at),
        "finished_at": iso(bc.finished_at),
        "text_length": text_length(body(bc.text, bc.link)),
        **extra,
    }
    session.add(AuditLog(actor=actor[:64], action=action, detail=detail))


async def create(
    session: AsyncSession,
    catalog: Catalog,
    who: Principal,
    audience: Audience,
    text: str,
    link: str | None,
    now: datetime,
    scheduled_at: datetime | None = None,
) -> Broadcast:
    """Store a confirmed broadcast: to be sent now (the next tick queues it) or at
    scheduled_at. The audience must come from `resolve` for this same principal."""
    conds = conditions(catalog, audience.filter, audience.not_trained)
    counts = await count_by_channel(session, conds)
    bc = Broadcast(
        author_channel=who.channel,
        author_user_id=str(who.user_id),
        author_role=who.role.value,
        author_scope={
            "kind": who.scope.kind,
            "commune": who.scope.commune,
            "unit_id": who.scope.unit_id,
        },
        audience=audience.as_json(),
        commune_code=audience.commune_code,
        unit_id=audience.unit_id,
        text=text,
        link=link,
        created_at=now,
        scheduled_at=scheduled_at,
        recipients=sum(counts.values()),
    )
    if scheduled_at is None:
        await _start(session, catalog, bc, now)
    else:
        bc.status = BroadcastStatus.scheduled
    session.add(bc)
    await session.flush()
    _audit(session, who.actor, "broadcast_created", bc, channels=counts)
    if scheduled_at is not None:
        _audit(session, who.actor, "broadcast_scheduled", bc)
    log.info(
        "broadcast %s created by %s: %d recipients, %s",
        bc.id,
        who.actor,
        bc.recipients,
        f"scheduled {scheduled_at.isoformat()}" if scheduled_at else "now",
    )
    return bc


async def _start(session: AsyncSession, catalog: Catalog, bc: Broadcast, now: datetime) -> None:
    """Fix the audience (learners up to the newest id now) and begin queueing."""
    last = (await session.execute(select(func.max(Learner.id)))).scalar_one()
    bc.last_learner_id = int(last or 0)
    conds = [*_conditions_of(catalog, bc), Learner.id <= bc.last_learner_id]
    bc.recipients = sum((await count_by_channel(session, conds)).values())
    bc.status = BroadcastStatus.queueing
    bc.started_at = now


class NotFound(Exception):
    """No such broadcast."""


class NotActive(Exception):
    """The broadcast is already done or cancelled."""


async def cancel(session: AsyncSession, who: Principal, broadcast_id: int, now: datetime):
    """Cancel a scheduled, queueing or sending broadcast: its author or an admin.
    Unsent rows are marked cancelled in the same transaction. Returns the broadcast."""
    bc = (
        await session.execute(
            select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update()
        )
    ).scalar_one_or_none()
    if bc is None:
        raise NotFound(broadcast_id)
    if not may_manage_broadcast(who, bc.author_channel, bc.author_user_id):
        raise Forbidden(Perm.broadcast.value)
    if bc.status not in ACTIVE:
        raise NotActive(bc.status)
    await _cancel_locked(session, bc, now, who.actor)
    return bc


async def _cancel_locked(
    session: AsyncSession, bc: Broadcast, now: datetime, actor: str, reason: str = ""
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == bc.id,
            OutboxMessage.status.in_([OutboxStatus.pending, OutboxStatus.sending]),
        )
        .values(status=OutboxStatus.cancelled, claimed_until=None)
    )
    counts = (await outcomes(session, [bc.id])).get(bc.id, Counter())
    bc.status, bc.finished_at = BroadcastStatus.cancelled, now
    bc.delivered = counts[OutboxStatus.sent]
    bc.blocked = counts[OutboxStatus.blocked]
    bc.failed = counts[OutboxStatus.failed]
    bc.skipped = counts[OutboxStatus.skipped]
    extra = {"reason": reason} if reason else {}
    _audit(session, actor, "broadcast_cancelled", bc, outcome=_outcome(bc, counts), **extra)
    log.info("broadcast %s cancelled by %s", bc.id, actor)


# --- progress -----------------------------------------------------------------------------


async def outcomes(session: AsyncSession, ids: list[int]) -> dict[int, Counter]:
    """Outbox rows per status, per broadcast."""
    if not ids:
        return {}
    stmt = (
        select(OutboxMessage.broadcast_id, OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id.in_(ids))
        .group_by(OutboxMessage.broadcast_id, OutboxMessage.status)
    )
    out: dict[int, Counter] = {}
    for bc_id, status, n in await session.execute(stmt):
        out.setdefault(bc_id, Counter())[status] = int(n)
    return out


def _outcome(bc: Broadcast, counts: Counter) -> dict:
    return {
        "recipients": bc.recipients,
        "queued": bc.queued,
        "delivered": counts[OutboxStatus.sent],
        "blocked": counts[OutboxStatus.blocked],
        "failed": counts[OutboxStatus.failed],
        "skipped": counts[OutboxStatus.skipped],
        "not_sent": counts[OutboxStatus.cancelled],
    }


async def recent(session: AsyncSession, stmt_filter: list, limit: int = 5):
    """[(broadcast, counts)] newest first, for the chat list and the dashboard."""
    rows = list(
        (
            await session.execute(
                select(Broadcast).where(*stmt_filter).order_by(Broadcast.id.desc()).limit(limit)
            )
        ).scalars()
    )
    counts = await outcomes(session, [b.id for b in rows])
    return [(b, counts.get(b.id, Counter())) for b in rows]


def when_text(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%H:%M ngày %d/%m/%Y")


def status_line(bc: Broadcast, counts: Counter, tz: ZoneInfo) -> str:
    """One broadcast in Vietnamese, with its progress: "đã gửi 1.240/5.000"."""
    sent = counts[OutboxStatus.sent]
    total = bc.recipients
    troubles = []
    if counts[OutboxStatus.blocked]:
        troubles.append(f"{vn_number(counts[OutboxStatus.blocked])} đã chặn trợ lý")
    if counts[OutboxStatus.failed]:
        troubles.append(f"{vn_number(counts[OutboxStatus.failed])} lỗi")
    if counts[OutboxStatus.skipped]:
        troubles.append(f"{vn_number(counts[OutboxStatus.skipped])} bỏ qua")
    extra = f" ({', '.join(troubles)})" if troubles else ""
    if bc.status == BroadcastStatus.scheduled:
        state = f"hẹn gửi lúc {when_text(bc.scheduled_at, tz)}, khoảng {vn_number(total)} người"
    elif bc.status in (BroadcastStatus.queueing, BroadcastStatus.sending):
        state = f"đang gửi: đã gửi {vn_number(sent)}/{vn_number(total)}{extra}"
    elif bc.status == BroadcastStatus.done:
        state = f"đã xong: đã gửi {vn_number(sent)}/{vn_number(total)}{extra}"
    else:
        state = f"đã hủy: đã gửi {vn_number(sent)}/{vn_number(total)}{extra}"
    preview = bc.text if len(bc.text) <= 40 else bc.text[:39].rstrip() + "…"
    return f"#{bc.id} «{preview}» – {bc.audience.get('label', '')}\n   {state}"


async def skip_reasons(session: AsyncSession, broadcast_id: int) -> Counter:
    """The skipped rows of a broadcast, per reason."""
    stmt = (
        select(OutboxMessage.error, func.count())
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            OutboxMessage.status == OutboxStatus.skipped,
        )
        .group_by(OutboxMessage.error)
    )
    return Counter({error or "": int(n) for error, n in await session.execute(stmt)})


def report_text(bc: Broadcast, tz: ZoneInfo, skipped: Counter | None = None) -> str:
    lines = [
        f"📢 Thông báo #{bc.id} đã gửi xong ({bc.audience.get('label', '')}).",
        f"• Đã nhận: {vn_number(bc.delivered or 0)}/{vn_number(bc.recipients)}",
        f"• Đã chặn trợ lý: {vn_number(bc.blocked or 0)}",
        f"• Lỗi, không gửi được: {vn_number(bc.failed or 0)}",
    ]
    for reason, n in sorted((skipped or Counter()).items()):
        why = SKIP_REASONS.get(reason, "lý do khác")
        lines.append(f"• Không gửi vì {why}: {vn_number(n)}")
    if bc.started_at and bc.finished_at:
        lines.append(
            f"Bắt đầu {when_text(bc.started_at, tz)}, xong {when_text(bc.finished_at, tz)}."
        )
    return "\n".join(lines)


# --- the worker's tick ----------------------------------------------------------------


async def tick(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    now: datetime,
    *,
    settings: Settings | None = None,
    tz: ZoneInfo = VN,
    batch: int = BATCH,
    backlog: int | None = None,
) -> int:
    """One pass over the broadcasts with work to do: start the due scheduled ones, queue
    one batch of recipients for each being queued, finish those whose rows are all
    decided. Each broadcast is one short transaction (its row locked; another process
    skips it). Returns the outbox rows queued: call again while it is not 0.

    backlog: queue no further while this many of a broadcast's rows are still pending, so
    a big broadcast does not hold the reminders queued after it back for hours."""
    async with sessions() as session:
        ids = list(
            (
                await session.execute(
                    select(Broadcast.id)
                    .where(
                        (
                            (Broadcast.status == BroadcastStatus.scheduled)
                            & (Broadcast.scheduled_at <= now)
                        )
                        | Broadcast.status.in_([BroadcastStatus.queueing, BroadcastStatus.sending])
                    )
                    .order_by(Broadcast.id)
                )
            ).scalars()
        )
    queued = 0
    for bc_id in ids:
        queued += await _step(sessions, catalog, bc_id, now, settings, tz, batch, backlog)
    return queued


async def _step(sessions, catalog, bc_id, now, settings, tz, batch, backlog) -> int:
    async with sessions() as session, session.begin():
        bc = (
            await session.execute(
                select(Broadcast).where(Broadcast.id == bc_id).with_for_update(skip_locked=True)
            )
        ).scalar_one_or_none()
        if bc is None:
            return 0
        if bc.status == BroadcastStatus.scheduled:
            if bc.scheduled_at > now:
                return 0
            if not await _author_still_allowed(session, settings, bc):
                await _cancel_locked(session, bc, now, WORKER_ACTOR, "author_not_allowed")
                return 0
            await _start(session, catalog, bc, now)
            log.info("broadcast %s started: %d recipients", bc.id, bc.recipients)
        if bc.status == BroadcastStatus.queueing:
            return await _queue_batch(session, catalog, bc, now, batch, backlog)
        if bc.status == BroadcastStatus.sending:
            await _finish_if_decided(session, bc, now, tz)
        return 0


async def _author_still_allowed(session, settings, bc: Broadcast) -> bool:
    """A scheduled broadcast goes out only if its author may still reach that audience."""
    if settings is None:
        from bot.config import get_settings

        settings = get_settings()
    who = await principal_for(session, settings, bc.author_channel, bc.author_user_id)
    unit_commune = None
    if bc.unit_id is not None:
        unit = await session.get(Unit, bc.unit_id)
        unit_commune = unit.commune_code if unit else None
    return still_within(who, Perm.broadcast, _filter_of(bc), unit_commune)


async def _queue_batch(session, catalog, bc: Broadcast, now, batch: int, backlog) -> int:
    size = batch
    if backlog:
        pending = (
            await session.execute(
                select(func.count()).where(
                    OutboxMessage.broadcast_id == bc.id,
                    OutboxMessage.status == OutboxStatus.pending,
                )
            )
        ).scalar_one()
        size = min(batch, backlog - int(pending))
        if size <= 0:
            return 0
    stmt = (
        select(Learner.id, Learner.channel, Learner.channel_user_id)
        .where(
            *_conditions_of(catalog, bc),
            Learner.id > bc.queued_through,
            Learner.id <= (bc.last_learner_id or 0),
        )
        .order_by(Learner.id)
        .limit(size)
    )
    learners = (await session.execute(stmt)).all()
    rows = [
        outbox.row(
            f"bc:{bc.id}:{learner_id}",
            channel,
            user_id,
            [],  # the dispatcher reads the text from the broadcast row
            kind="broadcast",
            now=now,
            learner_id=learner_id,
            broadcast_id=bc.id,
        )
        for learner_id, channel, user_id in learners
    ]
    if rows:
        bc.queued += await outbox.enqueue_many(session, rows)
        bc.queued_through = learners[-1][0]
    if len(learners) < size:  # the audience is exhausted: everything is queued
        bc.status = BroadcastStatus.sending
        bc.recipients = bc.queued
        log.info("broadcast %s queued: %d rows", bc.id, bc.queued)
    return len(rows)


async def _finish_if_decided(session, bc: Broadcast, now: datetime, tz: ZoneInfo) -> None:
    counts = (await outcomes(session, [bc.id])).get(bc.id, Counter())
    if counts[OutboxStatus.pending] or counts[OutboxStatus.sending]:
        return
    bc.status, bc.finished_at = BroadcastStatus.done, now
    bc.delivered = counts[OutboxStatus.sent]
    bc.blocked = counts[OutboxStatus.blocked]
    bc.skipped = counts[OutboxStatus.skipped]
    counted = (OutboxStatus.sent, OutboxStatus.blocked, OutboxStatus.skipped)
    bc.failed = sum(n for s, n in counts.items() if s not in counted)
    reasons = await skip_reasons(session, bc.id) if bc.skipped else Counter()
    report = outbox.row(
        f"bcr:{bc.id}",
        bc.author_channel,
        bc.author_user_id,
        [Outbound(report_text(bc, tz, reasons))],
        kind=REPORT_KIND,
        now=now,
    )
    await outbox.enqueue_many(session, [report])
    _audit(session, actor_of(bc), "broadcast_finished", bc, outcome=_outcome(bc, counts))
    log.info(
        "broadcast %s done: %d delivered, %d blocked, %d failed, %d skipped %s",
        bc.id,
        bc.delivered,
        bc.blocked,
        bc.failed,
        bc.skipped,
        dict(reasons),
    )


# --- scheduling: "27/11 19:30", "27/11/2026 19:30" (Vietnam time) -----------------------

_DATE = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}|\d{2}))?(?!\d)")
_TIME = re.compile(r"^(\d{1,2})(?:\s*(?::|h|g|gio|\.)\s*(\d{2})?)?\s*(?:phut)?$")
_FILLER = re.compile(r"\b(?:luc|ngay|vao|gui)\b")


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> tuple[datetime | None, str]:
    """A date and time typed in Vietnam time ("27/11 19:30", "27/11/2026 19h30", "lúc 7h
    ngày 2/12") -> (UTC time, "") or (None, why): "format", "past", "far". Without a year:
    this year's date, or next year's when this year's passed more than half a year ago
    (05/01 typed in late December)."""
    folded = _FILLER.sub(" ", fold(text))
    date_m = _DATE.search(folded)
    if not date_m:
        return None, "format"
    rest = (folded[: date_m.start()] + " " + folded[date_m.end() :]).strip(" ,")
    time_m = _TIME.match(" ".join(rest.split()))
    if not time_m:
        return None, "format"
    day, month = int(date_m.group(1)), int(date_m.group(2))
    hour, minute = int(time_m.group(1)), int(time_m.group(2) or 0)
    local_now = now.astimezone(tz)
    year_text = date_m.group(3)
    year = (2000 + int(year_text) if len(year_text) == 2 else int(year_text)) if year_text else None
    try:
        when = datetime(year or local_now.year, month, day, hour, minute, tzinfo=tz)
        if year is None and when < local_now - timedelta(days=183):
            when = when.replace(year=local_now.year + 1)
    except ValueError:  # 31/02, 25:00
        return None, "format"
    if when <= local_now:
        return None, "past"
    if when - local_now > MAX_AHEAD:
        return None, "far"
    return when.astimezone(ZoneInfo("UTC")), ""
