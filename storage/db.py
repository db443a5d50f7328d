"""The database engine (SQLite file or Postgres) and migrations."""

import collections
import sqlite3
from functools import lru_cache
from pathlib import Path
from time import perf_counter
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import event, pool, text
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Connection, CursorResult, Result, make_url
from sqlalchemy.exc import InvalidatePoolError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# Postgres advisory lock held while migrating: processes starting together (serve and
# worker replicas) migrate one after the other, the later ones finding nothing to do.
MIGRATION_LOCK_KEY = 0x686F636169_0002


# Connections one process keeps open to Postgres, and how many more it may open under a
# burst. SQLAlchemy's default (5) was too few for a webhook answering dozens of updates
# at once: connections beyond it were closed on return and opened again for the next
# update, which cost a quarter of the engine's time in the webhook benchmark
# (docs/PERFORMANCE.md). 4 processes x 30 stays under Postgres' default 100 connections.
PG_POOL_SIZE = 20
PG_MAX_OVERFLOW = 10


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched. Session.execute is typed as returning a
    Result; for those statements it is a CursorResult, which has the count."""
    return cast(CursorResult[Any], result).rowcount


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        db_path = make_url(url).database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=not echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: object) -> None:
            _sqlite_pragmas(dbapi_conn, SQLITE_BUSY_TIMEOUT_MS)

        return engine
    # hide_parameters: an error message never carries row values (names, message text)
    # into the logs; SQL_ECHO shows them, for debugging only.
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=not echo,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
    )

    # Instead of pool_pre_ping, whose ping is three round trips (BEGIN, ";", ROLLBACK) on
    # every checkout (docs/PERFORMANCE.md, webhook): a connection the server closed (a
    # restart, an idle timeout, a reset) is known to asyncpg already, so it is dropped at
    # checkout with every older one. One that died silently fails its first statement,
    # invalidated; the engine runs its transaction again once (bot/engine.py) and the
    # others retry as they do for any outage.
    @event.listens_for(engine.sync_engine, "checkout")
    def _closed_check(dbapi_conn: Any, _record: object, _proxy: object) -> None:
        if dbapi_conn.driver_connection.is_closed():
            raise InvalidatePoolError("connection closed by the server")

    return engine


def _sqlite_pragmas(dbapi_conn: Any, busy_timeout_ms: int) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


# --- SQLite on the event loop's thread ----------------------------------------------------
#
# aiosqlite runs every call (cursor, execute, fetch, close, commit) on a thread of its own,
# and the hand-overs cost more than the statements: an update through the engine took
# 3.0 ms of CPU that way and 2.3 ms with the calls made directly (docs/PERFORMANCE.md,
# webhook). make_inline_engine() gives the engine's transactions, point reads and writes
# by index, a connection called on the loop's own thread, with two guards so that it
# never holds the loop up for long:
# - no busy wait: busy_timeout 0, so a write lock held by another connection (the
#   worker, the dashboard, a threaded transaction) fails the statement at once;
# - no long statement: a progress handler interrupts one that runs over
#   INLINE_STATEMENT_SECONDS (a staff report over every learner).
# Either way gave_way(error) is True and the caller runs the transaction again on the
# threaded engine, which waits off the loop. One connection: the process's inline
# transactions take turns at the pool.

INLINE_STATEMENT_SECONDS = 0.02
_PROGRESS_EVERY = 1000  # SQLite VM instructions between checks of the clock
_SQLITE_BUSY, _SQLITE_INTERRUPT = 5, 9  # primary result codes (extended ones: & 0xFF)


async def _no_wait() -> None:
    return None


class _InlineCursor:
    """A sqlite3 cursor as SQLAlchemy's asyncio layer expects one: rows fetched at
    execute, as its aiosqlite adapter does."""

    __slots__ = ("_conn", "_cursor", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, conn: "_InlineConnection"):
        self._conn = conn
        self._cursor = conn.raw.cursor()
        self._rows: collections.deque = collections.deque()
        self.arraysize = 1
        self.description: Any = None
        self.rowcount: int = -1
        self.lastrowid: int | None = None

    def execute(self, operation: str, parameters: Any = ()) -> None:
        # AsyncConnection.execute insists on one await per statement; a no-op gives it
        # that without leaving this thread.
        await_(_no_wait())
        self._conn.deadline = perf_counter() + INLINE_STATEMENT_SECONDS
        cur = self._cursor
        cur.execute(operation, parameters)
        self.description = cur.description
        self._rows = collections.deque(cur.fetchall() if cur.description else ())
        self.rowcount, self.lastrowid = cur.rowcount, cur.lastrowid

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        await_(_no_wait())
        self._conn.deadline = perf_counter() + INLINE_STATEMENT_SECONDS
        cur = self._cursor
        cur.executemany(operation, seq_of_parameters)
        self.description = cur.description
        self.rowcount, self.lastrowid = cur.rowcount, cur.lastrowid

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list:
        n = min(size or self.arraysize, len(self._rows))
        return [self._rows.popleft() for _ in range(n)]

    def fetchall(self) -> list:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def close(self) -> None:
        self._rows.clear()
        self._cursor.close()

    async def _async_soft_close(self) -> None:  # called by SQLAlchemy's asyncio results
        return None


class _InlineConnection:
    """A sqlite3 connection whose statements are interrupted past their deadline."""

    def __init__(self, raw: sqlite3.Connection):
        self.raw = raw
        self.deadline = float("inf")  # set before each statement
        raw.set_progress_handler(self._overdue, _PROGRESS_EVERY)

    def _overdue(self) -> bool:
        return perf_counter() > self.deadline

    def cursor(self, server_side: bool = False) -> _InlineCursor:
        return _InlineCursor(self)

    def commit(self) -> None:
        self.deadline = perf_counter() + INLINE_STATEMENT_SECONDS
        self.raw.commit()

    def rollback(self) -> None:
        self.deadline = float("inf")  # a rollback is never cut short
        self.raw.rollback()

    def close(self) -> None:
        self.raw.close()

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self.raw.isolation_level = value

    def __getattr__(self, name: str) -> Any:  # create_function, in_transaction, ...
        return getattr(self.raw, name)


class _InlineDBAPI:
    """sqlite3 with connections wrapped as above."""

    paramstyle = "qmark"

    def __init__(self) -> None:
        for name in dir(sqlite3):
            if not name.startswith("_") and name != "connect":
                setattr(self, name, getattr(sqlite3, name))

    def connect(self, *args: Any, **kwargs: Any) -> _InlineConnection:
        return _InlineConnection(sqlite3.connect(*args, **kwargs))


class SQLiteDialectInline(SQLiteDialect_pysqlite):
    """pysqlite called from the asyncio layer directly (see above)."""

    driver = "hocai_inline"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> Any:
        return _InlineDBAPI()

    @classmethod
    def get_pool_class(cls, url: Any) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool


registry.register("sqlite.hocai_inline", __name__, "SQLiteDialectInline")


def make_inline_engine(engine: AsyncEngine) -> AsyncEngine | None:
    """For a SQLite file engine: an engine on the same file for short transactions run on
    the loop's thread (see above); None for Postgres or a memory database."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    inline = create_async_engine(
        url.set(drivername="sqlite+hocai_inline"),
        echo=engine.echo,
        hide_parameters=not engine.echo,
        # timeout 0: never a busy wait on the loop; the pool's one connection is only
        # ever used by one coroutine at a time, on the loop's thread.
        connect_args={"timeout": 0, "check_same_thread": False},
        pool_size=1,
        max_overflow=0,
    )

    @event.listens_for(inline.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: object) -> None:
        _sqlite_pragmas(dbapi_conn.raw, 0)

    return inline


def gave_way(error: BaseException) -> bool:
    """An inline statement stopped rather than hold up the loop (another connection
    holds the lock, or it ran too long): nothing was committed, run it on the threaded
    engine."""
    if not isinstance(error, OperationalError):
        return False
    code = getattr(error.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (_SQLITE_BUSY, _SQLITE_INTERRUPT)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Apply migrations on this engine's database (creates a fresh one from nothing)."""

    def _run(sync_conn: Connection) -> None:
        cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # released at commit
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        await conn.run_sync(_run)


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _rev(sync_conn: Connection) -> str | None:
        return MigrationContext.configure(sync_conn).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(_rev)


@lru_cache
def script_heads() -> frozenset[str]:
    """The head revision(s) of the migration scripts shipped with this code."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


async def current_heads(engine: AsyncEngine) -> set[str]:
    """The revision(s) the database is at (empty before the first migration). A plain
    query, cheap enough for every readiness probe."""
    from sqlalchemy import inspect

    async with engine.connect() as conn:
        if not await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")):
            return set()  # never migrated
        rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
        return {r[0] for r in rows}
