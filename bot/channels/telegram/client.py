"""The aiogram Bot for the configured token and Bot API server."""

from functools import cache

from aiogram import Bot, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods.base import Response

from bot.config import Settings

# The Bot API methods this bot calls (handler, sender, delivery, service, polling, cli).
USED_METHODS = (
    methods.SendMessage,
    methods.SendChatAction,
    methods.AnswerCallbackQuery,
    methods.EditMessageText,
    methods.EditMessageReplyMarkup,
    methods.SendDocument,
    methods.SendPhoto,
    methods.GetMe,
    methods.SetMyCommands,
    methods.GetWebhookInfo,
    methods.SetWebhook,
    methods.DeleteWebhook,
    methods.GetUpdates,
)


@cache
def response_types() -> tuple[type, ...]:
    """aiogram reads every answer as Response[T], a generic pydantic model that pydantic
    caches only weakly: once the garbage collector has taken it, the next call builds it
    again (schema and validator, ~3 ms for Message), which was a fifth of the webhook's
    CPU time (docs/PERFORMANCE.md). Holding them here keeps them built."""
    # A type built at run time: mypy cannot read it as a type argument.
    return tuple(Response[m.__returning__] for m in USED_METHODS)  # type: ignore[name-defined]


def make_bot(settings: Settings) -> Bot:
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    response_types()
    api = TelegramAPIServer.from_base(settings.telegram_api_base)
    # No default parse mode: text is sent exactly as the engine wrote it (see render.py).
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        session=AiohttpSession(api=api),
        default=DefaultBotProperties(),
    )
