"""Bad webhook bodies (deeply nested, huge, not UTF-8, not JSON, not an object) get 400
and one log line, no traceback, on both webhooks; nothing reaches the engine."""

import logging

import httpx
import pytest

from bot.channels.base import MAX_BODY_BYTES
from bot.channels.telegram.service import TelegramService
from bot.web.app import create_app
from tests.telegram import conftest as tgconf
from tests.zalo import conftest as zconf

DEEP = b'{"update_id": 1, "message": ' + b"[" * 3000 + b"]" * 3000 + b"}"
# Just under the limit of brackets per body: deep enough to be looked at, not refused.
BODIES = {
    "deep": DEEP,
    "deep-object": b'{"a": ' * 2500 + b"1" + b"}" * 2500,
    "huge": b'{"update_id": 1, "x": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}',
    "not-utf8": b'{"update_id": 1, "message": {"text": "\xff\xfe\xc3"}}',
    "not-json": b"{update_id: 1",
    "not-object": b"[1, 2, 3]",
    "empty": b"",
}


@pytest.fixture
async def apps(tutor, telegram_api, zalo_api):
    tg = TelegramService(tgconf.make_settings(telegram_api), tutor)
    zalo = zconf.make_service(zalo_api, tutor)
    await tg.start()
    await zalo.start()
    transport = httpx.ASGITransport(app=create_app([tg, zalo]))
    async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
        yield c, telegram_api, zalo_api
    await tg.stop()
    await zalo.stop()


HOOKS = [
    ("/telegram/webhook", "X-Telegram-Bot-Api-Secret-Token", tgconf.SECRET),
    ("/zalo/webhook", "X-Bot-Api-Secret-Token", zconf.SECRET),
]


@pytest.mark.parametrize("name", list(BODIES))
async def test_a_bad_body_is_refused_with_400_and_one_line(apps, name, caplog):
    client, tg_api, z_api = apps
    for path, header, secret in HOOKS:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            response = await client.post(
                path,
                content=BODIES[name],
                headers={header: secret, "content-type": "application/json"},
            )
        assert response.status_code == 400, (path, response.status_code)
        lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(lines) == 1 and "bad body" in lines[0].getMessage(), lines
        assert lines[0].exc_info is None
    sends = [c for c in tg_api.calls if c.method == "sendMessage"]
    assert sends == [] and z_api.sent == []


async def test_a_lying_content_length_is_refused_before_reading(apps):
    client, _, _ = apps
    path, header, secret = HOOKS[0]
    response = await client.post(
        path,
        content=b"{}",
        headers={header: secret, "content-length": str(MAX_BODY_BYTES * 4)},
    )
    assert response.status_code == 400


async def test_a_real_update_with_brackets_in_its_text_still_goes(apps, catalog):
    from tests.telegram.tg import TgChat, webhook_delivery

    client, tg_api, _ = apps
    learner = TgChat(tg_api, webhook_delivery(client, tgconf.SECRET), catalog, chat_id=9400)
    await learner.say("/start " + "[{" * 40)  # brackets inside a string are not nesting
    assert learner.sent
