"""Real databases for every test: a fresh SQLite file, and a Postgres database made for
this run (dropped at the end). Postgres tests skip with a reason when it is unreachable,
and fail instead when CI=true."""

import asyncio
import os
import random
import uuid

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bot.config import LESSONS_DIR
from bot.engine import Tutor
from lessons.loader import load_or_raise
from storage import db
from tests.transcript import Chat

pytest_plugins = ["tests.support.standins"]  # telegram_api, zalo_api, openai_api, ...

PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _pg_admin_dsn(url: str) -> tuple[str, str]:
    u = make_url(url)
    dsn = f"postgresql://{u.username or 'postgres'}"
    if u.password:
        dsn += f":{u.password}"
    dsn += f"@{u.host or '127.0.0.1'}:{u.port or 5432}/{u.database or 'postgres'}"
    return dsn, url


async def _create_pg_database(base_url: str) -> str:
    dsn, _ = _pg_admin_dsn(base_url)
    name = f"hocai_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    test_url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(test_url)
    await db.upgrade(engine)
    await engine.dispose()
    return test_url


async def _drop_pg_database(base_url: str, test_url: str) -> None:
    dsn, _ = _pg_admin_dsn(base_url)
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(test_url).database}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_url():
    """A Postgres database for this test run, migrated to head."""
    base = os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)
    try:
        url = asyncio.run(_create_pg_database(base))
    except (OSError, asyncpg.PostgresError, TimeoutError) as e:
        reason = f"Postgres unreachable at {make_url(base).host}:{make_url(base).port}: {e!r}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: Postgres tests are required)")
        pytest.skip(reason)
    yield url
    asyncio.run(_drop_pg_database(base, url))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'hocai.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def engine(db_url):
    engine = db.make_engine(db_url)
    if db.is_sqlite(db_url):
        await db.upgrade(engine)
    else:
        async with engine.begin() as conn:
            tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return db.make_sessionmaker(engine)


@pytest.fixture(scope="session")
def catalog():
    return load_or_raise(LESSONS_DIR)


@pytest.fixture
def tutor(sessions, catalog):
    return Tutor(sessions, catalog, rng=random.Random(7))


@pytest.fixture
def chat(tutor, catalog):
    return Chat(tutor, catalog)
