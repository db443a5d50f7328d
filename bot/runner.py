"""`hocai run`: the real channels when their tokens are configured, else the console chat."""

import logging

from bot.app import open_tutor
from bot.channels.base import ChannelService, Sender
from bot.config import Settings
from bot.engine import Tutor
from bot.worker import Worker

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


def senders(services: list[ChannelService]) -> dict[str, Sender]:
    """The channels that can deliver queued messages (reminders, broadcasts)."""
    return {s.name: s for s in services if hasattr(s, "deliver")}


async def serve_channels(
    settings: Settings, tutor: Tutor, services: list[ChannelService], with_worker: bool = True
) -> None:
    """Start every channel and serve the web app: webhooks, the admin dashboard and API,
    /healthz (polling channels run their loops beside it). With the worker, reminders and
    broadcasts are queued and sent from this process too."""
    import uvicorn

    from bot.web.app import create_app

    for service in services:
        await service.start()
    worker = Worker(settings, tutor, senders(services)) if with_worker else None
    if worker:
        await worker.start()
    try:
        app = create_app(
            services, sessions=tutor.sessions, catalog=tutor.catalog, settings=settings
        )
        config = uvicorn.Config(
            app, host=settings.web_host, port=settings.web_port, log_level="warning"
        )
        await uvicorn.Server(config).serve()
    finally:
        if worker:
            await worker.stop()
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


async def work(settings: Settings) -> int:
    """`hocai worker`: the scheduler tick and the outbox dispatcher, no web server."""
    import asyncio
    import signal

    async with open_tutor(settings) as tutor:
        channel_senders = senders(configured_channels(settings, tutor))
        if not channel_senders:
            log.error("no channel configured: set TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN")
            return 2
        worker = Worker(settings, tutor, channel_senders)
        await worker.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("worker started: %s", ", ".join(channel_senders))
        await stop.wait()
        await worker.stop()
    return 0
