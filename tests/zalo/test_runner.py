"""`hocai run` with a Zalo token: the web app on a real uvicorn on loopback takes the
webhook, and /healthz reports the channel."""

import asyncio
import socket

import httpx

from bot.channels.zalo.service import ZaloService
from bot.process.runner import configured_channels, serve_channels
from tests.zalo.conftest import SECRET, make_settings
from tests.zalo.zl import SECRET_HEADER, ZaloLearner


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_run_serves_the_zalo_webhook_on_the_configured_host_and_port(api, tutor, catalog):
    settings = make_settings(api, web_host="127.0.0.1", web_port=free_port())
    (service,) = configured_channels(settings, tutor)
    assert isinstance(service, ZaloService)
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
            assert (await http.get("/healthz")).json()["channels"] == {"zalo": True}

            async def deliver(flat: dict) -> None:
                body = {"ok": True, "result": flat}
                response = await http.post(
                    "/zalo/webhook", json=body, headers={SECRET_HEADER: SECRET}
                )
                assert response.status_code == 200

            learner = ZaloLearner(api, deliver, catalog)
            await learner.say("Chào bạn")
            learner.expect("Bạn có đồng ý không?", "Trả lời 1 hoặc 2.")
            await learner.say("1")
            learner.expect("Bạn thuộc nhóm nào?")
            assert (await http.post("/zalo/webhook", json={})).status_code == 401
    finally:
        server.cancel()
        await asyncio.gather(server, return_exceptions=True)
