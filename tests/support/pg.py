"""Throwaway Postgres databases: made for a test run (or one test, or a benchmark),
migrated to head or left empty, dropped at the end. The server comes from
TEST_DATABASE_URL (the `postgres` database on 127.0.0.1 by default)."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from storage import db

PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
UNREACHABLE = (OSError, asyncpg.PostgresError, TimeoutError)


def base_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)


def admin_dsn(url: str) -> str:
    """asyncpg's DSN for the database named in a SQLAlchemy URL (to CREATE/DROP others)."""
    u = make_url(url)
    auth = u.username or "postgres"
    if u.password:
        auth += f":{u.password}"
    return (
        f"postgresql://{auth}@{u.host or '127.0.0.1'}:{u.port or 5432}/{u.database or 'postgres'}"
    )


async def _admin(base: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_dsn(base), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database(base: str, prefix: str, migrate: bool = True) -> str:
    """A new database on base's server; its URL. Migrated to head unless migrate=False."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    if migrate:
        engine = db.make_engine(url)
        try:
            await db.upgrade(engine)
        finally:
            await engine.dispose()
    return url


async def drop_database(base: str, url: str) -> None:
    await _admin(base, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@asynccontextmanager
async def throwaway_database(base: str, prefix: str, migrate: bool = True) -> AsyncIterator[str]:
    url = await create_database(base, prefix, migrate)
    try:
        yield url
    finally:
        await drop_database(base, url)


def database_for_tests(prefix: str, migrate: bool = True) -> Iterator[str]:
    """The body of a (sync) fixture: yields a throwaway database's URL. Postgres
    unreachable: the test skips with the reason, or fails under CI=true."""
    base = base_url()
    try:
        url = asyncio.run(create_database(base, prefix, migrate))
    except UNREACHABLE as e:
        reason = f"Postgres unreachable at {make_url(base).host}:{make_url(base).port}: {e!r}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: Postgres tests are required)")
        pytest.skip(reason)
    try:
        yield url
    finally:
        asyncio.run(drop_database(base, url))


async def empty_tables(engine: AsyncEngine) -> None:
    """Every table of the models emptied, ids restarted (a shared database between tests)."""
    async with engine.begin() as conn:
        tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
