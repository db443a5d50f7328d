"""A local stand-in of the Telegram Bot API: an aiohttp server on 127.0.0.1 that the real
aiogram client talks to over HTTP.

It records every call, answers like Telegram (JSON `{"ok": ..., "result": ...}`), and
refuses with HTTP 400 what Telegram refuses: text outside 1-4,096 characters, callback_data
outside 1-64 bytes, a missing chat_id, malformed HTML under parse_mode=HTML, an edit that
changes nothing. On demand it answers 429 with retry_after (and keeps answering 429 until
that time has passed, as Telegram does), 403 for a blocked chat, or drops the connection.
It also serves getUpdates (long polling, with offsets) from a queue of updates.
"""

import asyncio
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456789:TEST-stand-in-token_abcdefghijklmnop"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Học AI", "username": "hocai_test_bot"}

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
HTML_TAGS |= {"span", "tg-spoiler", "tg-emoji", "blockquote"}
CHAT_ACTIONS = {"typing", "upload_photo", "upload_document", "record_voice", "upload_voice"}
JSON_FIELDS = {"reply_markup", "commands", "scope", "allowed_updates", "entities"}
JSON_FIELDS |= {"caption_entities", "link_preview_options", "reply_parameters"}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"}
SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
COMMAND = re.compile(r"[a-z0-9_]{1,32}")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class BadRequest(Exception):
    def __init__(self, description: str, status: int = 400, **parameters):
        super().__init__(description)
        self.description, self.status, self.parameters = description, status, parameters


