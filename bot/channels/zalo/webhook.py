"""The webhook endpoint Zalo posts events to, mounted by the web app at WEBHOOK_PATH.

The secret header is compared in constant time; a missing or wrong one gets 401 and
nothing is read or processed. The event is handled before the answer goes back, so a
redelivery after a timeout finds its message_id taken and is dropped. The answers (401,
400, 503, 200) are the shared contract of bot.channels.base.webhook.
"""

import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter

from bot.channels.base import secret_router
from bot.channels.zalo.constants import CHANNEL, SECRET_HEADER, WEBHOOK_PATH

log = logging.getLogger("hocai.zalo")


def make_router(secret: str, handle: Callable[[dict], Awaitable[None]]) -> APIRouter:
    return secret_router(
        WEBHOOK_PATH,
        channel=CHANNEL,
        header=SECRET_HEADER,
        secret=secret,
        handle=handle,
        logger=log,
    )
