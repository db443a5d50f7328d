"""Due reminders: a periodic tick claims learners whose next_reminder_at has come, queues
one reminder each in the outbox, and moves next_reminder_at to the next valid slot.

Kind rules: never in quiet hours; not on a day the learner already studied; after 3
ignored reminders in a row, weekly; after 3 ignored weekly ones, none (dormant). A slot
missed during downtime is skipped, not sent late. Several schedulers may tick at once:
Postgres hands each a disjoint set of learners (SKIP LOCKED) and the outbox dedup key
(learner + slot) makes a repeated tick harmless.

A tick is set-based (docs/PERFORMANCE.md, "Reminder due-scan"): one query claims the
batch with what the reminders need (completed lessons, due reviews: on Postgres from the
schedule row, which triggers keep in step; migration 0015), one statement moves
every claimed learner on and queues the reminders (Postgres; elsewhere two). Learners in
the same place (group, next lesson, streak, reviews) get the same text, built once a tick.
"""

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, time
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot import actions as A
from bot import metrics
from bot.messages import Choice, Outbound
from bot.outreach import outbox, schedule
from lessons.loader import Catalog
from lessons.schema import Lesson
from storage.models import Learner, LearnerStatus, LessonProgress, ReminderDue, ReviewItem
from storage.types import UTCDateTime

DAILY_LIMIT = 3  # ignored daily reminders before backing off to weekly
WEEKLY_LIMIT = 6  # ignored reminders in all before stopping (3 daily + 3 weekly)
BATCH = 1000
# Batches in flight at once on Postgres: one batch's Python runs while another's statements
# run in the server, so a backlog clears about twice as fast on two cores (SKIP LOCKED
# keeps their learners apart). SQLite has one writer: one at a time there.
LANES_POSTGRES = 2
ACTIVE, DORMANT = LearnerStatus.active.value, LearnerStatus.dormant.value


class Batch(NamedTuple):
    """What one tick did: learners claimed (due now) and reminders queued. Fewer are
    queued than claimed when some studied today, missed their slot, or it is quiet time."""

    claimed: int
    queued: int


def on_activity(learner: Learner, now: datetime, tz: ZoneInfo = schedule.VN) -> None:
    """The learner wrote or pressed something: reminders count as answered again."""
    if not learner.reminders_ignored and learner.status != LearnerStatus.dormant:
        return
    was_backed_off = learner.reminder_weekly or learner.status == LearnerStatus.dormant
    learner.reminders_ignored = 0
    learner.reminder_weekly = False
    if learner.status == LearnerStatus.dormant:
        learner.status = LearnerStatus.active
    if was_backed_off and learner.reminder_time:
        learner.next_reminder_at = schedule.next_slot(
            learner.reminder_time, learner.reminder_days, now, tz=tz
        )


def message(catalog: Catalog, nxt: Lesson | None, streak: int, due_reviews: int) -> Outbound:
    """The reminder. streak: the streak to mention (0: none, the learner did not study
    yesterday); nxt: the next lesson of the learner's track, if any is left."""
    parts = ["🔔 Đến giờ học rồi!"]
    if streak:
        parts.append(
            f"Bạn đang có chuỗi {streak} ngày học liên tiếp, học hôm nay để giữ chuỗi nhé."
        )
    if nxt:
        parts.append(
            f"Bài tiếp theo: {catalog.position(nxt.id)} «{nxt.title}» (khoảng {nxt.minutes} phút)."
        )
    choices = [Choice("Học ngay", A.CONTINUE)]
    if due_reviews:
        parts.append(f"Có {due_reviews} câu cần ôn lại.")
        choices.append(Choice(f"Ôn {due_reviews} câu", A.REVIEW))
    choices.append(Choice("Đổi giờ nhắc", A.REMIND))
    return Outbound(" ".join(parts), tuple(choices))


# --- claiming -----------------------------------------------------------------------------


class _Due(NamedTuple):
    """A claimed learner: the learner columns a reminder needs (same names), then the
    completed lesson ids (comma-separated, None: none) and the number of due reviews."""

    id: int
    channel: str
    channel_user_id: str
    group_code: str | None
    reminder_time: str | None
    reminder_days: str
    next_reminder_at: datetime
    reminders_ignored: int
    reminder_weekly: bool
    last_study_on: str | None
    streak: int
    done: str | None
    reviews: int


