"""Calls to the Bot API with the error policy: nothing a learner does or Telegram says
stops the process.

- 429: wait retry_after, then retry (bounded).
- network errors, 5xx and non-JSON answers (a proxy's error page): retry with
  exponential back-off (bounded).
- 403 (blocked, deactivated): the chat is reported unreachable; `ChatUnreachable` stops
  the sends that were still queued for it.
- 400 "message is not modified": the message already shows it, so that is success.
- any other refusal: logged and skipped.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod

from bot.channels.base import Delivery
from bot.channels.telegram.constants import (
    ERROR_UNAUTHORIZED,
    NOT_MODIFIED,
    SEND_MESSAGE,
    SERVER_ERRORS,
)
from bot.channels.telegram.delivery import TelegramDelivery, outcome
from bot.messages import Outbound

log = logging.getLogger("hocai.telegram")

MAX_ATTEMPTS = 5  # per call, over 429s and network errors together
BACKOFF_FIRST = 0.5  # seconds; doubles per network failure
BACKOFF_MAX = 8.0


class ChatUnreachable(Exception):
    """Telegram answered 403 for this chat: send nothing more to it."""


class GaveUp(Exception):
    """The call failed every attempt (network, 5xx, 429s): it may succeed later."""


class TelegramSender:
    """Bot API calls for replies, with the policy above; not the dispatcher's Sender
    protocol (bot.channels.base). Text messages go by the outbox's lean JSON client
    (delivery.py: less than half of aiogram's CPU per sendMessage), the rest by aiogram."""

    def __init__(
        self,
        bot: Bot,
        on_unreachable: Callable[[int], Awaitable[None]],
        delivery: TelegramDelivery,
    ):
        self.bot = bot
        self.on_unreachable = on_unreachable
        self.delivery = delivery
        self.unauthorized = False  # Telegram refused the token: the channel is not healthy

    async def send_message(self, chat_id: int, message: Outbound) -> None:
        """Every text chunk of `message` (render.py), as call(..., must=True) would send
        them. Raises ChatUnreachable on 403, GaveUp when every attempt failed."""
        for body in self.delivery.bodies_to(chat_id, message):
            await self._send_body(chat_id, body)

    async def _send_body(self, chat_id: int, body: bytes) -> None:
        delay = BACKOFF_FIRST
        for attempt in range(1, MAX_ATTEMPTS + 1):
            answered = await self.delivery.exchange(body)
            status, answer = (0, None) if isinstance(answered, Delivery) else answered
            result = answered if isinstance(answered, Delivery) else outcome(status, answer)
            if result.status == "sent":
                return
            if result.status == "retry":
                log.warning("%s: 429, retrying after %ss", SEND_MESSAGE, result.retry_after)
                wait = result.retry_after
            elif result.status == "blocked":
                log.info("%s: 403 %s", SEND_MESSAGE, result.error)
                await self.on_unreachable(chat_id)
                raise ChatUnreachable(chat_id)
            elif result.status == "rejected":
                log.warning("%s refused: %s", SEND_MESSAGE, result.error)
                return
            elif status == ERROR_UNAUTHORIZED:
                self.unauthorized = True
                log.error("%s: 401, Telegram refused the token (TELEGRAM_BOT_TOKEN)", SEND_MESSAGE)
                return
            elif isinstance(answer, dict) and status < SERVER_ERRORS:  # 404, 409, 413: logged
                return
            else:  # no answer, a 5xx, an answer that is not JSON: may pass
                log.warning("%s: %s (attempt %d)", SEND_MESSAGE, result.error, attempt)
                wait, delay = delay, min(delay * 2, BACKOFF_MAX)
            if attempt < MAX_ATTEMPTS:
                await asyncio.sleep(wait)
        log.error("%s: giving up after %d attempts", SEND_MESSAGE, MAX_ATTEMPTS)
        raise GaveUp(SEND_MESSAGE)

    async def call(
        self, method: TelegramMethod[Any], chat_id: int | None = None, must: bool = False
    ) -> Any:
        """The method's result, True for a no-op edit, None when it could not be done.
        Raises ChatUnreachable on 403 for `chat_id`; with `must`, GaveUp when every
        attempt failed for reasons that may pass (the reply is then left to the outbox)."""
        name = method.__api_method__
        delay = BACKOFF_FIRST
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await self.bot(method)
            except TelegramEntityTooLarge:  # a network error subclass, but retrying won't help
                log.error("%s: file too large", name)
                return None
            except TelegramRetryAfter as e:
                log.warning("%s: 429, retrying after %ss", name, e.retry_after)
                wait = float(e.retry_after)
            except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as e:
                log.warning("%s: %s (attempt %d)", name, type(e).__name__, attempt)
                wait, delay = delay, min(delay * 2, BACKOFF_MAX)
            except TelegramForbiddenError as e:
                log.info("%s: 403 %s", name, e.message)
                if chat_id is not None:
                    await self.on_unreachable(chat_id)
                    raise ChatUnreachable(chat_id) from e
                return None
            except TelegramUnauthorizedError:
                self.unauthorized = True
                log.error("%s: 401, Telegram refused the token (TELEGRAM_BOT_TOKEN)", name)
                return None
            except TelegramBadRequest as e:
                if NOT_MODIFIED in e.message:
                    return True
                log.warning("%s refused: %s", name, e.message)
                return None
            except TelegramAPIError as e:
                log.error("%s failed: %s %s", name, type(e).__name__, e.message)
                return None
            if attempt < MAX_ATTEMPTS:
                await asyncio.sleep(wait)
        log.error("%s: giving up after %d attempts", name, MAX_ATTEMPTS)
        if must:
            raise GaveUp(name)
        return None
