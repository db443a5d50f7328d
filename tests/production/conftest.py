"""Fixtures for the production tests: an empty Postgres database per test (the processes
under test migrate it themselves, several at once), the Telegram stand-in, a cluster of
real processes that is always shut down."""

import asyncio
import os
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage import db
from tests.conftest import PG_DEFAULT, _pg_admin_dsn
from tests.production.cluster import Cluster


async def _create(base: str, name: str) -> None:
    dsn, _ = _pg_admin_dsn(base)
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop(base: str, name: str) -> None:
    dsn, _ = _pg_admin_dsn(base)
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def empty_pg():
    """A new, empty (not migrated) Postgres database for this test; dropped after it."""
    base = os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)
    name = f"hocai_prod_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_create(base, name))
    except (OSError, asyncpg.PostgresError, TimeoutError) as e:
        reason = f"Postgres unreachable at {make_url(base).host}:{make_url(base).port}: {e!r}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: Postgres tests are required)")
        pytest.skip(reason)
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_drop(base, name))


@pytest.fixture
async def pg_sessions(empty_pg):
    """Sessions on the test database, for the test's own reads and writes."""
    engine = db.make_engine(empty_pg)
    yield db.make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def api(telegram_api):
    return telegram_api


@pytest.fixture
async def cluster_factory(tmp_path, api):
    """make(database_url, **settings) -> a Cluster whose processes are ended after the
    test (while the stand-in still answers them)."""
    made: list[Cluster] = []

    def make(database_url: str, **common: str) -> Cluster:
        cluster = Cluster(tmp_path, database_url, api.url, **common)
        made.append(cluster)
        return cluster

    try:
        yield make
    finally:
        for cluster in made:
            await cluster.aclose()
