"""Public certificate pages: /verify/<code> (what the QR opens) and the files Zalo fetches
by URL (/chung-nhan/<file token>.png|pdf).

- Vietnamese, mobile-first, no login. The name is initialled ("N. V. An") unless the
  learner allowed the full name. Unknown code: a 404 page.
- No enumeration: codes carry 80 random bits, and every client IP gets at most
  RATE_LIMIT verify requests per RATE_WINDOW (in-process: each web process counts on its
  own, so N processes allow N times as many; a shared limiter, e.g. at the proxy, is the
  step for many processes: docs/CERTIFICATES.md). File tokens carry 192 bits.
- Revoked files are never served.
"""

import asyncio
import time
from collections import OrderedDict, deque
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from bot.certificates import service
from bot.web.admin_common import state

router = APIRouter(include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
RATE_LIMIT = 30  # requests per client IP per window: a person checking a few certificates
RATE_WINDOW = 60.0  # seconds
MAX_TRACKED_CLIENTS = 50_000  # memory bound: the oldest clients are forgotten first
MEDIA = {"png": "image/png", "pdf": "application/pdf"}


class RateLimiter:
    """A sliding window of request times per client, in this process's memory."""

    def __init__(self, limit: int = RATE_LIMIT, window: float = RATE_WINDOW):
        self.limit, self.window = limit, window
        self._seen: OrderedDict[str, deque] = OrderedDict()

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        times = self._seen.pop(client, None) or deque()
        while times and now - times[0] >= self.window:
            times.popleft()
        allowed = len(times) < self.limit
        if allowed:
            times.append(now)
        self._seen[client] = times  # most recent last
        while len(self._seen) > MAX_TRACKED_CLIENTS:
            self._seen.popitem(last=False)
        return allowed


def limiter(request: Request) -> RateLimiter:
    """This web app's limiter (one per app, made on first use)."""
    found = getattr(request.app.state, "certificate_limiter", None)
    if found is None:
        found = request.app.state.certificate_limiter = RateLimiter()
    return found


def _limited(request: Request) -> HTMLResponse | None:
    client = request.client.host if request.client else "unknown"
    if limiter(request).allow(client):
        return None
    return _page(
        request,
        429,
        status="busy",
        title="Bạn thử lại sau ít phút",
        text="Bạn đã kiểm tra nhiều lần trong thời gian ngắn. Bạn đợi một phút rồi thử lại nhé.",
    )


def _page(request: Request, code: int, **ctx: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, "verify.html", ctx, status_code=code)


@router.get("/verify/{code}", response_class=HTMLResponse)
async def verify(request: Request, code: str) -> Response:
    refused = _limited(request)
    if refused is not None:
        return refused
    st = state(request)
    async with st.sessions() as session:
        cert = await service.by_code(session, code)
    if cert is None:
        return _page(
            request,
            404,
            status="unknown",
            title="Không tìm thấy giấy chứng nhận",
            text="Mã kiểm tra này không có trong hệ thống. Bạn xem lại mã trên giấy, "
            "hoặc quét lại mã QR.",
        )
    tz = ZoneInfo(st.settings.timezone)
    return _page(
        request,
        200,
        status="revoked" if cert.revoked_at else "valid",
        title="Giấy chứng nhận hợp lệ"
        if cert.revoked_at is None
        else "Giấy chứng nhận không còn hiệu lực",
        cert=cert,
        name=service.public_name(cert),
        track=service.track_label(cert.track),
        issued=cert.issued_at.astimezone(tz).strftime("%d/%m/%Y"),
        revoked=cert.revoked_at.astimezone(tz).strftime("%d/%m/%Y") if cert.revoked_at else "",
    )


@router.get("/chung-nhan/{token}.{ext}")
async def certificate_file(request: Request, token: str, ext: str) -> Response:
    # Not rate-limited: the token's 192 bits cannot be enumerated, and Zalo fetches every
    # learner's picture from a few server addresses, which a per-IP limit would block.
    st = state(request)
    async with st.sessions() as session:
        cert = await service.by_file_token(session, token)
    if cert is None or cert.revoked_at is not None or ext not in MEDIA:
        return _page(
            request,
            404,
            status="unknown",
            title="Không tìm thấy tệp",
            text="Đường dẫn này không còn dùng được.",
        )
    tz = ZoneInfo(st.settings.timezone)
    pdf, png = await asyncio.to_thread(service.write_files, cert, st.settings, tz)
    path = png if ext == "png" else pdf
    return FileResponse(
        path,
        media_type=MEDIA[ext],
        filename=f"giay-chung-nhan-{cert.number}.{ext}",
        content_disposition_type="inline",
        headers={"Cache-Control": "private, max-age=3600", "X-Robots-Tag": "noindex"},
    )
