"""SQLite's engine transactions on the event loop's thread (storage/db.py, make_inline_engine):
the statements run there, and a lock held elsewhere or a long statement never holds the
loop up: the transaction is run again on the threaded engine, once, and nothing is lost."""

import asyncio
import random
import sqlite3
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from bot import metrics
from bot.engine import Engine
from bot.messages import Inbound
from bot.outreach.replies import Sent
from storage import db
from storage.models import OutboxMessage, OutboxStatus, ProcessedUpdate

LONG = (  # well over INLINE_STATEMENT_SECONDS
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 3000000) "
    "SELECT count(*) FROM n"
)


@pytest.fixture
async def sqlite_engine(tmp_path):
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hocai.db'}")
    await db.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def tutor(sqlite_engine, catalog):
    tutor = Engine(db.make_sessionmaker(sqlite_engine), catalog, rng=random.Random(7))
    yield tutor
    await tutor.close()


def fallbacks() -> float:
    return metrics.INLINE_FALLBACKS._value.get()


class HeldLock:
    """Another connection (as the worker process would) in a write transaction, released
    by a timer on the loop after `seconds`: `late` is how long after that it ran (a busy
    wait on the loop's thread would hold it up)."""

    def __init__(self, path: str, seconds: float = 0.3):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")
        loop = asyncio.get_running_loop()
        due = loop.time() + seconds
        self.late: float | None = None

        def release() -> None:
            self.late = loop.time() - due
            self.conn.rollback()

        loop.call_at(due, release)

    def close(self) -> None:
        self.conn.close()


async def test_only_a_sqlite_file_gets_an_inline_engine(tmp_path, engine):
    memory = db.make_engine("sqlite+aiosqlite:///:memory:")
    assert db.make_inline_engine(memory) is None
    await memory.dispose()
    inline = db.make_inline_engine(engine)
    assert (inline is None) == (engine.dialect.name != "sqlite")
    if inline is not None:
        await inline.dispose()


async def test_inline_statements_run_on_the_loop_thread(sqlite_engine):
    inline = db.make_inline_engine(sqlite_engine)
    assert inline is not None
    async with inline.connect() as conn:
        raw = await conn.get_raw_connection()
        raw.driver_connection.create_function("thread_id", 0, threading.get_ident)
        assert (await conn.execute(text("SELECT thread_id()"))).scalar() == threading.get_ident()
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 0
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
    await inline.dispose()


async def test_a_long_inline_statement_gives_way(sqlite_engine):
    inline = db.make_inline_engine(sqlite_engine)
    assert inline is not None
    async with inline.connect() as conn:
        with pytest.raises(OperationalError) as caught:
            await conn.execute(text(LONG))
        assert db.gave_way(caught.value)
        await conn.rollback()
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1  # still usable
    async with sqlite_engine.connect() as conn:  # the threaded engine lets it run
        assert (await conn.execute(text(LONG))).scalar() == 3_000_000
    await inline.dispose()


async def test_an_update_meeting_a_held_lock_is_handled_once_without_blocking_the_loop(
    tutor, sqlite_engine
):
    lock = HeldLock(sqlite_engine.url.database)
    before = fallbacks()
    handled = await tutor.process(Inbound("telegram", "7001", text="/start", update_id="1"), True)
    lock.close()
    assert handled.replies and handled.reply_id is not None
    assert lock.late is not None and lock.late < 1.0  # the loop ran meanwhile
    assert fallbacks() == before + 1
    # The same update again: dropped, on the inline path this time.
    again = await tutor.process(Inbound("telegram", "7001", text="/start", update_id="1"), True)
    assert again.replies == [] and fallbacks() == before + 1
    async with tutor.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar() == 1


async def test_a_reply_mark_meeting_a_held_lock_is_committed(tutor, sqlite_engine):
    handled = await tutor.process(Inbound("telegram", "7002", text="/start", update_id="2"), True)
    assert handled.reply_id is not None and tutor.replies is not None
    lock = HeldLock(sqlite_engine.url.database)
    assert await tutor.replies.mark(handled.reply_id, Sent(), handled.recorded_at)
    lock.close()
    assert lock.late is not None and lock.late < 1.0
    async with tutor.sessions() as s:
        row = await s.get(OutboxMessage, handled.reply_id)
        assert row is not None and row.status == OutboxStatus.sent
