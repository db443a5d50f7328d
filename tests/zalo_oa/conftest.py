"""The Zalo OA channel against the local OA API stand-in, on SQLite and Postgres."""

from datetime import timedelta

import httpx
import pytest

from bot.channels.zalo.client import Retry
from bot.channels.zalo_oa.client import Tokens
from bot.channels.zalo_oa.service import ZaloOAService
from bot.config import Settings
from bot.web.app import create_app
from storage.types import utcnow
from tests.standins.zalo_oa_api import APP_ID, APP_SECRET, OA_ID, OA_SECRET_KEY, ZaloOAStandIn
from tests.zalo_oa.oa import OALearner

FAST = Retry(attempts=4, first_delay=0.05, max_delay=0.2)  # short, but real, waits


def make_settings(api: ZaloOAStandIn, **extra) -> Settings:
    values = {
        "zalo_oa_app_id": APP_ID,
        "zalo_oa_app_secret": APP_SECRET,
        "zalo_oa_secret_key": OA_SECRET_KEY,
        "zalo_oa_api_base": api.url,
        "zalo_oa_oauth_base": api.url,
        "zalo_oa_redirect_uri": "https://hocai.test/zalo-oa/callback",
        **extra,
    }
    return Settings(_env_file=None, **values)


async def connect(service: ZaloOAService, api: ZaloOAStandIn, lifetime=timedelta(hours=25)):
    """Store tokens as `hocai zalo-oa connect` would."""
    access, refresh = api.issue()
    now = utcnow()
    await service.tokens.save(
        Tokens(access, refresh, now + lifetime, now + timedelta(days=90)), OA_ID
    )


def make_service(api, tutor, **kw) -> ZaloOAService:
    return ZaloOAService(make_settings(api), tutor, retry=FAST, quota_pause=0.1, **kw)


@pytest.fixture
def api(zalo_oa_api):
    return zalo_oa_api


@pytest.fixture
async def service(api, tutor):
    svc = make_service(api, tutor)
    await connect(svc, api)
    await svc.start()
    yield svc
    await svc.stop()


@pytest.fixture
async def client(service):
    transport = httpx.ASGITransport(app=create_app([service]))
    async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
        yield c


@pytest.fixture
def learner(api, client, catalog) -> OALearner:
    return OALearner(api, client, catalog)