def _claim(now: datetime, batch: int, pg: bool):
    """Due active learners, oldest slot first, locked for this tick (SKIP LOCKED: another
    scheduler takes other learners), with what their reminders need: one round trip,
    plain rows (no ORM objects). The scan runs on the narrow reminder_due table (its rows
    are exactly the active learners with a next reminder). Both rows are locked: the
    schedule row so that a row another scheduler has just moved on is checked again on
    its new version (Postgres re-checks the locked tables' conditions) and not claimed
    twice; the learner row so that a learner being answered right now is skipped until
    the next tick rather than having its reset counters overwritten.

    On Postgres the schedule row carries the completed lessons and the review due times
    (migration 0015), so the claim reads no other table; elsewhere two subqueries read
    lesson_progress and review_item."""
    lr, lp, ri = Learner.__table__, LessonProgress.__table__, ReviewItem.__table__
    rd = ReminderDue.__table__
    if pg:
        due_at = func.unnest(rd.c.reviews).column_valued("r")
        done = rd.c.done
        reviews = select(func.count()).where(due_at <= now)
    else:
        done = (
            select(func.aggregate_strings(lp.c.lesson_id, ","))
            .where(lp.c.learner_id == lr.c.id, lp.c.completed_at.is_not(None))
            .scalar_subquery()
        )
        reviews = (
            select(func.count())
            .select_from(ri)
            .where(ri.c.learner_id == lr.c.id, ri.c.due_at <= now)
        )
    columns = [lr.c[name] for name in _Due._fields[:-2]]
    return (
        select(*columns, done.label("done"), reviews.scalar_subquery().label("reviews"))
        .select_from(rd.join(lr, lr.c.id == rd.c.learner_id))
        .where(rd.c.due_at <= now)
        .order_by(rd.c.due_at)
        .limit(batch)
        .with_for_update(of=(rd, lr), skip_locked=True)
    )


# --- deciding -----------------------------------------------------------------------------


class _Change(NamedTuple):
    """A claimed learner's new reminder state (learner columns)."""

    id: int
    reminders_ignored: int
    reminder_weekly: bool
    status: str
    next_reminder_at: datetime | None


class _Encoded(NamedTuple):
    """A reminder encoded for the outbox: its messages and their JSON text."""

    messages: list[dict]
    json: str


class _Texts:
    """What one catalog's reminders share from tick to tick: the next lesson per (group,
    completed lessons) and the encoded reminder per (lesson, streak, due reviews). A few
    hundred entries; kept for the last catalog seen (_texts_for)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.lessons: dict[tuple, Lesson | None] = {}
        self.bodies: dict[tuple, _Encoded] = {}


_TEXTS_MAX = 10_000  # entries; a bound for long streaks and many reviews
_texts: _Texts | None = None


def _texts_for(catalog: Catalog) -> _Texts:
    global _texts
    if (
        _texts is None
        or _texts.catalog is not catalog
        or len(_texts.lessons) + len(_texts.bodies) > _TEXTS_MAX
    ):
        _texts = _Texts(catalog)
    return _texts


class _Planner:
    """One tick's decisions, with what many learners share computed once: the tick's own
    facts (today, quiet or not), the next slot per preference, the slot's part of the
    dedup key; and, kept across ticks, the next lesson per (group, completed lessons) and
    the encoded reminder per (lesson, streak, reviews)."""

    def __init__(self, catalog: Catalog, now: datetime, tz: ZoneInfo, quiet: tuple[time, time]):
        self.catalog, self.now, self.tz = catalog, now, tz
        day = schedule.local_day(now, tz)
        self.today = day.isoformat()
        self.yesterday = day.fromordinal(day.toordinal() - 1).isoformat()
        self.quiet = schedule.is_quiet(now.astimezone(tz).time(), *quiet)
        self._slots: dict[tuple, datetime | None] = {}
        texts = _texts_for(catalog)
        self._lessons, self._bodies = texts.lessons, texts.bodies
        self._minutes: dict[datetime, str] = {}

    def next_slot(self, hhmm, days, after: datetime, weekly: bool) -> datetime | None:
        # Claimed slots are all <= now, so `after` is now for the whole batch and the
        # slot depends on the preferences alone: a few distinct ones per tick.
        key = (hhmm, days, after, weekly)
        if key not in self._slots:
            self._slots[key] = schedule.next_slot(hhmm, days, after, weekly, self.tz)
        return self._slots[key]

    def next_lesson(self, group: str | None, done: str | None) -> Lesson | None:
        key = (group, done)
        if key not in self._lessons:
            completed = set(done.split(",")) if done else set()
            track = self.catalog.track(group)
            self._lessons[key] = next((les for les in track if les.id not in completed), None)
        return self._lessons[key]

    def body(self, due: _Due) -> _Encoded:
        """The learner's reminder, encoded for the outbox (shared by equal reminders)."""
        nxt = self.next_lesson(due.group_code, due.done)
        streak = due.streak if due.last_study_on == self.yesterday else 0
        key = (nxt.id if nxt else None, streak, due.reviews)
        if key not in self._bodies:
            messages = outbox.encode([message(self.catalog, nxt, streak, due.reviews)])
            self._bodies[key] = _Encoded(messages, json.dumps(messages))
        return self._bodies[key]

    def dedup_key(self, due: _Due) -> str:
        # Learners with the same reminder time share a slot: format each slot once, and
        # field by field (as strftime("%Y%m%d%H%M") would, at half its cost).
        slot = due.next_reminder_at
        if slot not in self._minutes:
            self._minutes[slot] = (
                f"{slot.year:04}{slot.month:02}{slot.day:02}{slot.hour:02}{slot.minute:02}"
            )
        return f"rem:{due.id}:{self._minutes[slot]}"

    def decide(self, due: _Due) -> tuple[_Change, tuple[_Encoded, str] | None]:
        """The learner's new state, and the reminder to queue: its encoded messages and
        dedup key (None: nothing to send)."""
        slot, now = due.next_reminder_at, self.now
        ignored, weekly = due.reminders_ignored, due.reminder_weekly
        send = (
            due.reminder_time is not None
            and due.last_study_on != self.today
            and now - slot <= schedule.LATE_GRACE
            and not self.quiet
        )
        queued = None
        if send:
            # Already encoded, and shared with the learners who get the same reminder.
            queued = self.body(due), self.dedup_key(due)
            ignored += 1
            weekly = ignored >= DAILY_LIMIT
        status, next_at = ACTIVE, None
        if ignored >= WEEKLY_LIMIT:
            status = DORMANT
        else:
            next_at = self.next_slot(due.reminder_time, due.reminder_days, max(slot, now), weekly)
        return _Change(due.id, ignored, weekly, status, next_at), queued


