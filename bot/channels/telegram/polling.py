"""Long polling with getUpdates: for development and small deployments.

The offset moves past a batch only after it is handled; after a crash the batch comes
again and the database drops what was already done. If the database is unreachable
(Unavailable), the offset stays where it is and the batch is fetched again after a
back-off: nothing is skipped, what was done is dropped as a duplicate. Chats in a batch
are handled in parallel, each chat's updates in order. A batch being handled when the
loop is cancelled (shutdown) runs to its end in `inflight`, for the service to wait for:
no learner is left with half an answer.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import TelegramConflictError, TelegramRetryAfter
from aiogram.methods import GetUpdates
from aiogram.types import Update

from bot.channels.telegram.constants import ALLOWED_UPDATES, GET_UPDATES_LIMIT, POLL_TIMEOUT_SECONDS
from bot.channels.telegram.handler import chat_of
from bot.failures import Unavailable

log = logging.getLogger("hocai.telegram")

BACKOFF_FIRST = 1.0  # seconds after a failed getUpdates; doubles up to BACKOFF_MAX
BACKOFF_MAX = 60.0


async def poll(
    bot: Bot,
    handle: Callable[[Update], Awaitable[None]],
    inflight: set[asyncio.Task] | None = None,
) -> None:
    """Fetch and handle updates until cancelled. Errors are logged and waited out."""
    offset: int | None = None
    delay = BACKOFF_FIRST
    # The HTTP timeout must outlast the long poll itself.
    request_timeout = POLL_TIMEOUT_SECONDS + int(bot.session.timeout or 0) + 5
    while True:
        method = GetUpdates(
            offset=offset,
            limit=GET_UPDATES_LIMIT,
            timeout=POLL_TIMEOUT_SECONDS,
            allowed_updates=ALLOWED_UPDATES,
        )
        try:
            updates = await bot(method, request_timeout=request_timeout)
        except TelegramRetryAfter as e:
            log.warning("getUpdates: 429, retrying after %ss", e.retry_after)
            await asyncio.sleep(e.retry_after)
            continue
        except TelegramConflictError as e:
            log.error(
                "getUpdates: %s (a webhook is set or another instance polls; "
                "`hocai telegram delete-webhook` removes the webhook)",
                e.message,
            )
            wait, delay = delay, min(delay * 2, BACKOFF_MAX)
        except Exception as e:  # network, 5xx, bad token: keep trying, more slowly
            log.error("getUpdates failed: %s: %s", type(e).__name__, e)
            wait, delay = delay, min(delay * 2, BACKOFF_MAX)
        else:
            if updates:
                batch = asyncio.ensure_future(handle_batch(updates, handle))
                if inflight is not None:
                    inflight.add(batch)
                    batch.add_done_callback(inflight.discard)
                try:
                    await asyncio.shield(batch)
                except Unavailable as e:
                    log.warning("database unavailable (%s): the batch comes again", e)
                    wait, delay = delay, min(delay * 2, BACKOFF_MAX)
                    await asyncio.sleep(wait)
                    continue
                offset = updates[-1].update_id + 1
            delay = BACKOFF_FIRST
            continue
        await asyncio.sleep(wait)


async def handle_batch(updates: list[Update], handle: Callable[[Update], Awaitable[None]]) -> None:
    by_chat: dict[int | None, list[Update]] = {}
    for update in updates:
        by_chat.setdefault(chat_of(update), []).append(update)

    async def in_order(chat_updates: list[Update]) -> None:
        for update in chat_updates:  # an Unavailable stops this chat: later ones wait
            await handle(update)

    results = await asyncio.gather(*(in_order(u) for u in by_chat.values()), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
