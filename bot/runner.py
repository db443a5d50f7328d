"""`hocai run`: the real channels when their tokens are configured, else the console chat."""

import logging

from bot.app import open_tutor
from bot.channels.base import ChannelService
from bot.config import Settings
from bot.engine import Tutor

log = logging.getLogger("hocai.runner")


def configured_channels(settings: Settings, tutor: Tutor) -> list[ChannelService]:
    services: list[ChannelService] = []
    if settings.telegram_bot_token:
        from bot.channels.telegram.service import TelegramService

        services.append(TelegramService(settings, tutor))
    if settings.zalo_bot_token:
        from bot.channels.zalo.service import ZaloService

        services.append(ZaloService(settings, tutor))
    return services


async def serve_channels(settings: Settings, tutor: Tutor, services: list[ChannelService]) -> None:
    """Start every channel and serve the web app: webhooks, the admin dashboard and API,
    /healthz (polling channels run their loops beside it)."""
    import uvicorn

    from bot.web.app import create_app

    for service in services:
        await service.start()
    try:
        app = create_app(
            services, sessions=tutor.sessions, catalog=tutor.catalog, settings=settings
        )
        config = uvicorn.Config(
            app, host=settings.web_host, port=settings.web_port, log_level="warning"
        )
        await uvicorn.Server(config).serve()
    finally:
        for service in services:
            await service.stop()


async def run(settings: Settings) -> int:
    async with open_tutor(settings) as tutor:
        services = configured_channels(settings, tutor)
        if not services:
            from bot.channels import console

            await console.run(tutor)
            return 0
        log.info("starting channels: %s", ", ".join(s.name for s in services))
        await serve_channels(settings, tutor, services)
    return 0
