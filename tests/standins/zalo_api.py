"""A local stand-in of the Zalo Bot Platform API: an aiohttp server on 127.0.0.1 that the
real httpx client talks to over HTTP.

It records every call and answers like the platform (`{ok, result, description,
error_code}`, HTTP status = error_code), refusing with 400 what the docs say the platform
refuses: a missing chat_id, text outside 1-2,000 characters (counted as UTF-16 code units,
as a JavaScript or Java backend counts them), a photo that is not an http(s) URL, a
webhook URL that is not HTTPS, a secret_token outside 8-256 characters. A wrong token gets
401. On demand it answers 429 "quota exceeded" for a while, any other error a number of
times, or drops the connection.

getUpdates long-polls a queue and hands out one event per answer (the platform's way);
when none arrives within `timeout` it answers error_code 408 inside an HTTP 200, as the
platform is seen to do. While a webhook is set, getUpdates is refused.
"""

import asyncio
import itertools
import time
from dataclasses import dataclass, field

from aiohttp import web

TOKEN = "1234567890:zalo-stand-in-TOKEN_abcdefghijklmnop"
BOT = {"id": "1234567890", "account_name": "bot.HocAI", "account_type": "BASIC"}
MAX_TEXT = 2000
MIN_SECRET, MAX_SECRET = 8, 256
CHAT_ACTIONS = {"typing", "upload_photo"}
_message_ids = itertools.count(1)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    def __init__(self, code: int, description: str, http_status: int | None = None):
        super().__init__(description)
        self.code, self.description = code, description
        self.http_status = http_status or code


@dataclass
class Call:
    method: str
    params: dict
    status: int = 200  # the error_code answered; 0: the connection was dropped
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Failure:
    method: str
    status: int | None  # None: drop the connection
    description: str
    times: int


# --- events, as the platform sends them -------------------------------------------------


def message_id() -> str:
    return f"{next(_message_ids):020x}"


def event(
    chat_id: str,
    event_name: str = "message.text.received",
    *,
    text: str | None = None,
    msg_id: str | None = None,
    display_name: str = "Lan Nguyễn",
    chat_type: str = "PRIVATE",
    from_id: str | None = None,
    **extra,
) -> dict:
    """A flat event (`{"event_name", "message"}`); wrap() puts it in `{ok, result}`."""
    message = {
        "from": {"id": from_id or chat_id, "display_name": display_name, "is_bot": False},
        "chat": {"id": chat_id, "chat_type": chat_type},
        "message_id": msg_id or message_id(),
        "date": int(time.time() * 1000),
        **extra,
    }
    if text is not None:
        message["text"] = text
    return {"event_name": event_name, "message": message}


def wrap(flat: dict) -> dict:
    return {"ok": True, "result": flat}


