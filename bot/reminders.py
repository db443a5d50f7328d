"""Due reminders: a periodic tick claims learners whose next_reminder_at has come, queues
one reminder each in the outbox, and moves next_reminder_at to the next valid slot.

Kind rules: never in quiet hours; not on a day the learner already studied; after 3
ignored reminders in a row, weekly; after 3 ignored weekly ones, none (dormant). A slot
missed during downtime is skipped, not sent late. Several schedulers may tick at once:
Postgres hands each a disjoint set of learners (SKIP LOCKED) and the outbox dedup key
(learner + slot) makes a repeated tick harmless.
"""

from collections import defaultdict
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import actions as A
from bot import metrics, outbox, schedule
from bot.messages import Choice, Outbound
from lessons.loader import Catalog
from storage.models import Learner, LearnerStatus, LessonProgress, ReviewItem

DAILY_LIMIT = 3  # ignored daily reminders before backing off to weekly
WEEKLY_LIMIT = 6  # ignored reminders in all before stopping (3 daily + 3 weekly)
BATCH = 1000


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


def message(
    catalog: Catalog, learner: Learner, done: set[str], due_reviews: int, now: datetime, tz
) -> Outbound:
    today = schedule.local_day(now, tz)
    yesterday = today.fromordinal(today.toordinal() - 1).isoformat()
    parts = ["🔔 Đến giờ học rồi!"]
    if learner.last_study_on == yesterday and learner.streak:
        parts.append(
            f"Bạn đang có chuỗi {learner.streak} ngày học liên tiếp, học hôm nay để giữ chuỗi nhé."
        )
    nxt = next((les for les in catalog.track(learner.group_code) if les.id not in done), None)
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


async def _done_and_reviews(session: AsyncSession, ids: list[int], now: datetime):
    done: dict[int, set[str]] = defaultdict(set)
    stmt = select(LessonProgress.learner_id, LessonProgress.lesson_id).where(
        LessonProgress.learner_id.in_(ids), LessonProgress.completed_at.is_not(None)
    )
    for learner_id, lesson_id in await session.execute(stmt):
        done[learner_id].add(lesson_id)
    stmt = (
        select(ReviewItem.learner_id, func.count(ReviewItem.id))
        .where(ReviewItem.learner_id.in_(ids), ReviewItem.due_at <= now)
        .group_by(ReviewItem.learner_id)
    )
    reviews = dict((await session.execute(stmt)).all())
    return done, reviews


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
    async with sessions() as session, session.begin():
        stmt = (
            select(Learner)
            .where(Learner.next_reminder_at <= now, Learner.status == LearnerStatus.active)
            .order_by(Learner.next_reminder_at)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        learners = list((await session.execute(stmt)).scalars())
        if not learners:
            return 0
        done, reviews = await _done_and_reviews(session, [ln.id for ln in learners], now)
        today = schedule.local_day(now, tz).isoformat()
        local_now = now.astimezone(tz).time()
        rows, changes = [], []
        for ln in learners:
            slot = ln.next_reminder_at
            ignored, weekly = ln.reminders_ignored, ln.reminder_weekly
            send = (
                ln.reminder_time is not None
                and ln.last_study_on != today
                and now - slot <= schedule.LATE_GRACE
                and not schedule.is_quiet(local_now, *quiet)
            )
            if send:
                body = message(catalog, ln, done[ln.id], reviews.get(ln.id, 0), now, tz)
                key = f"rem:{ln.id}:{slot.strftime('%Y%m%d%H%M')}"
                rows.append(
                    outbox.row(
                        key,
                        ln.channel,
                        ln.channel_user_id,
                        [body],
                        kind="reminder",
                        now=now,
                        learner_id=ln.id,
                    )
                )
                ignored += 1
                weekly = ignored >= DAILY_LIMIT
            status, next_at = ln.status, None
            if ignored >= WEEKLY_LIMIT:
                status = LearnerStatus.dormant
            else:
                next_at = schedule.next_slot(
                    ln.reminder_time, ln.reminder_days, max(slot, now), weekly, tz
                )
            changes.append(
                {
                    "id": ln.id,
                    "reminders_ignored": ignored,
                    "reminder_weekly": weekly,
                    "status": status,
                    "next_reminder_at": next_at,
                }
            )
        # One UPDATE by primary key for the batch (executemany), not the unit of work's
        # change tracking and flush of each learner object (docs/PERFORMANCE.md).
        await session.execute(update(Learner), changes)
        queued = await outbox.enqueue_many(session, rows)
    metrics.REMINDERS_QUEUED.inc(queued)  # counted once the transaction has committed
    return queued
