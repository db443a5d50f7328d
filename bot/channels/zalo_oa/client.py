"""Thin async clients of the Zalo OA API v3 and of OAuth v4, on httpx.

One small method per call. An OA call succeeds only with HTTP 200 *and* `error: 0` in
the body; anything else raises OAError, whose `kind` says what to do about it (see
constants.py for the codes). Retries follow the Bot Platform adapter's `Retry`: quota,
5xx and network errors are waited out with doubling delays; a token error gets one fresh
token (TokenStore decides whether to refresh) and one more try.

Tokens and secrets travel in headers and bodies, never in a URL, and nothing here logs
them or an httpx exception's text (only its type).
"""

import logging
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from bot.channels.zalo.client import Retry
from bot.channels.zalo_oa.constants import (
    ACCESS_TOKEN_LIFETIME,
    APP_SECRET_HEADER,
    ERRORS_OUTSIDE_WINDOW,
    ERRORS_QUOTA,
    ERRORS_TOKEN,
    ERRORS_UNREACHABLE,
    PATH_ACCESS_TOKEN,
    PATH_GET_OA,
    PATH_PERMISSION,
    PATH_SEND_CS,
    PATH_UPLOAD_FILE,
    PATH_UPLOAD_IMAGE,
    REFRESH_TOKEN_LIFETIME,
    REQUEST_TIMEOUT_SECONDS,
    TOKEN_HEADER,
)
from storage.types import utcnow

log = logging.getLogger("hocai.zalo_oa")
logging.getLogger("httpx").setLevel(logging.WARNING)

NO_RETRY = Retry(attempts=1)
Kind = Literal["token", "quota", "window", "unreachable", "network", "server", "refused"]


class OAError(Exception):
    """The OA API or OAuth refused a call (code: Zalo's `error`, or the HTTP status for
    a non-200 answer), or could not be reached (code None)."""

    def __init__(self, call: str, code: int | None, description: str, http_status: int = 200):
        super().__init__(f"{call}: {code if code is not None else 'network'} {description}")
        self.call, self.code, self.description, self.http_status = (
            call,
            code,
            description,
            http_status,
        )

    @property
    def kind(self) -> Kind:
        if self.code is None:
            return "network"
        if self.http_status >= 500:
            return "server"
        if self.http_status == 429 or self.code in ERRORS_QUOTA:
            return "quota"
        if self.http_status == 401 or self.code in ERRORS_TOKEN:
            return "token"
        if self.code in ERRORS_OUTSIDE_WINDOW:
            return "window"
        if self.code in ERRORS_UNREACHABLE:
            return "unreachable"
        return "refused"

    @property
    def retryable(self) -> bool:
        return self.kind in ("network", "server", "quota")


class NotConnected(OAError):
    """No tokens stored yet, or the refresh token is spent or expired: the OA must be
    connected again (`hocai zalo-oa connect`)."""

    def __init__(self, description: str):
        super().__init__("tokens", -1, description)

    @property
    def kind(self) -> Kind:
        return "token"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime


# (rejected access token or None) -> a usable access token
AccessToken = Callable[[str | None], Awaitable[str]]


