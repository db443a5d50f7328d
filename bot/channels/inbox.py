"""Events a polling channel has fetched, kept in the database until handled (the
inbox_event table). For a platform whose getUpdates has no offset to confirm (Zalo Bot
Platform): the event is written before it is handled and deleted after, which is what
committing an offset after handling would give; the events a dead process left are
handled at the next start. Handling is idempotent (update ids, content hashes), so an
event handled but not yet deleted when the process died is dropped as a duplicate.
"""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.failures import Unavailable, is_infrastructure
from storage.repository import Repository

log = logging.getLogger("hocai.inbox")

RETRY_FIRST_SECONDS = 0.5  # while the database is unreachable; doubles
RETRY_MAX_SECONDS = 10.0


class Inbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], channel: str):
        self.sessions = sessions
        self.channel = channel

    async def keep(self, body: dict) -> int:
        """Write the event; waits (retrying) while the database is unreachable, so the
        caller fetches nothing more from the platform meanwhile."""
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                async with self.sessions() as session, session.begin():
                    return await Repository(session).keep_inbox_event(self.channel, body)
            except Exception as e:
                if not is_infrastructure(e):
                    raise
                log.warning("inbox: database unavailable (%s), retrying", type(e).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def done(self, row_id: int) -> None:
        """Forget a handled event (best effort: a leftover is handled again, harmlessly)."""
        try:
            async with self.sessions() as session, session.begin():
                await Repository(session).forget_inbox_event(row_id)
        except Exception as e:  # noqa: BLE001
            log.warning("inbox: event %s not deleted (%s)", row_id, type(e).__name__)

    async def left(self) -> list[tuple[int, dict]]:
        """The events a previous process did not finish, oldest first."""
        async with self.sessions() as session:
            return await Repository(session).inbox_events(self.channel)


async def handle_until_done(handle, body: dict) -> None:
    """handle(body), again after a back-off while it raises Unavailable."""
    delay = RETRY_FIRST_SECONDS
    while True:
        try:
            await handle(body)
            return
        except Unavailable as e:
            log.warning("event waits for the database (%s)", e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)
