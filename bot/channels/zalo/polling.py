"""Long polling with getUpdates, for development and small deployments.

The platform hands out one update per answer and has no offset to confirm: an update is
delivered once it is answered. So each one is written to the inbox (bot/channels/inbox.py)
before it is handled and deleted after: a process that dies meanwhile handles it at its
next start. While the database is unreachable nothing more is fetched, and an event
being handled is tried again after a back-off. Events are handled concurrently across
chats, in arrival order within a chat, at most MAX_IN_FLIGHT at once; past that, polling
waits.

getUpdates does not work while a webhook is set (`hocai zalo delete-webhook`).
"""

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

from bot.channels.inbox import Inbox, handle_until_done
from bot.channels.zalo.client import ZaloClient, ZaloError
from bot.channels.zalo.constants import (
    BACKOFF_FIRST_SECONDS,
    ERROR_QUOTA_EXCEEDED,
    MAX_IN_FLIGHT,
    POLL_BACKOFF_MAX_SECONDS,
    POLL_TIMEOUT_SECONDS,
)
from bot.channels.zalo.handler import parse_event

log = logging.getLogger("hocai.zalo")

Handle = Callable[[dict], Awaitable[None]]


class EventRunner:
    """Runs handlers concurrently across chats and one after another within a chat."""

    def __init__(self, handle: Handle, limit: int = MAX_IN_FLIGHT):
        self.handle = handle
        self.limit = limit
        self.pending: set[asyncio.Task] = set()
        self._last: dict[str, asyncio.Task] = {}  # the newest task of each chat

    def submit(self, update: dict, after: Callable[[], Awaitable[None]] | None = None) -> None:
        """Handle `update` in its chat's turn, then run `after` (the inbox's done)."""
        event = parse_event(update)
        chat = event.chat_id if event else ""
        task = asyncio.create_task(self._run(self._last.get(chat), update, after))
        self._last[chat] = task
        self.pending.add(task)
        task.add_done_callback(lambda t: self._done(chat, t))

    async def _run(self, before: asyncio.Task | None, update: dict, after) -> None:
        if before is not None:
            await asyncio.wait([before])  # its outcome is its own business
        await handle_until_done(self.handle, update)
        if after is not None:
            await after()

    def _done(self, chat: str, task: asyncio.Task) -> None:
        self.pending.discard(task)
        if self._last.get(chat) is task:
            del self._last[chat]

    async def room(self) -> None:
        """Wait while MAX_IN_FLIGHT events are being handled."""
        while len(self.pending) >= self.limit:
            await asyncio.wait(set(self.pending), return_when=asyncio.FIRST_COMPLETED)

    async def drain(self, grace: float) -> None:
        """Let the events already fetched finish, for up to `grace` seconds."""
        if self.pending:
            _, late = await asyncio.wait(set(self.pending), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                log.warning("stopped with %d event(s) unfinished", len(late))
                await asyncio.wait(late)

    async def idle(self) -> None:
        """Wait until nothing is being handled."""
        while self.pending:
            await asyncio.wait(set(self.pending))


async def poll(
    client: ZaloClient,
    events: EventRunner,
    timeout: int = POLL_TIMEOUT_SECONDS,
    first_delay: float = BACKOFF_FIRST_SECONDS,
    max_delay: float = POLL_BACKOFF_MAX_SECONDS,
    inbox: Inbox | None = None,
) -> None:
    """Fetch and dispatch updates until cancelled. Errors are logged and waited out with
    a doubling delay (a 401 too: the client marks the channel unhealthy meanwhile)."""
    delay = first_delay
    while True:
        await events.room()
        try:
            updates = await client.get_updates(timeout)
        except ZaloError as e:
            if e.code == ERROR_QUOTA_EXCEEDED:
                log.warning("getUpdates: 429 quota exceeded, waiting %.1fs", delay)
            elif not e.unauthorized:  # the client already said why a 401 happens
                log.error("getUpdates failed: %s %s", e.code or "network", e.description)
        except Exception:  # a bug must not end polling for good
            log.exception("getUpdates loop failed")
        else:
            delay = first_delay
            for update in updates:
                if inbox is None:
                    events.submit(update)
                    continue
                row_id = await inbox.keep(update)
                events.submit(update, functools.partial(inbox.done, row_id))
            continue
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)
