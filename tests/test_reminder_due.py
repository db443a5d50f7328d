"""The narrow schedule table (reminder_due) stays in step with the learner row whatever
changes it: the chat, the tick, a status change, a raw UPDATE, deleting one's data. On
SQLite and Postgres, against the migrated schema (the triggers come from migration 0013);
on Postgres the completed lessons and review due times on the row too (0015)."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, select, text, update

from bot.engine import Engine
from bot.outreach import reminders
from storage import db
from storage.models import Learner, LearnerStatus, LessonProgress, ReminderDue, ReviewItem
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


# --- the completed lessons and review due times on the schedule row (Postgres, 0015) ----


async def carried(sessions) -> dict[int, tuple[str | None, list[datetime] | None]]:
    async with sessions() as s:
        rows = (await s.execute(select(ReminderDue))).scalars()
        return {r.learner_id: (r.done, r.reviews) for r in rows}


async def from_the_tables(sessions) -> dict[int, tuple[str | None, list[datetime] | None]]:
    """What reminder_due's done and reviews must hold, from lesson_progress and review_item."""
    async with sessions() as s:
        ids = (await s.execute(select(ReminderDue.learner_id))).scalars().all()
        progress = (await s.execute(select(LessonProgress))).scalars().all()
        items = (await s.execute(select(ReviewItem))).scalars().all()
    want = {}
    for i in ids:
        done = sorted(p.lesson_id for p in progress if p.learner_id == i and p.completed_at)
        reviews = sorted(r.due_at for r in items if r.learner_id == i)
        want[i] = (",".join(done), reviews or None)  # none: '' and NULL
    return want


# done and reviews are kept on Postgres only; SQLite's claim reads the tables.
postgres_only = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@postgres_only
async def test_the_schedule_row_carries_completed_lessons_and_reviews(sessions, catalog):
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    track = [les.id for les in catalog.track("dan")]
    lr, lp, ri = Learner.__table__, LessonProgress.__table__, ReviewItem.__table__
    async with sessions() as s, s.begin():
        for uid, due in (("a", now), ("b", None)):
            s.add(
                Learner(
                    channel="telegram",
                    channel_user_id=uid,
                    group_code="dan",
                    status=LearnerStatus.active,
                    reminder_time="19:00",
                    next_reminder_at=due,
                )
            )
    a, b = (ln.id for ln in await learners(sessions))
    assert await carried(sessions) == {a: ("", None)}

    async with sessions() as s, s.begin():  # a lesson done, one started, one of b's done
        await s.execute(
            lp.insert(),
            [
                {"learner_id": a, "lesson_id": track[1], "started_at": now, "completed_at": now},
                {"learner_id": a, "lesson_id": track[0], "started_at": now, "completed_at": None},
                {"learner_id": b, "lesson_id": track[0], "started_at": now, "completed_at": now},
            ],
        )
    assert await carried(sessions) == {a: (track[1], None)}
    async with sessions() as s, s.begin():  # the started one finished; a quiz re-run
        await s.execute(update(lp).where(lp.c.completed_at.is_(None)).values(completed_at=now))
        await s.execute(update(lp).values(attempts=lp.c.attempts + 1))
    assert await carried(sessions) == {a: (",".join(sorted(track[:2])), None)}

    async with sessions() as s, s.begin():
        await s.execute(
            ri.insert(),
            [
                {"learner_id": lid, "lesson_id": track[0], "question_id": q, "due_at": due}
                for lid, q, due in (
                    (a, "q1", now + timedelta(days=1)),
                    (a, "q2", now - timedelta(hours=1)),
                    (b, "q1", now - timedelta(hours=1)),
                )
            ],
        )
    assert (await carried(sessions))[a][1] == [now - timedelta(hours=1), now + timedelta(days=1)]
    # The tick reads them: one review due, the next lesson after the two done.
    assert await reminders.tick(sessions, catalog, now) == 1
    async with sessions() as s:
        body = (await s.execute(text("SELECT messages FROM outbox"))).scalar_one()
    assert "Có 1 câu cần ôn lại." in body[0]["text"]
    assert catalog.lessons[track[2]].title in body[0]["text"]

    async with sessions() as s, s.begin():  # answered: back in three days; one deleted
        await s.execute(
            update(ri).where(ri.c.question_id == "q2").values(due_at=now + timedelta(days=3))
        )
        await s.execute(ri.delete().where(ri.c.question_id == "q1", ri.c.learner_id == a))
        await s.execute(lp.delete().where(lp.c.learner_id == a, lp.c.lesson_id == track[0]))
    assert await carried(sessions) == {a: (track[1], [now + timedelta(days=3)])}

    # b is scheduled after studying: the trigger on learner fills the new row; a leaves
    # the schedule and comes back with what it has now.
    async with sessions() as s, s.begin():
        await s.execute(update(lr).where(lr.c.id == b).values(next_reminder_at=now))
        await s.execute(update(lr).where(lr.c.id == a).values(status="dormant"))
        await s.execute(
            lp.insert().values(learner_id=a, lesson_id=track[3], started_at=now, completed_at=now)
        )
    assert await carried(sessions) == {b: (track[0], [now - timedelta(hours=1)])}
    async with sessions() as s, s.begin():
        await s.execute(update(lr).where(lr.c.id == a).values(status="active"))
    assert await carried(sessions) == await from_the_tables(sessions)
    assert (await carried(sessions))[a][0] == ",".join(sorted([track[1], track[3]]))


