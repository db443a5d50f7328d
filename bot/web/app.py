"""The FastAPI application: mounts each webhook channel's router, plus /healthz (with each
channel's `healthy` flag where it has one)."""

from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.channels.base import ChannelService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.config import Settings
    from lessons.loader import Catalog


def create_app(
    channels: list[ChannelService],
    *,
    sessions: "async_sessionmaker[AsyncSession] | None" = None,
    catalog: "Catalog | None" = None,
    settings: "Settings | None" = None,
) -> FastAPI:
    """The web app; with `sessions` and `catalog` it also serves the admin dashboard and
    the admin API (bot/web/admin_app.py)."""
    app = FastAPI(title="hocai", docs_url="/docs", redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict:
        health = {c.name: bool(getattr(c, "healthy", True)) for c in channels}
        return {"status": "ok" if all(health.values()) else "degraded", "channels": health}

    for channel in channels:
        router = channel.webhook_router()
        if router is not None:
            app.include_router(router)
    if sessions is not None and catalog is not None:
        from bot.config import get_settings
        from bot.web.admin_app import mount_admin

        mount_admin(app, sessions, catalog, settings or get_settings())
    return app
