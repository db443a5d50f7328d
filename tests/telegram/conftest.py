"""The Telegram channel against the local Bot API stand-in, on SQLite and Postgres."""

import httpx
import pytest

from bot.channels.telegram.service import TelegramService
from bot.config import Settings
from bot.web.app import create_app
from tests.standins.telegram_api import TOKEN, TelegramStandIn
from tests.telegram.tg import TgChat, webhook_delivery

SECRET = "test-secret_0123456789"


def make_settings(api: TelegramStandIn, mode: str = "webhook", **extra) -> Settings:
    values = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base": api.url,
        "telegram_mode": mode,
        "telegram_webhook_secret": SECRET,
        **extra,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def api(telegram_api):
    return telegram_api


@pytest.fixture
async def service(api, tutor):
    svc = TelegramService(make_settings(api), tutor)
    await svc.start()
    yield svc
    await svc.stop()


@pytest.fixture
async def client(service):
    transport = httpx.ASGITransport(app=create_app([service]))
    async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
        yield c


@pytest.fixture
def learner(api, client, catalog) -> TgChat:
    return TgChat(api, webhook_delivery(client, SECRET), catalog)
