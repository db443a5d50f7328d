"""ZaloOAService: the Zalo OA channel as the runner sees it (ChannelService) and as the
outbox dispatcher sees it (Sender). Webhook only: the OA API has no polling."""

import logging
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter

from bot.channels.base import Delivery
from bot.channels.zalo.client import Retry
from bot.channels.zalo_oa.client import OAClient, OAError, OAuthClient
from bot.channels.zalo_oa.constants import (
    BACKOFF_FIRST_SECONDS,
    BACKOFF_MAX_SECONDS,
    CHANNEL,
    QUOTA_PAUSE_SECONDS,
    SEND_ATTEMPTS,
)
from bot.channels.zalo_oa.handler import EventHandler
from bot.channels.zalo_oa.sender import OASender
from bot.channels.zalo_oa.tokens import TokenStore
from bot.channels.zalo_oa.webhook import make_router
from bot.config import Settings
from bot.engine import Engine
from bot.messages import Outbound
from storage.types import utcnow

log = logging.getLogger("hocai.zalo_oa")

REPLY_RETRY = Retry(SEND_ATTEMPTS, BACKOFF_FIRST_SECONDS, BACKOFF_MAX_SECONDS)


def configured(settings: Settings) -> bool:
    return bool(
        settings.zalo_oa_app_id and settings.zalo_oa_app_secret and settings.zalo_oa_secret_key
    )


def oauth_client(settings: Settings) -> OAuthClient:
    if not (settings.zalo_oa_app_id and settings.zalo_oa_app_secret):
        raise ValueError("ZALO_OA_APP_ID and ZALO_OA_APP_SECRET must be set")
    return OAuthClient(
        settings.zalo_oa_oauth_base,
        settings.zalo_oa_app_id,
        settings.zalo_oa_app_secret.get_secret_value(),
    )


class ZaloOAService:
    name = CHANNEL
    mode = "webhook"

    def __init__(
        self,
        settings: Settings,
        tutor: Engine,
        *,
        retry: Retry | None = None,
        quota_pause: float = QUOTA_PAUSE_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        tokens: TokenStore | None = None,
    ):
        app_id, secret_key = settings.zalo_oa_app_id, settings.zalo_oa_secret_key
        if not (configured(settings) and app_id and secret_key):
            raise ValueError(
                "ZALO_OA_APP_ID, ZALO_OA_APP_SECRET and ZALO_OA_SECRET_KEY are required"
            )
        self.oauth = oauth_client(settings)
        self.tokens = tokens or TokenStore(tutor.sessions, self.oauth)
        self.client = OAClient(
            settings.zalo_oa_api_base, self.tokens.access_token, retry or REPLY_RETRY
        )
        self.sender = OASender(self.client, tutor.sessions, clock, quota_pause)
        self.handler = EventHandler(tutor, self.sender)
        self._router = make_router(
            app_id,
            secret_key.get_secret_value(),
            self.handler.handle,
        )

    @property
    def healthy(self) -> bool:
        """False while Zalo refuses our access token (or none is stored)."""
        return self.client.healthy

    def webhook_router(self) -> APIRouter | None:
        return self._router

    async def deliver(self, user_id: str, messages: list[Outbound]) -> Delivery:
        return await self.sender.deliver(user_id, messages)

    async def start(self) -> None:
        try:
            oa = await self.client.get_oa()
            log.info("zalo oa %s started (webhook)", (oa or {}).get("name") or "-")
        except OAError as e:
            log.error(
                "zalo oa not ready: %s %s; `hocai zalo-oa info` shows why", e.code, e.description
            )

    async def stop(self) -> None:
        await self.client.close()
        await self.oauth.close()