# --- writing ------------------------------------------------------------------------------

# Postgres: one statement moves every claimed learner on and queues their reminders,
# its values passed as arrays (one row each from unnest). The outbox row's columns that
# the learner row or the tick already has are not sent again (channel, chat id, kind,
# times), and each distinct reminder is sent once and named by its position, so a tick
# sends 7 arrays instead of 16 (asyncpg checks every element it encodes). The statement
# triggers on learner (migration 0013) move the schedule rows at the end of it.
_PG_WRITE = text(
    """
    WITH v AS (
        SELECT * FROM unnest(
            CAST(:id AS integer[]),
            CAST(:reminders_ignored AS integer[]),
            CAST(:reminder_weekly AS boolean[]),
            CAST(:status AS text[]),
            CAST(:next_reminder_at AS timestamptz[]),
            CAST(:message_no AS integer[]),
            CAST(:dedup_key AS text[])
        ) WITH ORDINALITY AS v(id, reminders_ignored, reminder_weekly, status,
            next_reminder_at, message_no, dedup_key, n)
    ), moved AS (
        UPDATE learner SET
            reminders_ignored = v.reminders_ignored,
            reminder_weekly = v.reminder_weekly,
            status = v.status,
            next_reminder_at = v.next_reminder_at
        FROM v
        WHERE learner.id = v.id
        RETURNING learner.id, learner.channel, learner.channel_user_id
    )
    INSERT INTO outbox (dedup_key, channel, user_id, learner_id, kind, messages, status,
        attempts, next_attempt_at, created_at)
    SELECT v.dedup_key, m.channel, m.channel_user_id, v.id, 'reminder',
        (CAST(:messages AS json[]))[v.message_no], 'pending', 0,
        CAST(:now AS timestamptz), CAST(:now AS timestamptz)
    FROM v JOIN moved m ON m.id = v.id
    WHERE v.message_no IS NOT NULL
    ORDER BY v.n  -- the claim's order, oldest slot first
    ON CONFLICT (dedup_key) DO NOTHING
    """
).bindparams(bindparam("now", type_=UTCDateTime()))


