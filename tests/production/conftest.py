"""Fixtures for the production tests: an empty Postgres database per test (the processes
under test migrate it themselves, several at once), the Telegram stand-in, a cluster of
real processes that is always shut down."""

import pytest

from storage import db
from tests.production.cluster import Cluster
from tests.support import pg


@pytest.fixture
def empty_pg():
    """A new, empty (not migrated) Postgres database for this test; dropped after it."""
    yield from pg.database_for_tests("hocai_prod", migrate=False)


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
