"""The runner picks the OA channel from its settings; /healthz reports whether Zalo takes
our token (not before `connect`)."""

import httpx

from bot.channels.zalo_oa.service import ZaloOAService
from bot.process.runner import configured_channels, senders
from bot.web.app import create_app
from tests.zalo_oa.conftest import connect, make_settings


async def health(service) -> dict:
    transport = httpx.ASGITransport(app=create_app([service]))
    async with httpx.AsyncClient(transport=transport, base_url="http://hocai.test") as c:
        return (await c.get("/healthz")).json()["channels"]


async def test_configured_then_connected(api, tutor):
    (service,) = configured_channels(make_settings(api), tutor)
    assert isinstance(service, ZaloOAService) and senders([service]) == {"zalo_oa": service}
    try:
        await service.start()  # no tokens yet: logged, and unhealthy
        assert await health(service) == {"zalo_oa": False}
        await connect(service, api)
        await service.client.get_oa()
        assert await health(service) == {"zalo_oa": True}
    finally:
        await service.stop()


async def test_without_the_secrets_there_is_no_oa_channel(api, tutor):
    settings = make_settings(api, zalo_oa_app_id=None)
    assert configured_channels(settings, tutor) == []
