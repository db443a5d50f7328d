"""What every messenger adapter offers the rest of the app, and its webhooks' shared
contract: reading a body (bad bodies: 400), the failure contract (503 when the database
or the network is down, so the platform redelivers; docs/DEPLOY.md, "Outages"). What
the handlers share around the engine is in bot/channels/handling.py.
"""

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from fastapi import APIRouter, Request, Response

from bot import metrics
from bot.failures import Unavailable
from bot.messages import Outbound

# Webhook bodies. A Telegram update or a Zalo event is a few kilobytes; a text message is
# at most 4,096 characters (Telegram), so 1 MiB is a wide margin and a bound on memory.
MAX_BODY_BYTES = 1 << 20
# Nesting of a real update is under 10 levels (update > callback_query > message >
# reply_markup > inline_keyboard > row > button). A deeper body is an attack: parsing or
# validating it recursively would end in a RecursionError.
MAX_JSON_DEPTH = 32
# How long the platform is asked to wait before delivering again after a 503.
RETRY_AFTER_SECONDS = 5


class ChannelService(Protocol):
    """A running messenger channel (Telegram, Zalo).

    The runner calls start() once (a polling channel starts its loop there) and stop()
    on shutdown; a webhook channel returns the router the web app mounts.
    """

    name: str

    def webhook_router(self) -> APIRouter | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """What happened to one outbox message on its channel."""

    # retry: 429, send later; failed: transient, back off; rejected: the platform refused
    # this message for good (400), do not retry; skipped: not sent on purpose, `error`
    # says why (the Zalo OA's 48-hour window), counted apart from failures
    status: Literal["sent", "blocked", "retry", "failed", "rejected", "skipped"]
    retry_after: float = 0.0  # seconds the whole channel must wait (429)
    error: str = ""


class Sender(Protocol):
    """Sends queued messages (reminders, broadcasts) for the dispatcher.

    deliver() makes one attempt and reports: it must not wait out a 429 itself, because
    the dispatcher pauses the whole channel and reschedules the message.
    """

    name: str

    async def deliver(self, user_id: str, messages: list[Outbound]) -> Delivery: ...


async def cancel(task: asyncio.Task | None) -> None:
    """Cancel a channel's background loop (polling) and wait until it has stopped."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# --- webhooks ---------------------------------------------------------------------------


class BadBody(Exception):
    """The body is not a JSON object this webhook can take: answer 400."""


async def read_text(request: Request) -> str:
    """The raw body as text. Raises BadBody for one too large or not UTF-8."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BadBody("too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadBody("too large")
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("not UTF-8") from None


def parse_json(text: str) -> dict:
    """`text` as a JSON object. Raises BadBody for one that is not JSON, not an object,
    or nested deeper than MAX_JSON_DEPTH."""
    # Cheap first: a body with few brackets cannot be deep (most updates).
    if text.count("{") + text.count("[") > MAX_JSON_DEPTH and _too_deep(text):
        raise BadBody("nested too deep")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise BadBody("not JSON") from None
    if not isinstance(body, dict):
        raise BadBody("not a JSON object")
    return body


async def read_json(request: Request) -> dict:
    """The body as a JSON object (read_text, then parse_json); raises BadBody."""
    return parse_json(await read_text(request))


def _too_deep(text: str) -> bool:
    """Nesting deeper than MAX_JSON_DEPTH, outside strings (no recursion, no parse)."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif ch in "}]":
            depth -= 1
    return False


async def webhook(
    request: Request,
    *,
    channel: str,
    header: str,
    secret: bytes,
    handle: Callable[[dict], Awaitable[dict | None]],
    logger: logging.Logger,
) -> Response:
    """One webhook call, the same contract on every channel:

    - 401: the secret header is missing or wrong (nothing is read);
    - 400: a bad body (one log line, no traceback); `handle` may raise BadBody too;
    - 503 + Retry-After: Unavailable (the database or the network is down; nothing was
      committed, no apology was sent): the platform delivers the update again;
    - 200: handled, including a bug in a flow (the update is recorded as failed and the
      learner has the apology: redelivering it would fail the same way, forever).
    """
    given = request.headers.get(header, "").encode()
    if not hmac.compare_digest(given, secret):
        logger.warning("webhook: missing or wrong secret token")
        return Response(status_code=401)
    return await handled(lambda: read_json(request), handle, channel=channel, logger=logger)


async def handled(
    read: Callable[[], Awaitable[dict]],
    handle: Callable[[dict], Awaitable[dict | None]],
    *,
    channel: str,
    logger: logging.Logger,
) -> Response:
    """Read the body and handle it, answering as `webhook` says (400, 503 or 200); for a
    webhook that authenticates in its own way (the Zalo OA signs the body)."""
    try:
        reply = await handle(await read())
    except BadBody as e:
        logger.warning("webhook: bad body (%s)", e)
        return Response(status_code=400)
    except Unavailable as e:
        metrics.UNAVAILABLE.labels(channel).inc()
        logger.warning("webhook: 503, update to be delivered again (%s)", e)
        return Response(status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if reply is None:
        return Response(status_code=200)
    # A method call for the platform to run (Telegram allows one in a webhook's answer).
    body = json.dumps(reply, separators=(",", ":")).encode()
    return Response(body, status_code=200, media_type="application/json")


def secret_router(
    path: str,
    *,
    channel: str,
    header: str,
    secret: str,
    handle: Callable[[dict], Awaitable[dict | None]],
    logger: logging.Logger,
) -> APIRouter:
    """A router with one webhook at `path` that authenticates by a secret header (as
    `webhook` says); `handle` takes the body and raises Unavailable or BadBody only."""
    expected = secret.encode()
    router = APIRouter()

    async def endpoint(request: Request) -> Response:
        return await webhook(
            request, channel=channel, header=header, secret=expected, handle=handle, logger=logger
        )

    router.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)
    return router
