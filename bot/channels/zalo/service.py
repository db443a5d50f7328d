"""ZaloService: the Zalo channel as the runner sees it (bot.channels.base.ChannelService),
and as the outbox dispatcher sees it (bot.channels.base.Sender)."""

import asyncio
import functools
import logging

from fastapi import APIRouter

from bot.channels import base
from bot.channels.base import Delivery
from bot.channels.inbox import Inbox
from bot.channels.zalo.client import Retry, ZaloClient, ZaloError
from bot.channels.zalo.constants import (
    BACKOFF_FIRST_SECONDS,
    CHANNEL,
    MAX_WEBHOOK_SECRET_CHARS,
    MIN_WEBHOOK_SECRET_CHARS,
    POLL_TIMEOUT_SECONDS,
    QUOTA_PAUSE_SECONDS,
    STOP_GRACE_SECONDS,
)
from bot.channels.zalo.delivery import deliver
from bot.channels.zalo.handler import EventHandler
from bot.channels.zalo.polling import EventRunner, poll
from bot.channels.zalo.webhook import make_router
from bot.config import Settings
from bot.engine import Engine
from bot.messages import Outbound

log = logging.getLogger("hocai.zalo")


class ZaloService:
    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        tutor: Engine,
        *,
        retry: Retry | None = None,
        poll_timeout: int = POLL_TIMEOUT_SECONDS,
        poll_first_delay: float = BACKOFF_FIRST_SECONDS,
        quota_pause: float = QUOTA_PAUSE_SECONDS,
    ):
        if settings.zalo_bot_token is None:
            raise ValueError("ZALO_BOT_TOKEN is not set")
        self.mode = settings.zalo_mode
        secret = ""
        if self.mode == "webhook":
            configured = settings.zalo_webhook_secret
            secret = configured.get_secret_value() if configured else ""
            if not MIN_WEBHOOK_SECRET_CHARS <= len(secret) <= MAX_WEBHOOK_SECRET_CHARS:
                # Without a secret anyone could post events: refuse to start.
                raise ValueError(
                    f"ZALO_WEBHOOK_SECRET ({MIN_WEBHOOK_SECRET_CHARS}-{MAX_WEBHOOK_SECRET_CHARS} "
                    "characters) is required in webhook mode; "
                    "`hocai zalo set-webhook URL` generates one"
                )
        self.client = ZaloClient(
            settings.zalo_bot_token.get_secret_value(), settings.zalo_api_base, retry or Retry()
        )
        self.handler = EventHandler(tutor, self.client)
        self.events = EventRunner(self.handler.handle)
        self.inbox = Inbox(tutor.sessions, CHANNEL) if tutor.sessions is not None else None
        self._poll_args = (poll_timeout, poll_first_delay)
        self._quota_pause = quota_pause
        self._polling: asyncio.Task | None = None
        self._router = make_router(secret, self.handler.handle) if secret else None

    @property
    def healthy(self) -> bool:
        """False after Zalo refused the token (401), or when the polling loop died."""
        polling_dead = self.mode == "polling" and (self._polling is None or self._polling.done())
        return self.client.healthy and not polling_dead

    def webhook_router(self) -> APIRouter | None:
        return self._router

    async def deliver(self, user_id: str, messages: list[Outbound]) -> Delivery:
        """Send one queued outbox message (reminders, broadcasts): see delivery.py."""
        return await deliver(self.client, user_id, messages, self._quota_pause)

    async def start(self) -> None:
        try:
            me = await self.client.get_me()
            log.info("zalo bot %s", (me or {}).get("account_name") or (me or {}).get("id"))
        except ZaloError as e:
            if not e.unauthorized:  # the client already logged a 401 clearly
                log.error(
                    "getMe failed: %s %s; check ZALO_API_BASE", e.code or "network", e.description
                )
        if self.mode == "polling":
            await self._warn_if_webhook_set()
            if self.inbox is not None:  # what a process that died had fetched
                left = await self.inbox.left()
                if left:
                    log.info("handling %d event(s) fetched before a restart", len(left))
                for row_id, body in left:
                    self.events.submit(body, functools.partial(self.inbox.done, row_id))
            timeout, first_delay = self._poll_args
            self._polling = asyncio.create_task(
                poll(self.client, self.events, timeout, first_delay, inbox=self.inbox),
                name="zalo-polling",
            )
        log.info("zalo started mode=%s", self.mode)

    async def _warn_if_webhook_set(self) -> None:
        try:
            info = await self.client.get_webhook_info()
        except ZaloError:
            return
        if isinstance(info, dict) and info.get("url"):
            log.error(
                "a Zalo webhook is set, so getUpdates receives nothing: run "
                "`hocai zalo delete-webhook`, or set ZALO_MODE=webhook"
            )

    async def stop(self) -> None:
        await base.cancel(self._polling)
        self._polling = None
        await self.events.drain(STOP_GRACE_SECONDS)
        await self.client.close()
