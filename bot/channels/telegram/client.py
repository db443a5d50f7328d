"""The aiogram Bot for the configured token and Bot API server."""

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.config import Settings


def make_bot(settings: Settings) -> Bot:
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    api = TelegramAPIServer.from_base(settings.telegram_api_base)
    # No default parse mode: text is sent exactly as the engine wrote it (see render.py).
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        session=AiohttpSession(api=api),
        default=DefaultBotProperties(),
    )
