"""Admin tests: a migrated database (SQLite file and Postgres, from tests/conftest.py),
the web app with the dashboard and API, and helpers to act as learner/staff/admin."""

import httpx
import pytest
from sqlalchemy import text

from bot.admin import tokens
from bot.admin.demo import seed
from bot.config import Settings
from bot.web.app import create_app
from storage.models import StaffRole, Unit
from storage.types import utcnow

ADMIN_TABLES = "staff_role, login_token, web_session, api_token, target_base, assessment"
COMMUNE_A, COMMUNE_B = 1840, 1843  # Phường Đức Xuân, Phường Bắc Kạn
SECRET = "test-secret-key"


@pytest.fixture
async def clean(engine):
    """The shared Postgres database is truncated by tests/conftest.py for its own tables;
    these are the admin side's."""
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {ADMIN_TABLES} RESTART IDENTITY CASCADE"))
    return engine


@pytest.fixture
def settings(db_url):
    return Settings(
        _env_file=None,
        database_url=db_url,
        admin_telegram_ids=["900"],
        public_base_url="http://testserver",
        secret_key=SECRET,
        telegram_bot_username="hocai_test_bot",
    )


@pytest.fixture
def app(sessions, catalog, settings, clean):
    app = create_app([], sessions=sessions, catalog=catalog, settings=settings)
    app.state.admin.reports.ttl = 0  # every request sees the database as it is
    return app


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def add_role(sessions, channel, user_id, role="staff", commune=None, unit_code=None):
    async with sessions() as s, s.begin():
        unit_id, scope = None, "province"
        if unit_code:
            unit = (await s.execute(Unit.__table__.select().where(Unit.code == unit_code))).first()
            unit_id, scope = unit.id, "unit"
        elif commune is not None:
            scope = "commune"
        s.add(
            StaffRole(
                channel=channel,
                channel_user_id=user_id,
                role=role,
                scope=scope,
                commune_code=commune,
                unit_id=unit_id,
            )
        )


async def open_session(client, sessions, settings, channel, user_id) -> str:
    """A dashboard session for this chat (as after a login); returns its CSRF token."""
    async with sessions() as s, s.begin():
        cookie, csrf = await tokens.create_session(s, settings, channel, user_id, utcnow())
    client.cookies.set("hocai_session", cookie)
    return csrf


async def api_token(sessions, channel, user_id) -> str:
    async with sessions() as s, s.begin():
        _id, token = await tokens.create_api_token(s, channel, user_id, "test", utcnow())
    return token


@pytest.fixture
async def demo(engine, catalog, clean):
    """A small demo province: 400 learners, the demo units."""
    return await seed(engine, catalog, 400, seed_value=7)