@postgres_only
async def test_the_chat_keeps_lessons_and_reviews_on_the_schedule_row(sessions, catalog):
    lan = Chat(Engine(sessions, catalog, rng=random.Random(5), clock=Clock(vn(26, 10))), catalog)
    await with_reminder(lan)
    await lan.say("/hoc")
    await lan.read_lesson()
    await lan.finish_quiz(wrong=2)  # a lesson done, two questions to review
    rows = await carried(sessions)
    assert rows == await from_the_tables(sessions)
    [(done, reviews)] = rows.values()
    assert done and reviews and len(reviews) == 2


async def test_the_migration_fills_lessons_and_reviews_on_postgres(pg_url):
    from tests.support import pg

    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    async with pg.throwaway_database(pg.base_url(), "hocai_test_0015", migrate=False) as url:
        engine = db.make_engine(url)
        try:
            await db.upgrade(engine, "0014")
            async with engine.begin() as conn:
                for uid, due in (("a", now), ("b", None)):
                    await conn.execute(
                        text(
                            "INSERT INTO learner (pid, channel, channel_user_id, reminder_days, "
                            "reminders_ignored, reminder_weekly, streak, best_streak, status, "
                            "state, state_data, choices, created_at, next_reminder_at) VALUES "
                            "(:uid, 'zalo', :uid, '1234567', 0, false, 0, 0, 'active', 'menu', "
                            "'{}', '[]', :now, :due)"
                        ).bindparams(
                            bindparam("now", type_=UTCDateTime()),
                            bindparam("due", type_=UTCDateTime()),
                        ),
                        {"uid": uid, "now": now, "due": due},
                    )
                await conn.execute(
                    text(
                        "INSERT INTO lesson_progress (learner_id, lesson_id, started_at, "
                        "completed_at, attempts) SELECT id, l, now(), now(), 1 FROM learner, "
                        "unnest(ARRAY['L2', 'L1']) l"
                    )
                )
                await conn.execute(
                    text(
                        "INSERT INTO review_item (learner_id, lesson_id, question_id, box, "
                        "due_at) SELECT id, 'L1', 'q1', 1, :now FROM learner"
                    ).bindparams(bindparam("now", type_=UTCDateTime())),
                    {"now": now},
                )
            await db.upgrade(engine)
            sessions = db.make_sessionmaker(engine)
            rows = await carried(sessions)
            assert list(rows.values()) == [("L1,L2", [now])]
            assert rows == await from_the_tables(sessions)
        finally:
            await engine.dispose()


async def test_0015_downgrades_and_upgrades_again(tmp_path, pg_url):
    from alembic import command

    from tests.support import pg

    async def down_and_up(url: str) -> None:
        engine = db.make_engine(url)
        try:
            await db.upgrade(engine)
            head = await db.current_revision(engine)

            def down(conn):
                cfg = db.alembic_config(url)
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0014")

            async with engine.begin() as conn:
                await conn.run_sync(down)
            assert await db.current_revision(engine) == "0014"
            await db.upgrade(engine)
            assert await db.current_revision(engine) == head
        finally:
            await engine.dispose()

    await down_and_up(f"sqlite+aiosqlite:///{tmp_path / 'down.db'}")
    async with pg.throwaway_database(pg.base_url(), "hocai_test_0015", migrate=False) as url:
        await down_and_up(url)


@pytest.mark.parametrize("first", ["schedule", "lesson"])
@postgres_only
async def test_a_lesson_done_while_the_learner_is_scheduled(sessions, catalog, first):
    """Two transactions at once: one schedules the learner (the row is filled from what it
    sees), the other completes a lesson (its trigger updates the row, if it sees one). The
    lesson trigger's lock on the learner makes one wait for the other, whichever goes
    first, so the row ends up with the lesson."""
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    lesson = catalog.track("dan")[0].id
    async with sessions() as s, s.begin():
        s.add(Learner(channel="telegram", channel_user_id="a", status=LearnerStatus.active))
    [a] = (ln.id for ln in await learners(sessions))
    lr, lp = Learner.__table__, LessonProgress.__table__
    schedule = update(lr).where(lr.c.id == a).values(reminder_time="19:00", next_reminder_at=now)
    complete = lp.insert().values(learner_id=a, lesson_id=lesson, started_at=now, completed_at=now)
    statements = [schedule, complete] if first == "schedule" else [complete, schedule]
    async with sessions() as one, sessions() as two:
        await one.begin()
        await one.execute(statements[0])

        async def the_other():
            async with two.begin():
                await two.execute(statements[1])

        other = asyncio.create_task(the_other())
        await asyncio.sleep(0.3)
        assert not other.done()  # waiting for the first transaction's lock on the learner
        await one.commit()
        await asyncio.wait_for(other, 5)
    assert await carried(sessions) == {a: (lesson, None)}
