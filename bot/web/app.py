"""The FastAPI application: mounts each webhook channel's router, plus /healthz."""

from fastapi import FastAPI

from bot.channels.base import ChannelService


def create_app(channels: list[ChannelService]) -> FastAPI:
    app = FastAPI(title="hocai", docs_url="/docs", redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    for channel in channels:
        router = channel.webhook_router()
        if router is not None:
            app.include_router(router)
    return app
