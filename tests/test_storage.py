"""The storage layer on SQLite and on Postgres: migrations, constraints, time zones."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from storage import db
from storage.models import Learner, LessonProgress, ProcessedUpdate, QuizAnswer, Unit
from storage.repository import DuplicateUpdate, Repository


def script_head() -> str:
    """The newest migration; there must be exactly one (a straight chain)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    return heads[0]


async def test_migrations_are_at_head_and_match_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    assert await db.current_revision(engine) == script_head()

    def diff(sync_conn):
        return compare_metadata(MigrationContext.configure(sync_conn), SQLModel.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"learner", "unit", "lesson_progress", "quiz_answer", "processed_update"} <= tables
    assert {"audit_log", "assessment", "assessment_answer"} <= tables


async def test_upgrade_twice_is_harmless(engine):
    await db.upgrade(engine)
    assert await db.current_revision(engine) == script_head()


async def test_one_learner_per_chat(sessions):
    async with sessions() as s, s.begin():
        s.add(Learner(channel="zalo", channel_user_id="42"))
        s.add(Learner(channel="telegram", channel_user_id="42"))
    with pytest.raises(IntegrityError):
        async with sessions() as s, s.begin():
            s.add(Learner(channel="zalo", channel_user_id="42"))


async def test_times_come_back_in_utc(sessions):
    hanoi = timezone(timedelta(hours=7))
    at = datetime(2026, 11, 26, 20, 0, tzinfo=hanoi)
    async with sessions() as s, s.begin():
        s.add(Learner(channel="t", channel_user_id="1", consent_at=at))
    async with sessions() as s:
        learner = (await s.execute(select(Learner))).scalar_one()
    assert learner.consent_at == at
    assert learner.consent_at.tzinfo is not None
    assert learner.consent_at.astimezone(UTC).hour == 13


async def test_naive_times_are_refused(sessions):
    with pytest.raises(Exception, match="naive datetime"):
        async with sessions() as s, s.begin():
            s.add(Learner(channel="t", channel_user_id="1", consent_at=datetime(2026, 1, 1)))


async def test_an_update_id_is_claimed_once(sessions):
    async with sessions() as s, s.begin():
        await Repository(s).claim_update("telegram", "7")
    with pytest.raises(DuplicateUpdate):
        async with sessions() as s, s.begin():
            await Repository(s).claim_update("telegram", "7")
    async with sessions() as s, s.begin():
        await Repository(s).claim_update("zalo", "7")  # ids are per channel
    async with sessions() as s:
        assert len((await s.execute(select(ProcessedUpdate))).all()) == 2


async def test_one_answer_per_question_per_attempt(sessions):
    async with sessions() as s, s.begin():
        learner = Learner(channel="t", channel_user_id="1")
        s.add(learner)
        await s.flush()
        s.add(
            QuizAnswer(
                learner_id=learner.id,
                lesson_id="m1-1",
                question_id="q1",
                attempt=1,
                option=0,
                correct=True,
            )
        )
    with pytest.raises(IntegrityError):
        async with sessions() as s, s.begin():
            s.add(
                QuizAnswer(
                    learner_id=learner.id,
                    lesson_id="m1-1",
                    question_id="q1",
                    attempt=1,
                    option=2,
                    correct=False,
                )
            )


async def test_deleting_a_learner_removes_their_rows_only(sessions):
    async with sessions() as s, s.begin():
        a, b = Learner(channel="t", channel_user_id="a"), Learner(channel="t", channel_user_id="b")
        s.add_all([a, b])
        await s.flush()
        for who in (a, b):
            s.add(LessonProgress(learner_id=who.id, lesson_id="m1-1"))
            s.add(
                QuizAnswer(
                    learner_id=who.id,
                    lesson_id="m1-1",
                    question_id="q1",
                    attempt=1,
                    option=0,
                    correct=True,
                )
            )
    async with sessions() as s, s.begin():
        repo = Repository(s)
        counts = await repo.delete_learner(await repo.learner_for("t", "a"))
    assert (counts.pop("quiz_answer"), counts.pop("lesson_progress")) == (1, 1)
    assert set(counts.values()) == {0}
    async with sessions() as s:
        assert [x.channel_user_id for x in (await s.execute(select(Learner))).scalars()] == ["b"]
        assert len((await s.execute(select(QuizAnswer))).all()) == 1


async def test_join_codes_are_case_insensitive(sessions):
    async with sessions() as s, s.begin():
        s.add(Unit(code="SOKHCN", name="Sở Khoa học và Công nghệ"))
    async with sessions() as s:
        repo = Repository(s)
        assert (await repo.unit_by_code(" sokhcn ")).name == "Sở Khoa học và Công nghệ"
        assert await repo.unit_by_code("nope") is None


def test_sqlite_file_uses_wal(tmp_path):
    import asyncio

    from sqlalchemy import text

    async def mode():
        engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'x.db'}")
        async with engine.connect() as conn:
            result = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            timeout = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        await engine.dispose()
        return result, timeout

    assert asyncio.run(mode()) == ("wal", db.SQLITE_BUSY_TIMEOUT_MS)
    assert (tmp_path / "sub" / "x.db").exists()
