"""Outbox delivery on Telegram (reminders, broadcasts): one attempt, the outcome reported
to the dispatcher (bot.channels.base.Sender).

Unlike replies (sender.py waits out a 429 itself), a queued message hands a 429 back so
the dispatcher can pause the whole channel and reschedule it.

This is the one place that does not go through aiogram, on purpose; replies' text
messages use it too (sender.py: TelegramSender.send_message, with the replies' own retry
policy). Edits, files, button answers, polling and the webhook stay on aiogram
(sender.py, handler.py). Outbox delivery is a single method, sendMessage, sent at volume
(a broadcast to a province is 100,000 of them), and aiogram's generic path costs more
than twice the CPU of a plain JSON request: it builds every call as a pydantic model
dumped into a multipart form, and validates every answer into a pydantic Message that
nothing here reads. Client CPU per sendMessage to the Bot API stand-in, 32 calls in
flight, on the 2-core benchmark machine (`.venv/bin/python bench/broadcast.py --clients
8000`; docs/PERFORMANCE.md, Broadcast): aiogram 0.65-0.68 ms, this module 0.23-0.32 ms,
httpx's AsyncClient 3.4-3.8 ms (its connection pool does badly with 32 requests in
flight). In the broadcast benchmark the dispatcher went from 1.0-1.3 ms of CPU per
message to about 0.65 (with the cheaper group commit in bot/outreach/dispatcher.py).

So a sendMessage here is one JSON POST on a shared aiohttp ClientSession, to the URL
aiogram would use (`TelegramAPIServer.from_base`), with the same fields aiogram sends
(chat_id, text, reply_markup without its empty fields), and of the answer only `ok`,
`description` and `parameters` are read (`error_code` repeats the HTTP status, which is
used). The outcome is what the aiogram
version reported (aiogram's `check_response` order):

- 2xx with ok: sent;
- parameters.retry_after (a 429): "retry", the whole channel pauses that long;
- 400: "rejected", the message itself is wrong and retrying won't help;
- 403: "blocked", the dispatcher marks the learner unreachable;
- anything else (network errors, timeouts, 5xx, an answer that is not JSON, 401, 404,
  a group's migrate_to_chat_id): "failed", retried with back-off.

Bodies are built once per distinct message (a broadcast's text is the same for every
recipient), and only chat_id is added per recipient. The token is part of the URL, so
nothing here logs a URL or an exception's text (only its type).
"""

import json
import logging
import ssl

import aiohttp
import certifi
from aiogram.client.telegram import TelegramAPIServer
from yarl import URL

from bot.channels.base import Delivery
from bot.channels.telegram.constants import (
    DELIVERY_CONNECTIONS,
    DELIVERY_TIMEOUT_SECONDS,
    ERROR_BAD_REQUEST,
    ERROR_FORBIDDEN,
    ERROR_TOO_MANY_REQUESTS,
    MAX_ERROR_CHARS,
    MIGRATE_TO_CHAT_ID,
    RETRY_AFTER,
    SEND_MESSAGE,
    SERVER_ERRORS,
)
from bot.channels.telegram.render import render
from bot.messages import Outbound

log = logging.getLogger("hocai.telegram")

SENT = Delivery("sent")
MAX_CACHED = 256  # distinct messages whose bodies are kept (a broadcast is one)
HEADERS = {"Content-Type": "application/json"}
# Headers aiohttp would add to every request and the Bot API does not need: without them
# a request costs about a sixth less client CPU (0.16 -> 0.13 ms against the stand-in),
# and an answer is never compressed (they are a few hundred bytes).
SKIP_HEADERS = ("User-Agent", "Accept", "Accept-Encoding")


def bodies(message: Outbound) -> list[bytes]:
    """The sendMessage bodies of one Outbound without chat_id: `"text":…}` tails that a
    recipient's `{"chat_id":N,` is put in front of. The same fields aiogram sends: the
    text, and the keyboard with its unset (None) fields left out."""
    out = []
    for chunk in render(message):
        fields: dict = {"text": chunk.text}
        if chunk.markup is not None:
            fields["reply_markup"] = chunk.markup.model_dump(exclude_none=True)
        encoded = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
        out.append(encoded[1:])  # without the opening brace
    return out


