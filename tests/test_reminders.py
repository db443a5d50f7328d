"""Reminders, streaks and spaced review, with an injected clock (Vietnam = UTC+7)."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.engine import Engine
from bot.outreach import outbox, reminders, schedule
from storage import db
from storage.models import Learner, LearnerStatus, OutboxMessage, ReviewItem
from tests.support.clock import Clock
from tests.transcript import Chat


def vn(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Vietnam wall-clock time in late 2026, as UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


@pytest.fixture
def clock():
    return Clock(vn(26, 10))  # Thursday 26/11/2026, 10:00 in Thái Nguyên


@pytest.fixture
def lan(sessions, catalog, clock):
    return Chat(Engine(sessions, catalog, rng=random.Random(5), clock=clock), catalog)


async def with_reminder(chat: Chat, preset: str = "Tối 20:00", days: str = "Mỗi ngày"):
    await chat.onboard()
    await chat.say("/nhac")
    await chat.tap(preset)
    await chat.tap(days)


async def learner(sessions) -> Learner:
    async with sessions() as s:
        return (await s.execute(select(Learner))).scalar_one()


async def queued(sessions) -> list[OutboxMessage]:
    async with sessions() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def tick(sessions, catalog, at: datetime) -> int:
    return await reminders.tick(sessions, catalog, at)


async def test_a_reminder_at_the_chosen_time_once(lan, sessions, catalog):
    await with_reminder(lan)
    assert (await learner(sessions)).next_reminder_at == vn(26, 20)
    assert await tick(sessions, catalog, vn(26, 19, 59)) == 0
    assert await tick(sessions, catalog, vn(26, 20)) == 1
    assert await tick(sessions, catalog, vn(26, 20, 1)) == 0  # nothing twice

    [row] = await queued(sessions)
    [message] = outbox.decode(row.messages)
    assert message.text.startswith("🔔 Đến giờ học rồi!")
    assert "Bài tiếp theo: 1.1 «AI nói dễ hiểu»" in message.text
    assert [c.label for c in message.choices] == ["Học ngay", "Đổi giờ nhắc"]
    assert (row.channel, row.user_id, row.kind) == ("test", lan.user_id, "reminder")
    assert (await learner(sessions)).next_reminder_at == vn(27, 20)


async def test_weekdays_only(lan, sessions, catalog):
    await with_reminder(lan, "Sáng 7:00", "Thứ 2 – Thứ 6")
    # Thursday 26/11 10:00 -> Friday 27/11 07:00, then Monday 30/11.
    assert (await learner(sessions)).next_reminder_at == vn(27, 7)
    assert await tick(sessions, catalog, vn(27, 7)) == 1
    assert (await learner(sessions)).next_reminder_at == vn(30, 7)


async def test_no_reminder_on_a_day_already_studied(lan, sessions, catalog, clock):
    await with_reminder(lan)
    clock.now = vn(26, 15)
    await lan.say("/hoc")
    await lan.read_lesson()
    await lan.finish_quiz()
    assert await tick(sessions, catalog, vn(26, 20)) == 0
    assert (await learner(sessions)).next_reminder_at == vn(27, 20)
    assert await tick(sessions, catalog, vn(27, 20)) == 1


async def test_ignored_reminders_back_off_to_weekly_then_stop(lan, sessions, catalog):
    await with_reminder(lan)
    for day in (26, 27, 28):
        assert await tick(sessions, catalog, vn(day, 20)) == 1
    row = await learner(sessions)
    assert row.reminder_weekly and row.next_reminder_at == vn(5, 20, month=12)
    for day in (5, 12, 19):
        assert await tick(sessions, catalog, vn(day, 20, month=12)) == 1
    row = await learner(sessions)
    assert row.status == LearnerStatus.dormant and row.next_reminder_at is None
    assert len(await queued(sessions)) == 6


async def test_an_answer_brings_daily_reminders_back(lan, sessions, catalog, clock):
    await with_reminder(lan)
    for day in (26, 27, 28):
        await tick(sessions, catalog, vn(day, 20))
    clock.now = vn(29, 9)
    await lan.say("/tiendo")
    row = await learner(sessions)
    assert (row.reminders_ignored, row.reminder_weekly) == (0, False)
    assert row.next_reminder_at == vn(29, 20)


async def test_quiet_hours_and_missed_slots_are_skipped(lan, sessions, catalog):
    await with_reminder(lan)
    # The service was down at 20:00; at 08:00 next morning nothing is sent late.
    assert await tick(sessions, catalog, vn(27, 8)) == 0
    assert (await learner(sessions)).next_reminder_at == vn(27, 20)
    # A time inside quiet hours (say, set before the rules changed) is never used.
    async with sessions() as s, s.begin():
        row = (await s.execute(select(Learner))).scalar_one()
        row.reminder_time, row.next_reminder_at = "22:15", vn(27, 22, 15)
    assert await tick(sessions, catalog, vn(27, 22, 15)) == 0
    assert (await learner(sessions)).next_reminder_at == vn(28, 22, 15)


async def test_streak_follows_vietnam_calendar_days(lan, sessions, clock):
    await lan.onboard()
    clock.now = vn(26, 23, 50)
    await lan.say("/hoc")
    await lan.read_lesson()
    await lan.finish_quiz()
    clock.now = vn(27, 0, 10)  # ten minutes later, but a new day in Vietnam
    await lan.say("/hoc")
    await lan.read_lesson()
    await lan.finish_quiz()
    assert ((await learner(sessions)).streak, (await learner(sessions)).best_streak) == (2, 2)
    clock.now = vn(27, 7, 30)  # 00:30 UTC: a new UTC day, the same Vietnam day
    await lan.say("/hoc")
    await lan.read_lesson()
    await lan.finish_quiz()
    assert (await learner(sessions)).streak == 2
    await lan.say("/tiendo")
    lan.expect("Chuỗi ngày học: 2 ngày liên tiếp")
    clock.now = vn(29, 9)  # a day skipped
    await lan.say("/tiendo")
    lan.expect_not("Chuỗi ngày học")


async def test_wrong_answers_come_back_after_1_3_and_7_days(lan, sessions, clock):
    await lan.onboard()
    await lan.tap("Học ngay")
    await lan.read_lesson()
    await lan.finish_quiz(wrong=1)
    async with sessions() as s:
        item = (await s.execute(select(ReviewItem))).scalar_one()
    assert (item.box, item.due_at) == (1, clock.now + timedelta(days=1))

    for box, wait in ((2, 3), (3, 7)):
        clock.now += timedelta(days=1 if box == 2 else 3)
        await lan.say("/hoc")
        lan.expect("Bạn có 1 câu cần ôn lại")
        await lan.tap("Ôn 1 câu")
        lan.expect("📚 Ôn lại 1 câu", "Câu 1/1:")
        await lan.answer(right=True)
        lan.expect("Xong phần ôn tập: bạn đúng 1/1 câu")
        async with sessions() as s:
            item = (await s.execute(select(ReviewItem))).scalar_one()
        assert (item.box, item.due_at) == (box, clock.now + timedelta(days=wait))

    clock.now += timedelta(days=7)
    await lan.say("/hoc")
    await lan.tap("Ôn 1 câu")
    await lan.answer(right=False)
    async with sessions() as s:
        item = (await s.execute(select(ReviewItem))).scalar_one()
    assert (item.box, item.due_at) == (1, clock.now + timedelta(days=1))
    clock.now += timedelta(days=1)
    await lan.say("/hoc")
    await lan.tap("Ôn 1 câu")
    await lan.answer(right=True)
    for days in (3, 7):
        clock.now += timedelta(days=days)
        await lan.say("/hoc")
        await lan.tap("Ôn 1 câu")
        await lan.answer(right=True)
    async with sessions() as s:
        assert (await s.execute(select(ReviewItem))).first() is None  # learnt


async def test_due_reviews_are_in_the_reminder(lan, sessions, catalog, clock):
    await with_reminder(lan)
    await lan.say("/hoc")
    await lan.read_lesson()
    await lan.finish_quiz(wrong=2)
    assert await tick(sessions, catalog, vn(26, 20)) == 0  # studied today
    assert await tick(sessions, catalog, vn(27, 20)) == 1
    [row] = await queued(sessions)
    [message] = outbox.decode(row.messages)
    assert "Có 2 câu cần ôn lại." in message.text
    assert "Ôn 2 câu" in [c.label for c in message.choices]


async def due_at(sessions, slot: datetime, n: int, studied_today=lambda i: False) -> None:
    """n active learners with a reminder at `slot` (20:00), some of them studied today."""
    today = slot.astimezone(schedule.VN).date().isoformat()
    async with sessions() as s, s.begin():
        s.add_all(
            Learner(
                channel="zalo",
                channel_user_id=str(i),
                status=LearnerStatus.active,
                group_code="dan",
                reminder_time="20:00",
                next_reminder_at=slot,
                last_study_on=today if studied_today(i) else None,
            )
            for i in range(n)
        )


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_two_schedulers_on_one_postgres_queue_each_reminder_once(db_url, sessions, catalog):
    slot = vn(26, 20)
    await due_at(sessions, slot, 600)
    other = db.make_engine(db_url)  # a second process's own connection pool
    try:
        second = db.make_sessionmaker(other)

        async def scheduler(sm):
            total = 0
            while n := await reminders.tick(sm, catalog, slot, batch=50):
                total += n
            return total

        counts = await asyncio.gather(scheduler(sessions), scheduler(second))
    finally:
        await other.dispose()
    rows = await queued(sessions)
    assert sum(counts) == len(rows) == 600
    assert len({r.learner_id for r in rows}) == 600
    assert all(c > 0 for c in counts)  # both did part of the work


async def test_a_backlog_drains_in_two_lanes_on_postgres_each_reminder_once(
    sessions, catalog, monkeypatch
):
    """A backlog at the evening's slot: Postgres runs two batches at once, SQLite one;
    either way every due learner is claimed once and gets one reminder, and the ones who
    studied today get none."""
    slot = vn(26, 20)
    await due_at(sessions, slot, 700, studied_today=lambda i: i % 10 == 0)
    in_flight, most = 0, 0
    real_batch = reminders.tick_batch

    async def counted(*args, **kwargs):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            return await real_batch(*args, **kwargs)
        finally:
            in_flight -= 1

    monkeypatch.setattr(reminders, "tick_batch", counted)
    result = await reminders.drain(sessions, catalog, lambda: slot, batch=50)
    rows = await queued(sessions)
    assert result == reminders.Batch(700, 630)
    assert len(rows) == len({r.learner_id for r in rows}) == 630
    pg = sessions.kw["bind"].dialect.name == "postgresql"
    assert most == (reminders.LANES_POSTGRES if pg else 1)
    # Nothing is left due at the slot: a second drain claims nobody.
    assert await reminders.drain(sessions, catalog, lambda: slot) == reminders.Batch(0, 0)


async def test_the_worker_goes_on_after_a_batch_that_queues_nothing(sessions, catalog):
    """A whole batch of learners who studied today queues nothing; the learners due after
    them still get their reminders in the same worker tick."""
    from bot.config import Settings
    from bot.process.worker import Worker

    today = vn(26, 20).astimezone(schedule.VN).date().isoformat()
    async with sessions() as s, s.begin():
        s.add_all(
            Learner(
                channel="zalo",
                channel_user_id=f"studied-{i}",
                status=LearnerStatus.active,
                group_code="dan",
                reminder_time="20:00",
                next_reminder_at=vn(26, 19, 50),  # due first: the whole first batch
                last_study_on=today,
            )
            for i in range(reminders.BATCH)
        )
        s.add_all(
            Learner(
                channel="zalo",
                channel_user_id=f"due-{i}",
                status=LearnerStatus.active,
                group_code="dan",
                reminder_time="20:00",
                next_reminder_at=vn(26, 19, 55),
            )
            for i in range(3)
        )
    tutor = Engine(sessions, catalog, clock=Clock(vn(26, 20)))
    worker = Worker(Settings(_env_file=None), tutor, {})

    assert await worker.tick() == 3
    rows = await queued(sessions)
    assert sorted(r.user_id for r in rows) == ["due-0", "due-1", "due-2"]
    async with sessions() as s:
        left = await s.execute(select(Learner).where(Learner.next_reminder_at <= vn(26, 20)))
        assert left.first() is None  # every due learner was moved on


async def test_one_batch_gives_each_learner_their_own_reminder(sessions, catalog):
    """Learners in the same place share one reminder text; each still gets the text of
    their own next lesson, streak and due reviews."""
    from storage.models import LessonProgress

    slot, yesterday = vn(26, 20), "2026-11-25"
    people = {  # user id: (group, streak, last studied, completed lessons, reviews due/not)
        "a": ("dan", 0, None, [], (0, 0)),
        "b": ("dan", 0, None, [], (0, 0)),
        "streak": ("dan", 4, yesterday, [], (0, 0)),
        "old-streak": ("dan", 4, "2026-11-20", [], (0, 0)),
        "reviews": ("dan", 0, None, ["m1-1"], (2, 1)),
        "cb-done": ("cb", 0, None, [les.id for les in catalog.track("cb")], (0, 0)),
    }
    async with sessions() as s, s.begin():
        for user, (group, streak, studied, done, (due, later)) in people.items():
            ln = Learner(
                channel="zalo",
                channel_user_id=user,
                status=LearnerStatus.active,
                group_code=group,
                reminder_time="20:00",
                next_reminder_at=slot,
                streak=streak,
                last_study_on=studied,
            )
            s.add(ln)
            await s.flush()
            s.add_all(
                LessonProgress(learner_id=ln.id, lesson_id=lesson, completed_at=slot)
                for lesson in done
            )
            s.add_all(
                ReviewItem(
                    learner_id=ln.id,
                    lesson_id="m1-1",
                    question_id=f"q{k}",
                    due_at=slot - timedelta(hours=1) if k < due else slot + timedelta(days=1),
                )
                for k in range(due + later)
            )
    assert await tick(sessions, catalog, slot) == len(people)

    rows = {r.user_id: r for r in await queued(sessions)}
    texts = {u: outbox.decode(r.messages)[0].text for u, r in rows.items()}
    labels = {u: [c.label for c in outbox.decode(r.messages)[0].choices] for u, r in rows.items()}
    first = "Bài tiếp theo: 1.1 «AI nói dễ hiểu»"
    assert texts["a"] == texts["b"] == texts["old-streak"]
    assert first in texts["a"] and "chuỗi" not in texts["a"] and "ôn lại" not in texts["a"]
    assert labels["a"] == ["Học ngay", "Đổi giờ nhắc"]
    assert "Bạn đang có chuỗi 4 ngày học liên tiếp" in texts["streak"] and first in texts["streak"]
    second = catalog.lessons["m1-2"]
    assert f"Bài tiếp theo: 1.2 «{second.title}»" in texts["reviews"]
    assert "Có 2 câu cần ôn lại." in texts["reviews"]
    assert labels["reviews"] == ["Học ngay", "Ôn 2 câu", "Đổi giờ nhắc"]
    assert texts["cb-done"] == "🔔 Đến giờ học rồi!"  # the whole track done: no next lesson
    for row in rows.values():
        assert (row.channel, row.kind, row.status) == ("zalo", "reminder", "pending")
        assert row.dedup_key == f"rem:{row.learner_id}:202611261300"  # 20:00 in Vietnam
        assert row.next_attempt_at == row.created_at == slot


async def test_a_slot_queued_again_is_skipped_by_its_dedup_key(lan, sessions, catalog):
    await with_reminder(lan)
    assert await tick(sessions, catalog, vn(26, 20)) == 1
    # As if another scheduler had seen the same slot: the learner is due at it again.
    async with sessions() as s, s.begin():
        row = (await s.execute(select(Learner))).scalar_one()
        row.next_reminder_at, row.reminders_ignored = vn(26, 20), 0
    assert await tick(sessions, catalog, vn(26, 20, 1)) == 0
    [row] = await queued(sessions)
    assert row.dedup_key == f"rem:{row.learner_id}:202611261300"
    assert (await learner(sessions)).next_reminder_at == vn(27, 20)
