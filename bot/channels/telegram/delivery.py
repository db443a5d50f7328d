"""Outbox delivery on Telegram: one attempt, the outcome reported to the dispatcher.

Unlike replies (sender.py waits out a 429 itself), a queued message hands a 429 back so
the dispatcher can pause the whole channel and reschedule it.
"""

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage

from bot.channels.base import Delivery
from bot.channels.telegram.render import render
from bot.messages import Outbound


async def deliver(bot: Bot, user_id: str, messages: list[Outbound]) -> Delivery:
    try:
        for message in messages:
            for chunk in render(message):
                await bot(
                    SendMessage(chat_id=int(user_id), text=chunk.text, reply_markup=chunk.markup)
                )
    except TelegramRetryAfter as e:
        return Delivery("retry", retry_after=float(e.retry_after), error="429")
    except TelegramForbiddenError as e:
        return Delivery("blocked", error=e.message[:200])
    except TelegramBadRequest as e:  # the message itself is wrong: retrying won't help
        return Delivery("rejected", error=e.message[:200])
    except (TelegramNetworkError, TelegramServerError) as e:
        return Delivery("failed", error=type(e).__name__)
    return Delivery("sent")