def outcome(status: int, answer: object) -> Delivery:
    """What a Bot API answer (HTTP status, decoded JSON or None) means for the outbox:
    the order of aiogram's check_response."""
    if not isinstance(answer, dict):  # a proxy's error page, an empty body
        return Delivery("failed", error=f"{status} not JSON")
    if 200 <= status <= 226 and answer.get("ok") is True:
        return SENT
    description = str(answer.get("description") or "")
    parameters = answer.get("parameters")
    if isinstance(parameters, dict):
        retry_after = parameters.get(RETRY_AFTER)
        if retry_after:
            return Delivery(
                "retry", retry_after=float(retry_after), error=str(ERROR_TOO_MANY_REQUESTS)
            )
        if parameters.get(MIGRATE_TO_CHAT_ID):
            return Delivery("failed", error=f"{status} {MIGRATE_TO_CHAT_ID}")
    if status == ERROR_BAD_REQUEST:
        return Delivery("rejected", error=description[:MAX_ERROR_CHARS])
    if status == ERROR_FORBIDDEN:
        return Delivery("blocked", error=description[:MAX_ERROR_CHARS])
    if status < SERVER_ERRORS:  # 401 (the token), 404, 409, 413: a setup to fix
        log.error("%s answered %d: %s", SEND_MESSAGE, status, description[:MAX_ERROR_CHARS])
    return Delivery("failed", error=f"{status} {description}"[:MAX_ERROR_CHARS])


class TelegramDelivery:
    """Sends outbox messages with sendMessage on one keep-alive aiohttp session, made on
    first use (inside the running loop) and closed by close()."""

    def __init__(self, token: str, api_base: str, timeout: float = DELIVERY_TIMEOUT_SECONDS):
        api = TelegramAPIServer.from_base(api_base)
        self.url = URL(api.api_url(token=token, method=SEND_MESSAGE))
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._bodies: dict[Outbound, list[bytes]] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=DELIVERY_CONNECTIONS,
                    ssl=ssl.create_default_context(cafile=certifi.where()),  # as aiogram
                    ttl_dns_cache=3600,
                ),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                cookie_jar=aiohttp.DummyCookieJar(),  # no cookies: nothing to look up
                raise_for_status=False,
                skip_auto_headers=SKIP_HEADERS,
            )
        return self._session

    def _bodies_of(self, message: Outbound) -> list[bytes]:
        found = self._bodies.get(message)
        if found is None:
            if len(self._bodies) >= MAX_CACHED:
                self._bodies.clear()
            found = self._bodies[message] = bodies(message)
        return found

    def bodies_to(self, chat_id: int, message: Outbound) -> list[bytes]:
        """The sendMessage bodies of `message` for one chat."""
        head = b'{"chat_id":%d,' % chat_id
        return [head + tail for tail in self._bodies_of(message)]

    async def deliver(self, user_id: str, messages: list[Outbound]) -> Delivery:
        for message in messages:
            for body in self.bodies_to(int(user_id), message):
                answered = await self.exchange(body)
                result = answered if isinstance(answered, Delivery) else outcome(*answered)
                if result is not SENT:
                    return result
        return SENT

    async def exchange(self, body: bytes) -> tuple[int, object] | Delivery:
        """One sendMessage: (HTTP status, the decoded answer or None when it is not JSON),
        or the failed Delivery of a request that got no answer (timeout, network)."""
        try:
            async with self._client().post(self.url, data=body, headers=HEADERS) as response:
                status, raw = response.status, await response.read()
        except TimeoutError:
            return Delivery("failed", error="timeout")
        except aiohttp.ClientError as e:  # refused, reset, dropped: never its text (the URL)
            return Delivery("failed", error=f"network {type(e).__name__}")
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
