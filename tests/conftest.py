"""Real databases for every test: a fresh SQLite file, and a Postgres database made for
this run (dropped at the end). Postgres tests skip with a reason when it is unreachable,
and fail instead when CI=true."""

import random

import pytest

from bot.config import LESSONS_DIR
from bot.engine import Engine
from lessons.loader import load_or_raise
from storage import db
from tests.support import pg
from tests.transcript import Chat

pytest_plugins = ["tests.support.standins"]  # telegram_api, zalo_api, openai_api, ...


@pytest.fixture(scope="session")
def pg_url():
    """A Postgres database for this test run, migrated to head."""
    yield from pg.database_for_tests("hocai_test")


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
        await pg.empty_tables(engine)
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
    return Engine(sessions, catalog, rng=random.Random(7))


@pytest.fixture
def chat(tutor, catalog):
    return Chat(tutor, catalog)
