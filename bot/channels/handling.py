"""What every adapter's handler does the same way around the engine, so that an adapter
keeps only parsing its platform's update and rendering and sending the replies:

- guarded(): one update's failure contract. Unavailable (the database or the network is
  down) goes up, so the webhook answers 503 and the platform delivers it again; any other
  failure is logged and the next update runs (the engine has already claimed it and
  recorded the apology: bot/engine.py).
- answer(): the engine's replies recorded with the claimed update, "typing…" shown only
  while a reply is slow, then sent and marked (bot/outreach/replies.py).
- answer_once(): an event the engine does not see (a photo, a group) claimed once and
  answered.
- mark_unreachable(): the platform says the chat blocked us or is gone.
- update_key(), content_key(): de-duplication keys that fit processed_update.
"""

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.failures import Unavailable
from bot.messages import Inbound, Outbound
from bot.outreach.replies import Sent
from storage.repository import Repository

if TYPE_CHECKING:
    from bot.engine import Engine, Handled

log = logging.getLogger("hocai.channels")
T = TypeVar("T")

Send = Callable[[list[Outbound]], Awaitable[Sent]]

# A reply slower than this shows "typing…" while it is prepared. Lessons, quizzes and the
# offline tutor answer in milliseconds and need none (that saves a Bot API call per
# message: docs/PERFORMANCE.md, webhook); a model's answer takes seconds and gets one.
TYPING_AFTER_SECONDS = 0.3

MAX_KEY_CHARS = 64  # processed_update.update_id
CONTENT_KEY_CHARS = 40


async def guarded(
    work: Awaitable[None],
    logger: logging.Logger,
    what: str,
    ignore: tuple[type[Exception], ...] = (),
) -> None:
    """Await one update's handling. Raises Unavailable only; `ignore`d exceptions end it
    quietly (e.g. the chat is unreachable); any other failure is logged as `what` failed."""
    try:
        await work
    except Unavailable:
        raise
    except ignore:
        pass
    except Exception:
        logger.exception("%s failed", what)


async def typing_while(
    work: Awaitable[T],
    show_typing: Callable[[], Awaitable[object]],
    after: float = TYPING_AFTER_SECONDS,
) -> T:
    """Await `work`; if it is not done within `after` seconds, call `show_typing` once
    (best effort: its failure never stands in the reply's way), and let that call finish
    before returning, so "typing…" never comes after the reply."""
    # A timer, not a task and asyncio.wait per message: almost every reply is fast, and
    # this runs for each of them (docs/PERFORMANCE.md, webhook).
    shown: list[asyncio.Task] = []
    loop = asyncio.get_running_loop()
    timer = loop.call_later(after, lambda: shown.append(loop.create_task(_try(show_typing))))
    try:
        return await work
    finally:
        timer.cancel()
        if shown:
            await shown[0]  # never raises: _try


async def _try(show_typing: Callable[[], Awaitable[object]]) -> None:
    try:
        await show_typing()
    except Exception as e:  # e.g. the chat blocked us: the reply will say so
        log.debug("typing indicator not shown: %s", type(e).__name__)


async def answer(
    tutor: "Engine",
    inbound: Inbound,
    send: Send,
    show_typing: Callable[[], Awaitable[object]] | None = None,
    typing_after: float = TYPING_AFTER_SECONDS,
) -> None:
    """Handle `inbound` with its replies recorded, send them, mark the record; call
    `show_typing` if that takes over `typing_after` seconds. Raises Unavailable (the
    platform should deliver it again)."""
    work = tutor.process(inbound, record=True)
    handled = await (typing_while(work, show_typing, typing_after) if show_typing else work)
    await send_recorded(tutor, handled, send)


async def send_recorded(tutor: "Engine", handled: "Handled", send: Send) -> None:
    """Send what was recorded and mark it: sent, blocked, or the rest left to the
    dispatcher. A crash before the mark leaves the row to the sweeper."""
    if not handled.replies:
        return
    recorded = handled.reply_id is not None and tutor.replies is not None
    messages = handled.replies
    sent = Sent()
    for i, message in enumerate(messages):
        try:
            sent = await send([message])
        except Exception:  # a bug in the adapter: the dispatcher tries its own way
            log.exception("sending replies failed")
            sent = Sent("unsent", [message])
        if sent.status != "sent":
            if sent.status == "unsent":
                sent = Sent("unsent", [*sent.remaining, *messages[i + 1 :]])
            break
        if recorded and i + 1 < len(messages):  # struck off before the next one goes
            await _mark(tutor, handled, Sent("progress", messages[i + 1 :]))
    await _mark(tutor, handled, sent)


async def _mark(tutor: "Engine", handled: "Handled", sent: Sent) -> None:
    if handled.reply_id is not None and tutor.replies is not None:  # recorded
        await tutor.replies.mark(handled.reply_id, sent, handled.recorded_at)


async def answer_once(
    tutor: "Engine",
    namespace: str,
    key: str,
    channel: str,
    chat_id: str,
    reply: Outbound,
    send: Send,
    window: float | None = None,
) -> None:
    """Answer an event the engine does not see (a picture, a sticker, a group) once: its
    key claimed and the reply recorded in one transaction, then sent."""
    handled = await tutor.claim_and_record(namespace, key, channel, chat_id, [reply], window=window)
    if handled is None:
        log.info("duplicate event dropped channel=%s", namespace)
        return
    await send_recorded(tutor, handled, send)


async def mark_unreachable(
    sessions: async_sessionmaker[AsyncSession], channel: str, user_id: str
) -> bool:
    """Mark the chat's learner unreachable (no more reminders or broadcasts): best effort,
    a failure is logged. True when a learner was marked."""
    try:
        async with sessions() as session, session.begin():
            return await Repository(session).mark_unreachable(channel, user_id)
    except Exception:
        log.exception("could not mark a chat unreachable channel=%s", channel)
        return False


# --- de-duplication keys ----------------------------------------------------------------


def update_key(platform_id: str | None) -> str | None:
    """The platform's id of an event as a key: hashed if longer than the column."""
    if not platform_id or len(platform_id) <= MAX_KEY_CHARS:
        return platform_id
    return hashlib.sha256(platform_id.encode()).hexdigest()[:MAX_KEY_CHARS]


def content_key(*parts: str) -> str:
    """A key for an event without an id, from its content."""
    # "#": no platform id has it; no ":" so pruning treats it as an update id.
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return "#" + digest[:CONTENT_KEY_CHARS]


# --- reading a platform's JSON ----------------------------------------------------------


def id_of(value: object) -> str:
    """An id field as text ("" when it is missing or not a string or number)."""
    return str(value).strip() if isinstance(value, str | int) else ""


def object_at(body: dict, key: str) -> dict:
    """The JSON object under `key`, or {} when there is none."""
    value = body.get(key)
    return value if isinstance(value, dict) else {}