class ZaloStandIn:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.calls: list[Call] = []
        self.sent: list[dict] = []  # messages and photos delivered, in order
        self.events: list[dict] = []  # waiting for getUpdates
        self.handed_out: dict[str, int] = {}  # message_id -> its getUpdates call's index
        self.webhook: dict = {"url": "", "secret_token": None, "updated_at": 0}
        self.failures: list[Failure] = []
        self._quota: dict[str, float] = {}  # method -> seconds of 429 once it starts
        self._quota_until: dict[str, float] = {}
        self._new_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- server ---------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._new_event.set()
        if self._runner:
            await self._runner.cleanup()

    # --- what tests set up ------------------------------------------------------------

    def quota_exceeded(self, method: str, seconds: float) -> None:
        """Answer 429 to every `method` call from the next one on, until `seconds` after
        that first refusal: a client that retries without waiting runs out of attempts."""
        self._quota[method] = seconds

    def fail(self, method: str, status: int | None, description: str = "", times: int = 1):
        """Answer the next `times` calls of `method` with this error; None drops the
        connection instead of answering."""
        self.failures.append(Failure(method, status, description or "Error", times))

    def push(self, flat: dict) -> None:
        """Queue an event for getUpdates."""
        self.events.append(flat)
        self._new_event.set()

    # --- what tests read --------------------------------------------------------------

    def called(self, method: str, status: int | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and status in (None, c.status)]

    def refused(self) -> list[Call]:
        """Calls answered 400: what the platform would have refused."""
        return [c for c in self.calls if c.status == 400]

    def texts(self, chat_id: str, since: int = 0) -> list[str]:
        return [m["text"] for m in self.sent[since:] if m["chat_id"] == chat_id and "text" in m]

    # --- the API ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        call, index = Call(method, {}), len(self.calls)
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            call.params = params = await self._params(request)
            failure = self._failure_for(method)
            if failure and failure.status is None:
                call.status = 0
                request.transport.close()  # the client sees a dropped connection
                return web.Response(status=500)
            if failure:
                raise ApiError(failure.status, failure.description)
            self._check_quota(method)
            handler = getattr(self, f"_m_{method}", None)
            if method == "getUpdates":
                result = await self._get_updates(params, index)
            elif handler is None:
                raise ApiError(404, "Method not found")
            else:
                result = await handler(params)
        except ApiError as e:
            call.status = e.code
            body = {"ok": False, "error_code": e.code, "description": e.description}
            return web.json_response(body, status=e.http_status)
        body = {"ok": True} if result is None else {"ok": True, "result": result}
        return web.json_response(body)

    @staticmethod
    async def _params(request: web.Request) -> dict:
        if request.content_type != "application/json":
            raise ApiError(400, "Content-Type must be application/json")
        try:
            params = await request.json()
        except ValueError as e:
            raise ApiError(400, "Body is not JSON") from e
        if not isinstance(params, dict):
            raise ApiError(400, "Body must be a JSON object")
        return params

    def _failure_for(self, method: str) -> Failure | None:
        for f in self.failures:
            if f.method == method and f.times:
                f.times -= 1
                return f
        return None

    def _check_quota(self, method: str) -> None:
        now = time.monotonic()
        if method in self._quota:
            self._quota_until[method] = now + self._quota.pop(method)
        if now < self._quota_until.get(method, 0):
            raise ApiError(429, "Quota exceeded")

    @staticmethod
    def _chat_id(params: dict) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id.strip():
            raise ApiError(400, "chat_id is required")
        return chat_id

    @staticmethod
    def _text(params: dict, key: str, required: bool) -> str | None:
        text = params.get(key)
        if text is None and not required:
            return None
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, f"{key} is required")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, f"{key} must be 1-{MAX_TEXT} characters")
        return text

    def _delivered(self, chat_id: str, **content) -> dict:
        result = {"message_id": message_id(), "date": int(time.time() * 1000)}
        self.sent.append({"chat_id": chat_id, **content, **result})
        return result

    async def _m_getMe(self, params: dict) -> dict:
        return {**BOT, "can_join_groups": False}

    async def _m_sendMessage(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        return self._delivered(chat_id, text=self._text(params, "text", required=True))

    async def _m_sendPhoto(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
            raise ApiError(400, "photo must be a URL")
        caption = self._text(params, "caption", required=False)
        return self._delivered(chat_id, photo=photo, caption=caption)

    async def _m_sendChatAction(self, params: dict) -> None:
        self._chat_id(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "action is invalid")

    async def _m_setWebhook(self, params: dict) -> dict:
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise ApiError(400, "url must be HTTPS")
        if not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= MAX_SECRET:
            raise ApiError(400, f"secret_token must be {MIN_SECRET}-{MAX_SECRET} characters")
        self.webhook = {"url": url, "secret_token": secret, "updated_at": int(time.time() * 1000)}
        return {"url": url, "updated_at": self.webhook["updated_at"]}

    async def _m_deleteWebhook(self, params: dict) -> dict:
        self.webhook = {"url": "", "secret_token": None, "updated_at": int(time.time() * 1000)}
        return {"url": "", "updated_at": self.webhook["updated_at"]}

    async def _m_getWebhookInfo(self, params: dict) -> dict:
        return {"url": self.webhook["url"], "updated_at": self.webhook["updated_at"]}

    async def _get_updates(self, params: dict, index: int) -> dict:
        """getUpdates: `index` is this call's place in self.calls (see handed_out)."""
        if self.webhook["url"]:
            raise ApiError(400, "Webhook is set: use deleteWebhook before getUpdates")
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError) as e:
            raise ApiError(400, "timeout must be a number of seconds") from e
        deadline = time.monotonic() + timeout
        while not self.events and time.monotonic() < deadline:
            self._new_event.clear()
            try:
                await asyncio.wait_for(self._new_event.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        if not self.events:
            raise ApiError(408, "Request timeout", http_status=200)
        flat = self.events.pop(0)
        self.handed_out[flat["message"]["message_id"]] = index
        return flat
