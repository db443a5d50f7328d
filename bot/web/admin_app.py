"""Mounts the dashboard, the admin API and their static files on the web app."""

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import tokens
from bot.admin.reports.service import ReportService
from bot.admin.roles import Forbidden
from bot.config import Settings
from bot.web import (
    api,
    broadcast_pages,
    certificate_pages,
    certificates,
    dashboard,
    thidua_pages,
    tutor_pages,
)
from bot.web.admin_common import AdminState, BadRequest
from lessons.loader import Catalog

log = logging.getLogger("hocai.web.admin")
STATIC = Path(__file__).parent / "static"


def mount_admin(
    app: FastAPI,
    sessions: async_sessionmaker[AsyncSession],
    catalog: Catalog,
    settings: Settings,
    *,
    report_ttl: float = 60.0,
) -> None:
    tokens.secret_key(settings)  # warn at start-up, not at the first login
    app.state.admin = AdminState(
        sessions, catalog, settings, ReportService(sessions, catalog, ttl=report_ttl)
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(dashboard.router)
    app.include_router(broadcast_pages.router)
    app.include_router(thidua_pages.router)
    app.include_router(certificate_pages.router)
    app.include_router(certificates.router)  # public: /verify, the files for Zalo
    app.include_router(tutor_pages.router)
    app.include_router(api.router)

    def _is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        log.info("forbidden path=%s perm=%s", request.url.path, exc)
        if _is_api(request):
            return JSONResponse({"detail": "forbidden"}, status_code=403)
        return dashboard.message_page(
            request, "Không có quyền", "Bạn không có quyền xem trang này.", 403
        )

    @app.exception_handler(BadRequest)
    async def _bad(request: Request, exc: BadRequest) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return dashboard.message_page(request, "Yêu cầu không hợp lệ", str(exc), 400)

    @app.exception_handler(dashboard.NotLoggedIn)
    async def _login(request: Request, exc: dashboard.NotLoggedIn) -> Response:
        if request.method == "GET":
            return RedirectResponse("/dang-nhap", status_code=303)
        return dashboard.message_page(
            request, "Chưa đăng nhập", "Phiên đăng nhập đã hết hạn. Bạn đăng nhập lại nhé.", 401
        )
