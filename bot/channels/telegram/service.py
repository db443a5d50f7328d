"""TelegramService: the Telegram channel as the runner sees it (bot.channels.base)."""

import asyncio
import logging

from aiogram.methods import GetMe, GetWebhookInfo, SetMyCommands
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from fastapi import APIRouter

from bot.channels import base
from bot.channels.base import Delivery
from bot.channels.telegram import texts
from bot.channels.telegram.client import make_bot
from bot.channels.telegram.constants import CHANNEL
from bot.channels.telegram.delivery import TelegramDelivery
from bot.channels.telegram.handler import UpdateHandler
from bot.channels.telegram.polling import poll
from bot.channels.telegram.webhook import make_router
from bot.config import Settings
from bot.engine import Engine
from bot.messages import Outbound

log = logging.getLogger("hocai.telegram")

STOP_GRACE_SECONDS = 20.0  # on stop, how long a polled batch being handled may finish


class TelegramService:
    name = CHANNEL

    def __init__(self, settings: Settings, tutor: Engine):
        self.mode = settings.telegram_mode
        self.bot = make_bot(settings)
        # Outbox delivery: a lean sendMessage client of its own (delivery.py says why).
        assert settings.telegram_bot_token is not None  # the runner starts it with a token
        self.delivery = TelegramDelivery(
            settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base
        )
        self.handler = UpdateHandler(tutor, self.bot, self.delivery)
        self._router: APIRouter | None = None
        self._polling: asyncio.Task | None = None
        self._batches: set[asyncio.Task] = set()  # polled updates being handled
        if self.mode == "webhook":
            secret = settings.telegram_webhook_secret
            if secret is None or not secret.get_secret_value():
                # Without a secret anyone could post updates: refuse to start.
                raise ValueError(
                    "TELEGRAM_WEBHOOK_SECRET is required in webhook mode; "
                    "`hocai telegram set-webhook URL` generates one"
                )
            self._router = make_router(
                secret.get_secret_value(), self.bot, self.handler.handle_webhook
            )

    @property
    def healthy(self) -> bool:
        """For /healthz: False after Telegram refused the token, or if polling died."""
        polling_dead = self.mode == "polling" and (self._polling is None or self._polling.done())
        return not self.handler.sender.unauthorized and not polling_dead

    def webhook_router(self) -> APIRouter | None:
        return self._router

    async def deliver(self, user_id: str, messages: list[Outbound]) -> Delivery:
        """Send one queued outbox message (reminders, broadcasts): see delivery.py."""
        return await self.delivery.deliver(user_id, messages)

    async def start(self) -> None:
        me = await self.handler.sender.call(GetMe())
        if me is None:
            log.error("getMe failed: check TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE")
        else:
            self.handler.bot_username = me.username
        commands = [BotCommand(command=c, description=d) for c, d in texts.COMMANDS]
        await self.handler.sender.call(
            SetMyCommands(commands=commands, scope=BotCommandScopeAllPrivateChats())
        )
        if self.mode == "polling":
            self._polling = asyncio.create_task(
                poll(self.bot, self.handler.handle, self._batches), name="telegram-polling"
            )
        else:
            hook = await self.handler.sender.call(GetWebhookInfo())
            if hook is not None and not hook.url:
                log.warning("no webhook registered: run `hocai telegram set-webhook URL`")
        log.info("telegram started mode=%s", self.mode)

    async def stop(self) -> None:
        await base.cancel(self._polling)
        self._polling = None
        if self._batches:  # finish the updates already fetched (their replies included)
            _, late = await asyncio.wait(set(self._batches), timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
        await self.delivery.close()
        await self.bot.session.close()  # waits a moment for TLS connections to close
