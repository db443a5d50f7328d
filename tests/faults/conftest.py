"""Fault injection: the code under test reaches Postgres through FaultProxy."""

import random

import pytest

from bot.engine import Engine
from storage import db
from tests.faults.proxy import FaultProxy
from tests.support import pg


@pytest.fixture
async def proxy(pg_url):
    p = await FaultProxy.for_url(pg_url).start()
    yield p
    await p.stop()


@pytest.fixture
async def direct(pg_url):
    """Sessions straight to Postgres (the test's own view), tables emptied first."""
    engine = db.make_engine(pg_url)
    await pg.empty_tables(engine)
    yield db.make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def proxied(pg_url, proxy, direct):
    """Sessions of the code under test, through the proxy."""
    engine = db.make_engine(proxy.url(pg_url))
    yield db.make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def faulty_tutor(proxied, catalog):
    return Engine(proxied, catalog, rng=random.Random(7), reply_lease=2.0)
