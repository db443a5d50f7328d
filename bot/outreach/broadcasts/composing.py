"""From an author's text to outbox rows: the channels' text limits, the time a broadcast
is scheduled for, storing a confirmed broadcast, and the worker's tick that starts due
broadcasts and queues their recipients a batch at a time."""

import logging
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.roles import Perm, Principal, principal_for, still_within
from bot.channels import limits
from bot.config import Settings
from bot.outreach import outbox
from bot.outreach.broadcasts.audience import (
    Audience,
    conditions,
    conditions_of,
    count_by_channel,
    filter_of,
)
from bot.outreach.broadcasts.sending import audit, cancel_locked, finish_if_decided
from bot.outreach.schedule import VN
from bot.textutil import fold
from lessons.loader import Catalog
from storage.models import Broadcast, BroadcastStatus, Learner, OutboxMessage, OutboxStatus, Unit

log = logging.getLogger("hocai.broadcasts")

# Longest text each messenger accepts in one message. A broadcast must fit the smallest
# limit among the channels its recipients use (it is never split).
CHANNEL_LIMITS = {c: lim.max_text for c, lim in limits.MESSENGERS.items()}
CHANNEL_NAMES = {c: lim.name for c, lim in limits.MESSENGERS.items()}
MAX_TEXT = max(CHANNEL_LIMITS.values())
MAX_LINK = 500
BATCH = 1000  # outbox rows written per transaction
MAX_AHEAD = timedelta(days=90)  # how far ahead a broadcast may be scheduled
WORKER_ACTOR = "system:worker"


def limit_for(channels) -> tuple[int, str]:
    """The smallest text limit among these channels, and that channel."""
    known = [c for c in channels if c in CHANNEL_LIMITS] or list(CHANNEL_LIMITS)
    channel = min(known, key=lambda c: CHANNEL_LIMITS[c])
    return CHANNEL_LIMITS[channel], channel


def widest_channel() -> str:
    """The channel with the largest limit: no broadcast can be longer than its limit."""
    return max(CHANNEL_LIMITS, key=lambda c: CHANNEL_LIMITS[c])


# --- create -------------------------------------------------------------------------------


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
    assert who.scope is not None  # resolve() checked this principal's scope
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
    audit(session, who.actor, "broadcast_created", bc, channels=counts)
    if scheduled_at is not None:
        audit(session, who.actor, "broadcast_scheduled", bc)
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
    conds = [*conditions_of(catalog, bc), Learner.id <= bc.last_learner_id]
    bc.recipients = sum((await count_by_channel(session, conds)).values())
    bc.status = BroadcastStatus.queueing
    bc.started_at = now


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
                await cancel_locked(session, bc, now, WORKER_ACTOR, "author_not_allowed")
                return 0
            await _start(session, catalog, bc, now)
            log.info("broadcast %s started: %d recipients", bc.id, bc.recipients)
        if bc.status == BroadcastStatus.queueing:
            return await _queue_batch(session, catalog, bc, now, batch, backlog)
        if bc.status == BroadcastStatus.sending:
            await finish_if_decided(session, bc, now, tz)
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
    return still_within(who, Perm.broadcast, filter_of(bc), unit_commune)


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
            *conditions_of(catalog, bc),
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