async def _write_pg(
    conn: AsyncConnection, changes: list[_Change], queued: list, now: datetime
) -> int:
    """Move the learners on and queue their reminders (queued[i]: the i-th learner's,
    or None); returns how many reminders were new."""
    params = {name: [c[i] for c in changes] for i, name in enumerate(_Change._fields)}
    messages: list[str] = []
    numbers: dict[int, int] = {}  # id() of an encoded reminder -> its position, from 1
    message_no, dedup_keys = [], []
    for reminder in queued:
        if reminder is None:
            message_no.append(None)
            dedup_keys.append(None)
            continue
        body, key = reminder
        if id(body) not in numbers:  # the planner's cache keeps every body alive
            messages.append(body.json)
            numbers[id(body)] = len(messages)
        message_no.append(numbers[id(body)])
        dedup_keys.append(key)
    params |= {"message_no": message_no, "dedup_key": dedup_keys, "messages": messages}
    result = await conn.execute(_PG_WRITE, params | {"now": now})
    return result.rowcount


async def _write_other(
    session: AsyncSession, claimed: list[_Due], changes: list[_Change], queued: list, now
) -> int:
    """Elsewhere (SQLite): one UPDATE by primary key, executed for each learner, and the
    reminders through the outbox."""
    t = Learner.__table__
    stmt = update(t).where(t.c.id == bindparam("learner_id"))
    names = ("learner_id", *_Change._fields[1:])  # the SET columns follow these keys
    await session.execute(stmt, [dict(zip(names, c, strict=True)) for c in changes])
    rows = []
    for due, reminder in zip(claimed, queued, strict=True):
        if reminder is not None:
            row = outbox.row(
                reminder[1], due.channel, due.channel_user_id, [], kind="reminder", now=now
            )
            row.update(learner_id=due.id, messages=reminder[0].messages)
            rows.append(row)
    return await outbox.enqueue_many(session, rows)


# --- the tick -----------------------------------------------------------------------------


async def tick(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    now: datetime,
    *,
    tz: ZoneInfo = schedule.VN,
    quiet: tuple[time, time] = (schedule.QUIET_START, schedule.QUIET_END),
    batch: int = BATCH,
) -> int:
    """Queue the reminders due at `now` (one batch). Returns how many were queued."""
    result = await tick_batch(sessions, catalog, now, tz=tz, quiet=quiet, batch=batch)
    return result.queued


async def tick_batch(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    now: datetime,
    *,
    tz: ZoneInfo = schedule.VN,
    quiet: tuple[time, time] = (schedule.QUIET_START, schedule.QUIET_END),
    batch: int = BATCH,
) -> Batch:
    """One batch, in one transaction: claim up to `batch` due learners, queue their
    reminders, move them on. Call again while it claims learners."""
    async with sessions() as session, session.begin():
        # Core statements on the session's connection: the ORM's execute adds nothing here.
        conn = await session.connection()
        pg = conn.dialect.name == "postgresql"
        claimed = (await conn.execute(_claim(now, batch, pg))).all()
        if not claimed:
            return Batch(0, 0)
        planner = _Planner(catalog, now, tz, quiet)
        # NamedTuples, not the Rows: a Row's attribute access is slow (~1 µs).
        dues = [_Due._make(learner) for learner in claimed]
        changes, queued = [], []
        for due in dues:
            change, reminder = planner.decide(due)
            changes.append(change)
            queued.append(reminder)
        if pg:
            new = await _write_pg(conn, changes, queued, now)
        else:
            new = await _write_other(session, dues, changes, queued, now)
    metrics.REMINDERS_QUEUED.inc(new)  # counted once the transaction has committed
    return Batch(len(claimed), new)


async def drain(
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    clock: Callable[[], datetime],
    *,
    tz: ZoneInfo = schedule.VN,
    quiet: tuple[time, time] = (schedule.QUIET_START, schedule.QUIET_END),
    batch: int = BATCH,
    max_batches: int = 100,
    lanes: int | None = None,
) -> Batch:
    """Batch after batch until nothing is due (at most `max_batches`), `lanes` of them in
    flight at once (default: LANES_POSTGRES on Postgres, 1 elsewhere). Each batch reads
    the clock when it starts. Returns the totals."""
    if lanes is None:
        pg = sessions.kw["bind"].dialect.name == "postgresql"
        lanes = LANES_POSTGRES if pg else 1
    started = 0
    claimed = queued = 0

    async def lane() -> None:
        nonlocal started, claimed, queued
        while started < max_batches:
            started += 1
            result = await tick_batch(sessions, catalog, clock(), tz=tz, quiet=quiet, batch=batch)
            claimed += result.claimed
            queued += result.queued
            # Stop when nothing more is due, not when a batch queued nothing: a batch of
            # learners who all studied today still leaves the ones due after them.
            if not result.claimed:
                return

    await asyncio.gather(*(lane() for _ in range(lanes)))
    return Batch(claimed, queued)
