"""The webhook endpoint Zalo posts events to, mounted by the web app at WEBHOOK_PATH.

The secret header is compared in constant time; a missing or wrong one gets 401 and
nothing is read or processed. The event is handled before the answer goes back, so a
redelivery after a timeout finds its message_id taken and is dropped.
"""

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response

from bot.channels.zalo.constants import SECRET_HEADER, WEBHOOK_PATH

log = logging.getLogger("hocai.zalo")


def make_router(secret: str, handle: Callable[[dict], Awaitable[None]]) -> APIRouter:
    expected = secret.encode()
    router = APIRouter()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def zalo_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook: missing or wrong secret token")
            return Response(status_code=401)
        try:
            body = json.loads(await request.body())
        except ValueError:
            log.warning("webhook: body is not JSON")
            return Response(status_code=400)
        if not isinstance(body, dict):
            return Response(status_code=400)
        await handle(body)  # never raises
        return Response(status_code=200)

    return router
