"""A thin async client of the Zalo Bot Platform API on httpx (no mature Python SDK exists).

One small method per API call. Every call is `POST {base}/bot<TOKEN>/<method>` with a JSON
body; an answer other than `ok: true` raises ZaloError with the platform's error_code (or
the HTTP status). Retries follow `Retry`: 429, 5xx and network errors are waited out with
doubling delays, a bounded number of times; anything else is raised at once.

The token is part of every URL, so nothing here logs a URL or an httpx exception's text
(only its type), and httpx's own request log is kept at WARNING.
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels.zalo.constants import (
    BACKOFF_FIRST_SECONDS,
    BACKOFF_MAX_SECONDS,
    CHAT_ACTION_TYPING,
    ERROR_NO_UPDATE,
    ERROR_QUOTA_EXCEEDED,
    ERROR_UNAUTHORIZED,
    POLL_HTTP_MARGIN_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    SEND_ATTEMPTS,
)

log = logging.getLogger("hocai.zalo")
logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the token


class ZaloError(Exception):
    """The platform refused a call (code = error_code or HTTP status), or could not be
    reached (code None)."""

    def __init__(self, method: str, code: int | None, description: str):
        super().__init__(f"{method}: {code or 'network'} {description}")
        self.method, self.code, self.description = method, code, description

    @property
    def retryable(self) -> bool:
        return self.code is None or self.code == ERROR_QUOTA_EXCEEDED or self.code >= 500

    @property
    def unauthorized(self) -> bool:
        return self.code == ERROR_UNAUTHORIZED


@dataclass(frozen=True)
class Retry:
    attempts: int = SEND_ATTEMPTS
    first_delay: float = BACKOFF_FIRST_SECONDS
    max_delay: float = BACKOFF_MAX_SECONDS

    async def back_off(
        self, logger: logging.Logger, what: str, why: object, attempt: int, delay: float
    ) -> float:
        """Log the failed attempt, wait `delay`; returns the next (doubled, capped) delay.
        Shared by the Zalo and Zalo OA clients."""
        logger.warning("%s: %s, retry %d/%d in %.1fs", what, why, attempt, self.attempts - 1, delay)
        await asyncio.sleep(delay)
        return min(delay * 2, self.max_delay)


NO_RETRY = Retry(attempts=1)


class ZaloClient:
    def __init__(self, token: str, api_base: str, retry: Retry = Retry()):
        self.api_base = api_base.rstrip("/")
        self.retry = retry
        self.healthy = True  # False after a 401, until a call succeeds again
        self._http = httpx.AsyncClient(
            base_url=f"{self.api_base}/bot{token}/", timeout=REQUEST_TIMEOUT_SECONDS
        )

    async def close(self) -> None:
        await self._http.aclose()

    # --- the API ------------------------------------------------------------------------

    async def get_me(self) -> dict:
        return await self.call("getMe")

    async def get_updates(self, timeout: int) -> list[dict]:
        """Wait up to `timeout` seconds for updates. The platform answers one update at a
        time (a list is accepted too) and 408 when none came. Not retried here: the
        polling loop decides how to wait."""
        try:
            result = await self.call(
                "getUpdates",
                {"timeout": str(timeout)},
                timeout=timeout + POLL_HTTP_MARGIN_SECONDS,
                retry=NO_RETRY,
            )
        except ZaloError as e:
            if e.code == ERROR_NO_UPDATE:
                return []
            raise
        if isinstance(result, list):
            return [u for u in result if isinstance(u, dict)]
        return [result] if isinstance(result, dict) and result else []

    async def set_webhook(self, url: str, secret_token: str) -> dict:
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> dict:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict:
        return await self.call("getWebhookInfo")

    async def send_message(self, chat_id: str, text: str, *, retry: Retry | None = None) -> dict:
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text}, retry=retry)

    async def send_photo(
        self, chat_id: str, photo: str, caption: str | None = None, *, retry: Retry | None = None
    ) -> dict:
        params = {"chat_id": chat_id, "photo": photo}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", params, retry=retry)

    async def send_chat_action(self, chat_id: str, action: str = CHAT_ACTION_TYPING) -> None:
        """Best effort ("typing…" is a courtesy): one attempt, never delays a reply."""
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action}, retry=NO_RETRY)

    # --- transport ----------------------------------------------------------------------

    async def call(
        self,
        method: str,
        params: dict | None = None,
        *,
        timeout: float | None = None,
        retry: Retry | None = None,
    ) -> Any:
        """The call's `result`; retried per `retry` (default: the client's)."""
        retry = retry or self.retry
        delay = retry.first_delay
        for attempt in range(1, retry.attempts + 1):
            try:
                return await self._once(method, params or {}, timeout)
            except ZaloError as e:
                if not e.retryable or attempt == retry.attempts:
                    raise
                delay = await retry.back_off(log, method, e.code or e.description, attempt, delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, params: dict, timeout: float | None) -> Any:
        try:
            response = await self._http.post(
                method, json=params, timeout=timeout or REQUEST_TIMEOUT_SECONDS
            )
        except httpx.TransportError as e:  # connect, read, timeouts: the type only
            raise ZaloError(method, None, type(e).__name__) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        if response.is_success and body.get("ok") is True:
            self.healthy = True
            return body.get("result")
        code = body.get("error_code")
        if not isinstance(code, int) or code <= 0:
            code = response.status_code if not response.is_success else 500
        description = str(body.get("description") or response.reason_phrase or "error")[:200]
        if code == ERROR_UNAUTHORIZED:
            if self.healthy:
                log.error(
                    "Zalo answered 401 Unauthorized to %s: ZALO_BOT_TOKEN is wrong or revoked. "
                    "The Zalo channel is unhealthy until a call succeeds.",
                    method,
                )
            self.healthy = False
        raise ZaloError(method, code, description)
