"""A local stand-in of the Zalo OA API v3 and OAuth v4: an aiohttp server on 127.0.0.1
that the real httpx clients talk to over HTTP.

It answers like the platform: HTTP 200 with `{"error": 0, "message", "data"}`, a
negative `error` when it refuses. What it enforces (values from
bot/channels/zalo_oa/constants.py, whose sources are in docs/ZALO_OA.md):

- OAuth: the app secret in the `secret_key` header; an authorisation code is single-use
  and needs the PKCE verifier whose S256 hash was the challenge; a refresh token is
  single-use (a spent one is refused and counted in `reused_refresh_tokens`);
- access tokens expire after `expires_in` seconds (`advance()` moves its clock); an
  unknown token is refused with -216, an expired one with -124;
- consultation messages: only to users who follow the OA (-213 otherwise) and within
  48 hours of that user's last interaction (-230), text 1-2,000 characters, at most 5
  buttons with titles of at most 20 characters, query payloads of at most 1,000;
- uploads: images JPG/PNG up to 1 MB, files PDF/DOC/DOCX up to 5 MB.

It also plays the Zalo side of the webhook: `event()` builds an event and `post()`
signs and posts it (X-ZEvent-Signature) as Zalo does.
"""

import asyncio
import base64
import hashlib
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from bot.channels.zalo_oa.constants import (
    FILE_TYPES,
    IMAGE_TYPES,
    MAX_BUTTON_PAYLOAD_CHARS,
    MAX_BUTTON_TITLE_CHARS,
    MAX_BUTTONS,
    MAX_FILE_BYTES,
    MAX_IMAGE_BYTES,
    MAX_TEXT_CHARS,
    WINDOW,
)
from bot.channels.zalo_oa.webhook import signature

