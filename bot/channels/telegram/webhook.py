"""The webhook endpoint Telegram posts updates to, mounted by the web app.

The update is handled before the response goes back: Telegram then sends this chat's next
update only after this one is done, and a retry after a timeout is dropped as a duplicate.
The answers (401, 400, 503, 200) are the shared contract of bot.channels.base.webhook; a
200 may carry one Bot API method call in its body, which Telegram runs (a button press's
answerCallbackQuery: bot.channels.telegram.handler.Spinner).
"""

import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.types import Update
from fastapi import APIRouter
from pydantic import ValidationError

from bot.channels import base
from bot.channels.telegram.constants import CHANNEL, SECRET_HEADER, WEBHOOK_PATH

log = logging.getLogger("hocai.telegram")


def make_router(
    secret: str, bot: Bot, handle: Callable[[Update], Awaitable[dict | None]]
) -> APIRouter:
    async def handle_body(body: dict) -> dict | None:
        try:
            update = Update.model_validate(body, context={"bot": bot})
        except (ValueError, ValidationError, RecursionError):
            raise base.BadBody("not an update") from None
        return await handle(update)  # raises Unavailable only

    return base.secret_router(
        WEBHOOK_PATH,
        channel=CHANNEL,
        header=SECRET_HEADER,
        secret=secret,
        handle=handle_body,
        logger=log,
    )
