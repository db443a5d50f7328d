"""The database engine (SQLite file or Postgres) and migrations."""

from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, CursorResult, Result, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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
        def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # hide_parameters: an error message never carries row values (names, message text)
    # into the logs; SQL_ECHO shows them, for debugging only.
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        hide_parameters=not echo,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
    )


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
