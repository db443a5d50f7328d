"""The webhook endpoint Zalo posts OA events to, at WEBHOOK_PATH.

Zalo signs each event: X-ZEvent-Signature is "mac=" + hex SHA-256 of app id + the raw
body + the event's timestamp + the OA secret key. It is compared in constant time;
without a match nothing is read further (401). Events older than MAX_EVENT_AGE, or from
the future by more than MAX_CLOCK_SKEW, are refused (400): a signed event cannot be
replayed with a new timestamp, and an old one past the de-duplication is refused here.
The event is handled before the answer, as on the other channels, with their contract
(bot/channels/base.py webhook): a bad body 400, the database unreachable 503 (Zalo
delivers it again), handled (a bug included: the learner has the apology) 200.
"""

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from bot.channels.base import BadBody, handled, parse_json, read_text
from bot.channels.zalo_oa.constants import (
    CHANNEL,
    MAX_CLOCK_SKEW,
    MAX_EVENT_AGE,
    SIGNATURE_HEADER,
    SIGNATURE_PREFIX,
    WEBHOOK_PATH,
)
from storage.types import utcnow

log = logging.getLogger("hocai.zalo_oa")


def signature(app_id: str, body: str, timestamp: str, oa_secret_key: str) -> str:
    return hashlib.sha256(f"{app_id}{body}{timestamp}{oa_secret_key}".encode()).hexdigest()


def event_time(timestamp: str) -> datetime | None:
    """Zalo's timestamp: milliseconds since the epoch, as a string."""
    try:
        return datetime.fromtimestamp(int(timestamp) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def make_router(
    app_id: str,
    oa_secret_key: str,
    handle: Callable[[dict], Awaitable[None]],
    clock: Callable[[], datetime] = utcnow,
) -> APIRouter:
    router = APIRouter()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def zalo_oa_webhook(request: Request) -> Response:
        # The signature covers the raw body: read it (size, UTF-8) before anything else,
        # check it, and only then parse (depth, JSON object); a bad body is 400 either way.
        try:
            raw = await read_text(request)
        except BadBody as e:
            log.warning("webhook: bad body (%s)", e)
            return Response(status_code=400)
        given = request.headers.get(SIGNATURE_HEADER, "").strip()
        if given.startswith(SIGNATURE_PREFIX):
            given = given[len(SIGNATURE_PREFIX) :]
        try:
            body = parse_json(raw)
        except BadBody:
            body = None
        timestamp = str(body.get("timestamp", "")) if isinstance(body, dict) else ""
        expected = signature(app_id, raw, timestamp, oa_secret_key)
        if not given or not hmac.compare_digest(given.lower().encode(), expected.encode()):
            log.warning("webhook: missing or wrong signature")
            return Response(status_code=401)
        if body is None:
            log.warning("webhook: bad body (signed, but not a JSON object)")
            return Response(status_code=400)
        at = event_time(timestamp)
        now = clock()
        if at is None or at < now - MAX_EVENT_AGE or at > now + MAX_CLOCK_SKEW:
            log.warning("webhook: stale or unreadable timestamp refused")
            return Response(status_code=400)
        return await handled(lambda: _ready(body), handle, channel=CHANNEL, logger=log)

    return router


async def _ready(body: dict) -> dict:
    return body