def _body(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class OAClient:
    """The OA API: `access_token(rejected)` hands out the current access token."""

    def __init__(self, api_base: str, access_token: AccessToken, retry: Retry | None = None):
        self.api_base = api_base.rstrip("/")
        self.retry = retry or Retry()
        self.healthy = True  # False while tokens are refused, until a call succeeds
        self._token = access_token
        self._http = httpx.AsyncClient(base_url=self.api_base, timeout=REQUEST_TIMEOUT_SECONDS)

    async def close(self) -> None:
        await self._http.aclose()

    # --- the API ------------------------------------------------------------------------

    async def send_message(self, user_id: str, message: dict, *, retry: Retry | None = None):
        """A consultation message (text, buttons, media or file) to one user."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        return await self.call("POST", PATH_SEND_CS, json=body, retry=retry)

    async def upload_image(self, path: Path, *, retry: Retry | None = None) -> str:
        data = await self._upload(PATH_UPLOAD_IMAGE, path, retry)
        return str(data.get("attachment_id") or "")

    async def upload_file(self, path: Path, *, retry: Retry | None = None) -> str:
        data = await self._upload(PATH_UPLOAD_FILE, path, retry)
        return str(data.get("token") or "")

    async def get_oa(self) -> dict:
        return await self.call("GET", PATH_GET_OA)

    async def _upload(self, path_api: str, path: Path, retry: Retry | None) -> dict:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files = {"file": (path.name, path.read_bytes(), kind)}
        return await self.call("POST", path_api, files=files, retry=retry)

    # --- transport ----------------------------------------------------------------------

    async def call(
        self,
        verb: str,
        path: str,
        *,
        json: dict | None = None,
        files: dict | None = None,
        retry: Retry | None = None,
    ) -> Any:
        """The call's `data`, retried per `retry`; one more try with a fresh token."""
        retry = retry or self.retry
        delay = retry.first_delay
        rejected: str | None = None
        token_retried = False
        attempt = 0
        while True:
            attempt += 1
            try:
                token = await self._token(rejected)
            except NotConnected as e:
                self._mark_unhealthy(e)
                raise
            try:
                return await self._once(verb, path, token, json, files)
            except OAError as e:
                if e.kind == "token" and not token_retried:
                    self._mark_unhealthy(e)
                    rejected, token_retried = token, True
                    attempt -= 1  # a fresh token is no retry of a failure
                    continue
                if e.kind == "token":
                    self._mark_unhealthy(e)
                if not e.retryable or attempt >= retry.attempts:
                    raise
                why = e.code if e.code is not None else e.description
                delay = await retry.back_off(log, path, why, attempt, delay)

    def _mark_unhealthy(self, e: OAError) -> None:
        if self.healthy:
            log.error("Zalo OA access token refused or missing: %s", e.description)
        self.healthy = False

    async def _once(self, verb, path, token, json, files) -> Any:
        try:
            response = await self._http.request(
                verb, path, json=json, files=files, headers={TOKEN_HEADER: token}
            )
        except httpx.TransportError as e:
            raise OAError(path, None, type(e).__name__) from None
        body = _body(response)
        code = body.get("error")
        if response.status_code == 200 and code == 0:
            self.healthy = True
            return body.get("data") if isinstance(body.get("data"), dict) else {}
        description = str(body.get("message") or response.reason_phrase or "error")[:200]
        if response.status_code != 200 or not isinstance(code, int):
            raise OAError(path, response.status_code, description, response.status_code)
        raise OAError(path, code, description)


class OAuthClient:
    """OAuth v4 for an OA: the permission page (PKCE) and the token endpoint."""

    def __init__(self, oauth_base: str, app_id: str, app_secret: str):
        self.oauth_base = oauth_base.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self._http = httpx.AsyncClient(base_url=self.oauth_base, timeout=REQUEST_TIMEOUT_SECONDS)

    async def close(self) -> None:
        await self._http.aclose()

    def permission_url(self, redirect_uri: str, code_challenge: str, state: str) -> str:
        query = {
            "app_id": self.app_id,
            "redirect_uri": redirect_uri,
            "code_challenge": code_challenge,
            "state": state,
        }
        return f"{self.oauth_base}{PATH_PERMISSION}?{urlencode(query)}"

    async def exchange_code(self, code: str, code_verifier: str) -> Tokens:
        return await self._token(
            {"code": code, "grant_type": "authorization_code", "code_verifier": code_verifier}
        )

    async def refresh(self, refresh_token: str) -> Tokens:
        """Spends `refresh_token` (single-use): call only under TokenStore's lock."""
        return await self._token({"refresh_token": refresh_token, "grant_type": "refresh_token"})

    async def _token(self, form: dict) -> Tokens:
        try:
            response = await self._http.post(
                PATH_ACCESS_TOKEN,
                data={"app_id": self.app_id, **form},
                headers={APP_SECRET_HEADER: self._secret},
            )
        except httpx.TransportError as e:
            raise OAError("oauth", None, type(e).__name__) from None
        body = _body(response)
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if response.status_code == 200 and access and refresh:
            now = utcnow()
            try:
                lifetime = timedelta(seconds=int(body.get("expires_in", "")))
            except (TypeError, ValueError):
                lifetime = ACCESS_TOKEN_LIFETIME
            return Tokens(str(access), str(refresh), now + lifetime, now + REFRESH_TOKEN_LIFETIME)
        code = body.get("error") if isinstance(body.get("error"), int) else response.status_code
        description = str(
            body.get("error_description") or body.get("error_name") or response.reason_phrase
        )[:200]
        raise OAError("oauth", code, description, response.status_code)
