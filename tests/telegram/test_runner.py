"""`hocai run` with a Telegram token: the web app on a real uvicorn takes the webhook."""

import asyncio
import socket

import httpx

from bot.channels.telegram.service import TelegramService
from bot.process.runner import configured_channels, serve_channels
from tests.telegram.conftest import SECRET, make_settings
from tests.telegram.tg import TgChat


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_run_serves_the_webhook_on_the_configured_host_and_port(api, tutor, catalog):
    settings = make_settings(api, web_host="127.0.0.1", web_port=free_port())
    (service,) = configured_channels(settings, tutor)
    assert isinstance(service, TelegramService)
    server = asyncio.create_task(serve_channels(settings, tutor, [service]))
    base = f"http://127.0.0.1:{settings.web_port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:

            async def up() -> bool:
                try:
                    return (await http.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            for _ in range(500):  # uvicorn is starting
                if await up():
                    break
                await asyncio.sleep(0.02)
            assert await up()

            async def deliver(update: dict) -> None:
                headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                response = await http.post("/telegram/webhook", json=update, headers=headers)
                assert response.status_code == 200

            learner = TgChat(api, deliver, catalog)
            await learner.say("/start")
            learner.expect("Bạn có đồng ý không?")
            response = await http.post("/telegram/webhook", json={})
            assert response.status_code == 401
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
