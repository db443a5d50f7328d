"""The FastAPI application: mounts each webhook channel's router, plus the probes and
metrics every process serves:

- /healthz: the process is alive (200), with each channel's `healthy` flag for people;
- /readyz: ready for traffic: the database answers, its migrations are at the code's head,
  and every channel is authenticated; 503 with a JSON body naming what failed;
- /metrics: Prometheus text format (bot/metrics.py).
"""

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.channels.base import ChannelService

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.config import Settings
    from lessons.loader import Catalog

log = logging.getLogger("hocai.web")

READY_TIMEOUT = 2.0  # seconds for each database check of /readyz


async def readiness(
    channels: list[ChannelService], sessions: "async_sessionmaker[AsyncSession] | None"
) -> dict[str, str]:
    """Each check's result: 'ok' or what is wrong."""
    checks: dict[str, str] = {}
    if sessions is not None:
        from storage import db

        engine = sessions.kw["bind"]
        try:

            async def ping() -> None:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))

            await asyncio.wait_for(ping(), READY_TIMEOUT)
            checks["database"] = "ok"
        except Exception as e:  # noqa: BLE001  (any failure: not ready)
            checks["database"] = f"unreachable: {type(e).__name__}"
        if checks["database"] == "ok":
            try:
                current = await asyncio.wait_for(db.current_heads(engine), READY_TIMEOUT)
                expected = db.script_heads()
                checks["migrations"] = (
                    "ok"
                    if current == expected
                    else f"at {','.join(sorted(current)) or 'none'}, "
                    f"code expects {','.join(sorted(expected))}"
                )
            except Exception as e:  # noqa: BLE001
                checks["migrations"] = f"unknown: {type(e).__name__}"
    for c in channels:
        checks[f"channel:{c.name}"] = "ok" if getattr(c, "healthy", True) else "not authenticated"
    return checks


def create_app(
    channels: list[ChannelService],
    *,
    sessions: "async_sessionmaker[AsyncSession] | None" = None,
    catalog: "Catalog | None" = None,
    settings: "Settings | None" = None,
    status: Callable[[], dict] | None = None,
    on_scrape: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """The web app; with `sessions` and `catalog` it also serves the admin dashboard and
    the admin API (bot/web/admin_app.py). `status` adds fields to /healthz (a worker's
    role); `on_scrape` refreshes gauges before /metrics answers (the outbox depth)."""
    app = FastAPI(title="hocai", docs_url="/docs", redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict:
        health = {c.name: bool(getattr(c, "healthy", True)) for c in channels}
        body = {"status": "ok" if all(health.values()) else "degraded", "channels": health}
        return body | (status() if status else {})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await readiness(channels, sessions)
        failed = sorted(k for k, v in checks.items() if v != "ok")
        body = {"status": "ready" if not failed else "not ready", "failed": failed}
        return JSONResponse(body | {"checks": checks}, status_code=503 if failed else 200)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        if on_scrape is not None:
            try:
                await on_scrape()
            except Exception as e:  # noqa: BLE001  (the other metrics still answer)
                log.warning("metrics refresh failed: %s", type(e).__name__)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    webhooks: dict[str, Callable[[Request], Awaitable[Response]]] = {}
    for channel in channels:
        router = channel.webhook_router()
        if router is not None:
            app.include_router(router)
            webhooks |= _plain_posts(router.routes)
    if webhooks:
        app.add_middleware(WebhookFastPath, endpoints=webhooks)
    if sessions is not None and catalog is not None:
        from bot.config import get_settings
        from bot.web.admin_app import mount_admin

        mount_admin(app, sessions, catalog, settings or get_settings())
    return app


def _plain_posts(routes: list) -> dict[str, Callable[[Request], Awaitable[Response]]]:
    """The POST routes whose endpoint takes the Request alone (the webhooks)."""
    found = {}
    for route in routes:
        if isinstance(route, APIRoute) and route.methods == {"POST"}:
            params = list(inspect.signature(route.endpoint).parameters.values())
            if len(params) == 1 and params[0].annotation in (Request, "Request"):
                found[route.path] = route.endpoint
    return found


class WebhookFastPath:
    """A POST to a webhook goes straight to its endpoint, past FastAPI's routing and
    request handling (a sixth of the webhook's CPU per update on top of the endpoint:
    docs/PERFORMANCE.md, webhook); the answers are the endpoint's own, as routed. Sits
    inside the server-error middleware, so a crash still answers 500."""

    def __init__(
        self, app: ASGIApp, endpoints: dict[str, Callable[[Request], Awaitable[Response]]]
    ):
        self.app, self.endpoints = app, endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            endpoint = self.endpoints.get(scope["path"])
            if endpoint is not None:
                response = await endpoint(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