APP_ID = "4321987654321"
APP_SECRET = "app-secret-stand-in_0123456789"
OA_SECRET_KEY = "oa-secret-key-stand-in_abcdef"
OA_ID = "1357924680"
ERROR_INVALID_PARAM = -201  # the stand-in's "parameters invalid" (UNCONFIRMED code)
ERROR_TOKEN_INVALID, ERROR_TOKEN_EXPIRED = -216, -124
ERROR_NOT_FOLLOWER, ERROR_OUTSIDE_WINDOW = -213, -230
ERROR_OAUTH_INVALID_GRANT = -14014  # the stand-in's "invalid code/refresh token"
BUTTON_TYPES = {"oa.query.hide", "oa.query.show", "oa.open.url"}
_ids = itertools.count(1)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class Refused(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Call:
    path: str
    body: dict
    error: int = 0
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.error == 0


class ZaloOAStandIn:
    def __init__(self, expires_in: int = 90000, refresh_delay: float = 0.0):
        self.expires_in = expires_in
        self.refresh_delay = refresh_delay  # widens the window two refreshers could race in
        self.calls: list[Call] = []
        self.sent: list[dict] = []  # {"user_id", "message"} delivered, in order
        self.followers: set[str] = set()
        self.last_interaction: dict[str, float] = {}  # user -> stand-in clock seconds
        self.codes: dict[str, str] = {}  # authorisation code -> PKCE challenge
        self.access: dict[str, float] = {}  # access token -> expires at (stand-in clock)
        self.refresh_tokens: dict[str, bool] = {}  # refresh token -> still usable
        self.refreshes = 0
        self.reused_refresh_tokens = 0
        self.uploads: dict[str, str] = {}  # attachment id / file token -> file name
        self.failures: list[tuple[str, int, int]] = []  # (path, error, times)
        self.offset = 0.0  # seconds added to the clock by advance()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- server ---------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/v4/oa/access_token", self._access_token)
        app.router.add_route("*", "/{version}/oa/{rest:.*}", self._api)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    # --- what tests set up ------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def authorize(self, code_challenge: str) -> str:
        """The OA admin allowed the app: the code Zalo puts in the callback address."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = code_challenge
        return code

    def issue(self) -> tuple[str, str]:
        """Tokens as if `connect` had run: (access token, refresh token)."""
        return self._new_pair()

    def interact(self, user_id: str, ago: timedelta = timedelta(0)) -> None:
        self.followers.add(user_id)
        self.last_interaction[user_id] = self.now() - ago.total_seconds()

    def fail(self, path: str, error: int, times: int = 1) -> None:
        self.failures.append((path, error, times))

    # --- what tests read --------------------------------------------------------------

    def refused(self) -> list[Call]:
        return [c for c in self.calls if c.error == ERROR_INVALID_PARAM]

    def to(self, user_id: str, since: int = 0) -> list[dict]:
        return [m["message"] for m in self.sent[since:] if m["user_id"] == user_id]

    # --- webhook events, as Zalo sends them -----------------------------------------

    def event(self, name: str, user_id: str, *, text: str | None = None, **extra) -> dict:
        body = {
            "app_id": APP_ID,
            "event_name": name,
            "timestamp": str(int(self.now() * 1000)),
            "user_id_by_app": f"app-{user_id}",
        }
        if name in ("follow", "unfollow"):
            body |= {"oa_id": OA_ID, "follower": {"id": user_id}, "source": "oa_profile"}
        else:
            body |= {"sender": {"id": user_id}, "recipient": {"id": OA_ID}}
            body["message"] = {"msg_id": f"m{next(_ids):016x}", **extra}
            if text is not None:
                body["message"]["text"] = text
        return body

    @staticmethod
    def signed(body: dict, secret: str = OA_SECRET_KEY) -> tuple[str, dict]:
        raw = json.dumps(body, ensure_ascii=False)
        mac = signature(APP_ID, raw, body.get("timestamp", ""), secret)
        return raw, {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}

    async def post(self, client, body: dict, path: str = "/zalo-oa/webhook"):
        """Sign and post an event to the app (an httpx client); users who write or tap
        interact with the OA, which opens its 48-hour window for them."""
        if body["event_name"].startswith("user_send_") or body["event_name"] == "follow":
            self.interact((body.get("sender") or body.get("follower"))["id"])
        if body["event_name"] == "unfollow":
            self.followers.discard(body["follower"]["id"])
        raw, headers = self.signed(body)
        return await client.post(path, content=raw.encode(), headers=headers)

    # --- OAuth v4 -------------------------------------------------------------------

    def _new_pair(self) -> tuple[str, str]:
        access, refresh = f"at-{secrets.token_hex(12)}", f"rt-{secrets.token_hex(12)}"
        self.access[access] = self.now() + self.expires_in
        self.refresh_tokens[refresh] = True
        return access, refresh

    async def _access_token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        call = Call("/v4/oa/access_token", {k: v for k, v in form.items() if k == "grant_type"})
        self.calls.append(call)
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            call.error = -14002
            return web.json_response({"error": -14002, "error_name": "Invalid app"})
        grant = form.get("grant_type")
        if grant == "authorization_code":
            challenge = self.codes.pop(str(form.get("code")), None)
            verifier = str(form.get("code_verifier") or "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if challenge is None or digest.decode() != challenge:
                return self._grant_refused(call, "Invalid authorization code or verifier")
        elif grant == "refresh_token":
            token = str(form.get("refresh_token"))
            if self.refresh_delay:
                await asyncio.sleep(self.refresh_delay)
            if token not in self.refresh_tokens:
                return self._grant_refused(call, "Invalid refresh token")
            if not self.refresh_tokens[token]:
                self.reused_refresh_tokens += 1
                return self._grant_refused(call, "Refresh token already used")
            self.refresh_tokens[token] = False
            self.refreshes += 1
        else:
            return self._grant_refused(call, "Unsupported grant_type")
        access, refresh = self._new_pair()
        return web.json_response(
            {"access_token": access, "refresh_token": refresh, "expires_in": str(self.expires_in)}
        )

    @staticmethod
    def _grant_refused(call: Call, why: str) -> web.Response:
        call.error = ERROR_OAUTH_INVALID_GRANT
        return web.json_response(
            {
                "error": ERROR_OAUTH_INVALID_GRANT,
                "error_name": "invalid_grant",
                "error_description": why,
            }
        )

    # --- the OA API -----------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        path = request.path
        call = Call(path, {})
        self.calls.append(call)
        try:
            self._check_token(request.headers.get("access_token", ""))
            for i, (where, error, times) in enumerate(self.failures):
                if where == path and times > 0:
                    self.failures[i] = (where, error, times - 1)
                    raise Refused(error, "Injected failure")
            if path == "/v3.0/oa/message/cs" and request.method == "POST":
                data = self._send(call, await self._json(request))
            elif path == "/v2.0/oa/upload/image" and request.method == "POST":
                data = await self._upload(request, IMAGE_TYPES, MAX_IMAGE_BYTES, "attachment_id")
            elif path == "/v2.0/oa/upload/file" and request.method == "POST":
                data = await self._upload(request, FILE_TYPES, MAX_FILE_BYTES, "token")
            elif path == "/v2.0/oa/getoa" and request.method == "GET":
                data = {"oa_id": OA_ID, "name": "Bình dân học AI Thái Nguyên"}
            else:
                raise Refused(-404, "API not found")
        except Refused as e:
            call.error = e.code
            return web.json_response({"error": e.code, "message": e.message})
        return web.json_response({"error": 0, "message": "Success", "data": data})

    def _check_token(self, token: str) -> None:
        expires = self.access.get(token)
        if expires is None:
            raise Refused(ERROR_TOKEN_INVALID, "Access token is invalid")
        if expires <= self.now():
            raise Refused(ERROR_TOKEN_EXPIRED, "Access token has expired")

    @staticmethod
    async def _json(request: web.Request) -> dict:
        try:
            body = await request.json()
        except ValueError:
            raise Refused(ERROR_INVALID_PARAM, "Body is not JSON") from None
        if not isinstance(body, dict):
            raise Refused(ERROR_INVALID_PARAM, "Body is not an object")
        return body

    def _send(self, call: Call, body: dict) -> dict:
        call.body = body
        user = (body.get("recipient") or {}).get("user_id")
        message = body.get("message")
        if not user or not isinstance(message, dict):
            raise Refused(ERROR_INVALID_PARAM, "recipient.user_id and message are required")
        if user not in self.followers:
            raise Refused(ERROR_NOT_FOLLOWER, "User has not followed the OA")
        if self.now() - self.last_interaction.get(user, -1e18) > WINDOW.total_seconds():
            raise Refused(ERROR_OUTSIDE_WINDOW, "User has not interacted with the OA recently")
        text = message.get("text")
        attachment = message.get("attachment")
        if text is None and attachment is None:
            raise Refused(ERROR_INVALID_PARAM, "message has neither text nor attachment")
        if text is not None and not 1 <= utf16_len(str(text)) <= MAX_TEXT_CHARS:
            raise Refused(ERROR_INVALID_PARAM, f"text must be 1-{MAX_TEXT_CHARS} characters")
        if attachment is not None:
            self._check_attachment(attachment)
        self.sent.append({"user_id": user, "message": message})
        return {"message_id": f"{next(_ids):032x}", "user_id": user}

    def _check_attachment(self, attachment: dict) -> None:
        payload = attachment.get("payload") or {}
        if attachment.get("type") == "file":
            if payload.get("token") not in self.uploads:
                raise Refused(ERROR_INVALID_PARAM, "Unknown file token")
            return
        if attachment.get("type") != "template":
            raise Refused(ERROR_INVALID_PARAM, "Unknown attachment type")
        if payload.get("template_type") == "media":
            for element in payload.get("elements") or []:
                url, aid = element.get("url"), element.get("attachment_id")
                ok_url = isinstance(url, str) and url.startswith(("https://", "http://"))
                if element.get("media_type") != "image" or not (ok_url or aid in self.uploads):
                    raise Refused(ERROR_INVALID_PARAM, "Invalid media element")
            return
        buttons = payload.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
            raise Refused(ERROR_INVALID_PARAM, f"1-{MAX_BUTTONS} buttons allowed")
        for b in buttons:
            title = b.get("title")
            if not isinstance(title, str) or not 1 <= len(title) <= MAX_BUTTON_TITLE_CHARS:
                raise Refused(ERROR_INVALID_PARAM, "Button title too long or empty")
            if b.get("type") not in BUTTON_TYPES:
                raise Refused(ERROR_INVALID_PARAM, "Unknown button type")
            data = b.get("payload")
            if b.get("type") != "oa.open.url" and (
                not isinstance(data, str) or not 1 <= len(data) <= MAX_BUTTON_PAYLOAD_CHARS
            ):
                raise Refused(ERROR_INVALID_PARAM, "Button payload too long or empty")

    async def _upload(self, request, types: dict, limit: int, key: str) -> dict:
        form = await request.post()
        upload = form.get("file")
        if upload is None or not hasattr(upload, "file"):
            raise Refused(ERROR_INVALID_PARAM, "file is required")
        content = upload.file.read()
        suffix = "." + upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        if suffix not in types or len(content) > limit:
            raise Refused(ERROR_INVALID_PARAM, "File type or size not allowed")
        ident = f"{key}-{next(_ids)}"
        self.uploads[ident] = upload.filename
        return {key: ident}