@dataclass
class Call:
    method: str
    params: dict
    status: int = 200  # 0: the connection was dropped
    description: str = ""
    at: float = field(default_factory=time.monotonic)
    content_type: str = ""  # how the body came: application/json, multipart/form-data, ...

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class Failure:
    method: str
    status: int | None  # None: drop the connection
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def html_visible(text: str) -> str:
    """The text Telegram shows for parse_mode=HTML; BadRequest for malformed markup."""
    out, stack, pos = [], [], 0
    for m in re.finditer(r"<(/?)([a-zA-Z-]+)[^<>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-z]+);|[<>&]", text):
        out.append(text[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if m.group(2):
            tag = m.group(2).lower()
            if tag not in HTML_TAGS:
                raise BadRequest(f"Bad Request: can't parse entities: Unsupported start tag {tag}")
            if m.group(1):
                if not stack or stack.pop() != tag:
                    raise BadRequest(f"Bad Request: can't parse entities: Unmatched end tag {tag}")
            else:
                stack.append(tag)
        elif m.group(3):
            if m.group(3) not in ("lt", "gt", "amp", "quot") and not m.group(3).startswith("#"):
                raise BadRequest("Bad Request: can't parse entities: Unsupported HTML entity")
            out.append(html.unescape(token))
        else:
            raise BadRequest(
                f"Bad Request: can't parse entities: unescaped {token!r} at byte offset {m.start()}"
            )
    if stack:
        raise BadRequest(f"Bad Request: can't parse entities: Can't find end tag {stack[-1]}")
    out.append(text[pos:])
    return "".join(out)


def check_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise BadRequest("Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise BadRequest("Bad Request: text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                raise BadRequest("Bad Request: BUTTON_DATA_INVALID")


class TelegramStandIn:
    def __init__(self, token: str = TOKEN):
        self.token = token
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.blocked: set[int] = set()
        self.messages: dict[tuple[int, int], dict] = {}  # the chat as it looks now
        self.updates: list[dict] = []  # not yet confirmed by a getUpdates offset
        self.commands: list[dict] = []
        self.uploads: list[tuple[str, str, bytes]] = []  # (field, file name, bytes) uploaded
        self.webhook: dict = {"url": "", "secret_token": None}
        self.answered: set[str] = set()
        self._flood_until = 0.0
        self.rate_limit: int | None = None  # sendMessage calls a second before a 429
        self._recent_sends: list[float] = []
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(500_000)
        self._new_update = asyncio.Event()
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
        self._new_update.set()
        if self._runner:
            await self._runner.cleanup()

    # --- what tests set up ------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int | None,
        description: str = "",
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, if given) with this
        error; status None drops the connection instead of answering."""
        self.failures.append(Failure(method, status, description, retry_after, chat_id, times))

    def block(self, chat_id: int) -> None:
        """The learner blocked the bot: every call to this chat gets 403 from now on."""
        self.blocked.add(chat_id)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def push_update(self, update: dict) -> None:
        """Queue an update for getUpdates (polling mode)."""
        self.updates.append(update)
        self._new_update.set()

    # --- what tests read --------------------------------------------------------------

    def called(self, method: str, chat_id: int | None = None, ok: bool | None = None):
        return [
            c
            for c in self.calls
            if c.method == method
            and (chat_id is None or c.params.get("chat_id") == chat_id)
            and (ok is None or c.ok == ok)
        ]

    def refused(self) -> list[Call]:
        """Calls answered 400 (what Telegram would have refused)."""
        return [c for c in self.calls if c.status == 400]

    def chat(self, chat_id: int) -> list[dict]:
        """The bot's messages in a chat, oldest first, as they look now (after edits)."""
        return [m for (cid, _), m in sorted(self.messages.items()) if cid == chat_id]

    # --- the API ----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        call = Call(method, {}, content_type=request.content_type)
        self.calls.append(call)
        try:
            call.params = params = await self._params(request)
            if request.match_info["token"] != self.token:
                raise BadRequest("Unauthorized", status=401)
            failure = self._failure_for(method, params)
            if failure and failure.status is None:
                call.status = 0
                request.transport.close()  # the client sees a dropped connection
                return web.Response(status=500)
            if failure:
                if failure.retry_after:
                    self._flood_until = time.monotonic() + failure.retry_after
                raise BadRequest(
                    failure.description, failure.status, retry_after=failure.retry_after
                )
            if time.monotonic() < self._flood_until:  # still in the flood wait
                wait = max(1, round(self._flood_until - time.monotonic()))
                raise BadRequest(f"Too Many Requests: retry after {wait}", 429, retry_after=wait)
            if method == "sendMessage" and self.rate_limit:
                self._check_rate()
            if params.get("chat_id") in self.blocked:
                raise BadRequest("Forbidden: bot was blocked by the user", 403)
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise BadRequest("Not Found", status=404)
            result = await handler(params)
        except BadRequest as e:
            call.status, call.description = e.status, e.description
            body: dict = {"ok": False, "error_code": e.status, "description": e.description}
            parameters = {k: v for k, v in e.parameters.items() if v is not None}
            if parameters:
                body["parameters"] = parameters
            return web.json_response(body, status=e.status)
        return web.json_response({"ok": True, "result": result})

    async def webhook_answer(self, status: int, content_type: str, body: bytes) -> None:
        """Run the method call a webhook answered with, as Telegram does ("If you're using
        webhooks, you can perform a request to the Bot API while sending an answer to the
        webhook"): recorded as a call (content_type "webhook-answer"), failures alike;
        Telegram tells the bot nothing of its outcome."""
        if status != 200 or not content_type.startswith("application/json") or not body:
            return
        params = json.loads(body)
        if not isinstance(params, dict) or "method" not in params:  # e.g. aiogram's "{}"
            return
        method = params.pop("method")
        call = Call(method, params, content_type="webhook-answer")
        self.calls.append(call)
        try:
            failure = self._failure_for(method, params)
            if failure:
                raise BadRequest(failure.description, failure.status or 500)
            await getattr(self, f"_m_{method}")(params)
        except BadRequest as e:
            call.status, call.description = e.status, e.description

    async def _params(self, request: web.Request) -> dict:
        """JSON bodies, url-encoded and multipart forms alike; JSON-typed form fields
        (reply_markup, commands, ...) are decoded as Telegram does."""
        if request.content_type == "application/json":
            raw = await request.json()
        else:
            raw = dict(request.query)
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    self.uploads.append((key, value.filename, data))
                    raw[key] = {"filename": value.filename, "size": len(data)}
                else:
                    raw[key] = value
        params = {}
        for key, value in raw.items():
            if isinstance(value, str) and value.startswith("attach://"):  # a file part
                value = raw.get(value.removeprefix("attach://"))
            if isinstance(value, str) and key in JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError as e:
                    raise BadRequest(f"Bad Request: can't parse {key} JSON object") from e
            elif isinstance(value, str) and key in INT_FIELDS and re.fullmatch(r"-?\d+", value):
                value = int(value)
            params[key] = value
        return params

    def _check_rate(self) -> None:
        """Like Telegram's flood control: over `rate_limit` sends in a second -> 429."""
        now = time.monotonic()
        self._recent_sends = [t for t in self._recent_sends if now - t < 1.0]
        if len(self._recent_sends) >= self.rate_limit:
            self._flood_until = now + 1
            raise BadRequest("Too Many Requests: retry after 1", 429, retry_after=1)
        self._recent_sends.append(now)

    def _failure_for(self, method: str, params: dict) -> Failure | None:
        for f in self.failures:
            if f.method == method and f.chat_id in (None, params.get("chat_id")) and f.times:
                f.times -= 1
                return f
        return None

    # --- methods ----------------------------------------------------------------------

    @staticmethod
    def _chat_id(params: dict) -> int:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise BadRequest("Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise BadRequest("Bad Request: chat not found")
        return chat_id

    @staticmethod
    def _text(params: dict, key: str = "text", limit: int = MAX_TEXT, required=True) -> str:
        text = params.get(key)
        if text is None and not required:
            return ""
        text = str(text or "")
        visible = html_visible(text) if params.get("parse_mode") == "HTML" else text
        if required and not visible.strip():
            raise BadRequest(f"Bad Request: message {key} is empty")
        if utf16_len(visible.strip()) > limit:
            raise BadRequest(f"Bad Request: message {key} is too long")
        return visible

    def _message(self, chat_id: int, **content) -> dict:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT_USER,
            **{k: v for k, v in content.items() if v is not None},
        }
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _m_getMe(self, params: dict) -> dict:
        return BOT_USER

    async def _m_setMyCommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise BadRequest("Bad Request: commands must be a list of at most 100")
        for c in commands:
            if not COMMAND.fullmatch(c.get("command", "")):
                raise BadRequest("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(c.get("description", "")) <= 256:
                raise BadRequest("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands = commands
        return True

    async def _m_sendMessage(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        text = self._text(params)
        check_markup(params.get("reply_markup"))
        return self._message(chat_id, text=text, reply_markup=params.get("reply_markup"))

    async def _m_sendChatAction(self, params: dict) -> bool:
        self._chat_id(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise BadRequest("Bad Request: wrong parameter action in request")
        return True

    async def _m_answerCallbackQuery(self, params: dict) -> bool:
        query_id = params.get("callback_query_id")
        if not query_id or query_id in self.answered:
            raise BadRequest(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        if len(params.get("text", "")) > MAX_CALLBACK_ANSWER:
            raise BadRequest("Bad Request: MESSAGE_TOO_LONG")
        self.answered.add(query_id)
        return True

    def _editable(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        message = self.messages.get((chat_id, params.get("message_id")))
        if message is None:
            raise BadRequest("Bad Request: message to edit not found")
        return message

    async def _m_editMessageText(self, params: dict) -> dict:
        message = self._editable(params)
        text, markup = self._text(params), params.get("reply_markup")
        check_markup(markup)
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise BadRequest(NOT_MODIFIED)
        message["text"] = text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        return message

    async def _m_editMessageReplyMarkup(self, params: dict) -> dict:
        message = self._editable(params)
        markup = params.get("reply_markup")
        check_markup(markup)
        if message.get("reply_markup") == markup:
            raise BadRequest(NOT_MODIFIED)
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    async def _send_file(self, params: dict, key: str) -> dict:
        chat_id = self._chat_id(params)
        if not params.get(key):
            raise BadRequest(f"Bad Request: there is no {key} in the request")
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        check_markup(params.get("reply_markup"))
        file = {"file_id": f"F{next(self._message_ids)}", "file_unique_id": "u"}
        content = {"photo": [{**file, "width": 1, "height": 1}]} if key == "photo" else {}
        if key == "document":
            content = {"document": {**file, "file_name": str(params[key])}}
        return self._message(
            chat_id, caption=caption or None, reply_markup=params.get("reply_markup"), **content
        )

    async def _m_sendDocument(self, params: dict) -> dict:
        return await self._send_file(params, "document")

    async def _m_sendPhoto(self, params: dict) -> dict:
        return await self._send_file(params, "photo")

    async def _m_setWebhook(self, params: dict) -> bool:
        if not params.get("url"):
            raise BadRequest("Bad Request: bad webhook: URL is empty")
        secret = params.get("secret_token")
        if secret is not None and not SECRET.fullmatch(str(secret)):
            raise BadRequest("Bad Request: bad webhook: secret token contains unallowed characters")
        self.webhook = {"url": params["url"], "secret_token": secret}
        return True

    async def _m_deleteWebhook(self, params: dict) -> bool:
        self.webhook = {"url": "", "secret_token": None}
        return True

    async def _m_getWebhookInfo(self, params: dict) -> dict:
        return {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    async def _m_getUpdates(self, params: dict) -> list[dict]:
        if self.webhook["url"]:
            raise BadRequest(
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
                409,
            )
        offset = params.get("offset")
        if isinstance(offset, int):  # confirms every update before it
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + int(params.get("timeout", 0))
        while not self.updates and time.monotonic() < deadline:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
        return self.updates[: int(params.get("limit", 100))]
