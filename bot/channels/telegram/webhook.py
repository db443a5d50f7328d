"""The webhook endpoint Telegram posts updates to, mounted by the web app.

The update is handled before the response goes back: Telegram then sends this chat's next
update only after this one is done, and a retry after a timeout is dropped as a duplicate.
"""

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.types import Update
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from bot.channels.telegram.constants import SECRET_HEADER, WEBHOOK_PATH

log = logging.getLogger("hocai.telegram")


def make_router(secret: str, bot: Bot, handle: Callable[[Update], Awaitable[None]]) -> APIRouter:
    expected = secret.encode()
    router = APIRouter()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook: missing or wrong secret token")
            return Response(status_code=401)
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except (ValueError, ValidationError):
            log.warning("webhook: body is not an update")
            return Response(status_code=400)
        await handle(update)  # never raises
        return Response(status_code=200)

    return router
