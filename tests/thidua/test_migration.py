"""Migration 0009 on a database that already has learners: it stamps the milestones they
had reached (SQLite file; Postgres runs the same statements in test_leaderboard.py)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bot import policy
from storage import db


async def test_upgrade_stamps_existing_learners(tmp_path, catalog):
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await db.upgrade(engine, "0006")
        at = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
        core = policy.core_lessons(catalog)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO learner (id, pid, channel, channel_user_id, group_code, "
                    "reminder_days, reminders_ignored, reminder_weekly, streak, best_streak, "
                    "status, state, state_data, choices, created_at) VALUES "
                    "(1, 'p1', 'telegram', '1', 'dan', '1234567', 0, 0, 0, 0, 'active', "
                    "'menu', '{}', '[]', :at), (2, 'p2', 'telegram', '2', 'cb', '1234567', "
                    "0, 0, 0, 0, 'active', 'menu', '{}', '[]', :at)"
                ),
                {"at": at},
            )
            for i, lesson in enumerate(core):
                await conn.execute(
                    text(
                        "INSERT INTO lesson_progress (learner_id, lesson_id, started_at, "
                        "completed_at, attempts) VALUES (1, :l, :s, :c, 1)"
                    ),
                    {"l": lesson, "s": at, "c": at + timedelta(hours=i)},
                )
            await conn.execute(
                text(
                    "INSERT INTO assessment (learner_id, track, questions, started_at, "
                    "finished_at, score, total, passed) VALUES "
                    "(1, 'dan', '[]', :a, :a, 14, 15, 1), (2, 'dan', '[]', :a, :a, 15, 15, 1)"
                ),
                {"a": at + timedelta(days=2)},
            )
        await db.upgrade(engine)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, first_lesson_at IS NOT NULL, trained_at IS NOT NULL, "
                        "proficient_at IS NOT NULL, reminders_off FROM learner ORDER BY id"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    # Learner 2 passed the "dan" assessment but is a public servant: not their track.
    assert [tuple(r) for r in rows] == [(1, 1, 1, 1, 0), (2, 0, 0, 0, 0)]
