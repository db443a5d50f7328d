"""The Zalo channel against the local Bot API stand-in, on SQLite and Postgres."""

import httpx
import pytest

from bot.channels.zalo.client import Retry
from bot.channels.zalo.service import ZaloService
from bot.config import Settings
from bot.web.app import create_app
from tests.standins.zalo_api import TOKEN, ZaloStandIn
from tests.zalo.zl import ZaloLearner, polling_delivery, webhook_delivery

SECRET = "zalo-test-secret_0123456789"
FAST = Retry(attempts=5, first_delay=0.05, max_delay=0.4)  # short, but real, waits


def make_settings(api: ZaloStandIn, mode: str = "webhook", **extra) -> Settings:
    values = {
        "zalo_bot_token": TOKEN,
        "zalo_api_base": api.url,
        "zalo_mode": mode,
        "zalo_webhook_secret": SECRET,
        **extra,
    }
    return Settings(_env_file=None, **values)


def make_service(api: ZaloStandIn, tutor, mode: str = "webhook", **extra) -> ZaloService:
    return ZaloService(
        make_settings(api, mode, **extra),
        tutor,
        retry=FAST,
        poll_timeout=1,
        poll_first_delay=0.05,
        quota_pause=0.1,
    )


@pytest.fixture
def api(zalo_api):
    return zalo_api


@pytest.fixture
async def service(api, tutor):
    svc = make_service(api, tutor)
    await svc.start()
    yield svc
    await svc.stop()


@pytest.fixture
async def client(service):
    transport = httpx.ASGITransport(app=create_app([service]))
    async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
        yield c


@pytest.fixture
def learner(api, client, catalog) -> ZaloLearner:
    return ZaloLearner(api, webhook_delivery(client, SECRET), catalog)


@pytest.fixture
async def polling_service(api, tutor):
    svc = make_service(api, tutor, mode="polling")
    await svc.start()
    yield svc
    await svc.stop()


@pytest.fixture
def polling_learner(api, polling_service, catalog) -> ZaloLearner:
    return ZaloLearner(api, polling_delivery(api, polling_service), catalog)
