"""The narrow schedule table (reminder_due) stays in step with the learner row whatever
changes it: the chat, the tick, a status change, a raw UPDATE, deleting one's data. On
SQLite and Postgres, against the migrated schema (the triggers come from migration 0013)."""

import random
from datetime import UTC, datetime, timedelta

from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, select, text, update

from bot.engine import Engine
from bot.outreach import reminders
from storage import db
from storage.models import Learner, LearnerStatus, ReminderDue
from storage.types import UTCDateTime
from tests.support.clock import Clock
from tests.test_reminders import vn, with_reminder
from tests.transcript import Chat


async def schedule_rows(sessions) -> dict[int, tuple[datetime, str]]:
    async with sessions() as s:
        rows = (await s.execute(select(ReminderDue))).scalars()
        return {r.learner_id: (r.due_at, r.channel) for r in rows}


async def learners(sessions) -> list[Learner]:
    async with sessions() as s:
        return list((await s.execute(select(Learner).order_by(Learner.id))).scalars())


def expected(rows: list[Learner]) -> dict[int, tuple[datetime, str]]:
    """What reminder_due must hold: the active learners with a next reminder."""
    return {
        ln.id: (ln.next_reminder_at, ln.channel)
        for ln in rows
        if ln.status == LearnerStatus.active and ln.next_reminder_at is not None
    }


async def assert_in_step(sessions) -> None:
    assert await schedule_rows(sessions) == expected(await learners(sessions))


async def test_the_schedule_follows_the_chat_and_the_tick(sessions, catalog):
    tutor = Engine(sessions, catalog, rng=random.Random(5), clock=Clock(vn(26, 10)))
    lan, minh = Chat(tutor, catalog, user_id="lan"), Chat(tutor, catalog, user_id="minh")
    await minh.onboard()
    assert await schedule_rows(sessions) == {}  # no reminder time yet: nothing scheduled

    await with_reminder(lan)  # 20:00 every day
    await minh.say("/nhac")
    await minh.tap("Sáng 7:00")
    await minh.tap("Mỗi ngày")
    rows = await schedule_rows(sessions)
    assert sorted(due for due, _ in rows.values()) == [vn(26, 20), vn(27, 7)]
    await assert_in_step(sessions)

    assert await reminders.tick(sessions, catalog, vn(26, 20)) == 1  # Lan's, moved on
    lan_id = next(ln.id for ln in await learners(sessions) if ln.channel_user_id == "lan")
    assert (await schedule_rows(sessions))[lan_id][0] == vn(27, 20)
    await assert_in_step(sessions)

    await lan.say("/nhac")
    await lan.tap("Tắt nhắc")  # no reminders: no row
    await assert_in_step(sessions)
    assert len(await schedule_rows(sessions)) == 1


async def test_status_changes_and_raw_updates_move_the_schedule(sessions):
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    async with sessions() as s, s.begin():
        for i in range(4):
            s.add(
                Learner(
                    channel="telegram",
                    channel_user_id=str(i),
                    status=LearnerStatus.active,
                    reminder_time="19:00",
                    next_reminder_at=now + timedelta(minutes=i),
                )
            )
    await assert_in_step(sessions)
    assert len(await schedule_rows(sessions)) == 4

    t = Learner.__table__
    async with sessions() as s, s.begin():
        # The ways other code changes a learner: blocked, dormant, reminder off, moved.
        await s.execute(update(t).where(t.c.channel_user_id == "0").values(status="unreachable"))
        await s.execute(update(t).where(t.c.channel_user_id == "1").values(status="dormant"))
        await s.execute(update(t).where(t.c.channel_user_id == "2").values(next_reminder_at=None))
        await s.execute(
            update(t)
            .where(t.c.channel_user_id == "3")
            .values(next_reminder_at=now + timedelta(days=1), channel="zalo")
        )
    await assert_in_step(sessions)
    assert list((await schedule_rows(sessions)).values()) == [(now + timedelta(days=1), "zalo")]

    async with sessions() as s, s.begin():  # they are back
        await s.execute(update(t).values(status="active", next_reminder_at=now))
    await assert_in_step(sessions)
    assert len(await schedule_rows(sessions)) == 4

    # An update that touches neither column leaves the schedule alone.
    async with sessions() as s, s.begin():
        await s.execute(update(t).values(last_active_at=now, streak=3))
    await assert_in_step(sessions)


async def test_deleting_ones_data_removes_the_schedule_row(sessions, catalog):
    lan = Chat(Engine(sessions, catalog, rng=random.Random(5), clock=Clock(vn(26, 10))), catalog)
    await with_reminder(lan)
    assert len(await schedule_rows(sessions)) == 1
    await lan.say("/dulieu")
    await lan.tap("Xóa dữ liệu của tôi")
    await lan.tap("Xóa hết")
    assert await learners(sessions) == []
    assert await schedule_rows(sessions) == {}


async def test_the_migration_schedules_learners_that_already_have_reminders(tmp_path):
    """Upgrading a database that has learners with reminders fills reminder_due."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    before = ScriptDirectory.from_config(db.alembic_config(url)).get_revision("0013").down_revision
    engine = db.make_engine(url)
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    insert = text(
        "INSERT INTO learner (pid, channel, channel_user_id, reminder_days, "
        "reminders_ignored, reminder_weekly, streak, best_streak, status, state, state_data, "
        "choices, created_at, next_reminder_at) VALUES (:pid, 'zalo', :uid, '1234567', 0, 0, "
        "0, 0, :status, 'menu', '{}', '[]', :now, :due)"
    ).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("due", type_=UTCDateTime()))
    try:
        await db.upgrade(engine, before)
        async with engine.begin() as conn:
            for i, (status, due) in enumerate(
                [("active", now), ("active", None), ("dormant", now), ("active", now)]
            ):
                values = {"pid": f"p{i}", "uid": str(i), "status": status, "due": due}
                await conn.execute(insert, {**values, "now": now})
        await db.upgrade(engine)
        sessions = db.make_sessionmaker(engine)
        assert sorted(await schedule_rows(sessions)) == [1, 4]
        await assert_in_step(sessions)
    finally:
        await engine.dispose()
