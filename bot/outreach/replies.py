"""Replies recorded in the outbox, in the same transaction as the state change they
answer, then sent by the process that handled the update right after the commit.

A reply row is written as 'sending', leased to that process for REPLY_LEASE_SECONDS
(settings.reply_lease_seconds). After the send the process marks it: 'sent', 'blocked'
(the chat refused us), or 'pending' with the messages that did not go (the dispatcher
retries them with its back-off). A process that dies between the commit and the mark
leaves the row 'sending'; when its lease runs out the outbox dispatcher of the worker
(bot/outreach/dispatcher.py) claims it like any other row and sends it: the sweeper is the
dispatcher, nothing new runs for it. Marks are group-committed (one transaction for the
marks that arrive while the previous one commits), so the cost per update is one INSERT
in the update's own transaction and a share of one UPDATE, plus one more for each
message of the reply after the first (each sent message is struck off the row before
the next goes, so a crash mid-reply resends only the rest).

At least once, never twice in practice: a reply is sent again only if the process dies,
or the database stays out of reach for the whole lease, in the moment between the
platform accepting it and the mark being committed (the platforms have no idempotency
key to close that gap). docs/DEPLOY.md, "Outages".
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from time import monotonic
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.failures import is_infrastructure
from bot.messages import Outbound
from bot.outreach import outbox
from storage import db
from storage.models import OutboxMessage, OutboxStatus
from storage.types import utcnow

log = logging.getLogger("hocai.replies")

KIND = "reply"  # outbox.kind of a recorded reply
# Default lease of a reply row: the model call (llm_timeout_seconds, 20 s by default) and
# a send's own retries (Telegram up to ~15 s, Zalo longer) fit well inside it.
REPLY_LEASE_SECONDS = 120.0
MARK_RETRY_FIRST = 0.2  # seconds before a failed mark is tried again; doubles
MARK_RETRY_MAX = 5.0


def dedup_key(channel: str, update_id: str) -> str:
    return f"r:{channel}:{update_id}"


def reply_key(update_id: str, window: float | None, now: datetime) -> str:
    """The update's key, made unique per claim for a windowed key (a content hash is
    claimed again once its window has passed)."""
    return update_id if window is None else f"{update_id}@{int(now.timestamp() * 1000)}"


@cache
def _insert_stmt():
    return insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id)


async def record(
    session,
    channel: str,
    update_id: str,
    user_id: str,
    messages: list[Outbound],
    *,
    now: datetime,
    lease: float,
    learner_id: int | None,
) -> int:
    """Insert the reply row (leased to this process) in the caller's transaction."""
    row = {
        "dedup_key": dedup_key(channel, update_id),
        "channel": channel,
        "user_id": user_id,
        "learner_id": learner_id,
        "kind": KIND,
        "broadcast_id": None,
        "messages": outbox.encode(messages),
        "status": OutboxStatus.sending,
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_until": now + timedelta(seconds=lease),
        "created_at": now,
    }
    return (await session.execute(_insert_stmt(), row)).scalar_one()


@dataclass(frozen=True)
class Sent:
    """What a channel managed to send of a recorded reply."""

    # sent | blocked | unsent (`remaining` did not go) | progress (what went is struck
    # off the row before the next message: a crash mid-reply resends only the rest)
    status: str = "sent"
    remaining: list[Outbound] = field(default_factory=list)


@dataclass
class _Mark:
    row_id: int
    values: dict
    done: asyncio.Future


class ReplyMarks:
    """Marks reply rows after their send, group-committed; a mark that meets a database
    outage is retried until the row's lease would run out. `inline`: SQLite's engine on
    the loop's thread (storage/db.py), tried first."""

    def __init__(
        self,
        engine: AsyncEngine,
        lease: float = REPLY_LEASE_SECONDS,
        inline: AsyncEngine | None = None,
    ):
        self.engine = engine
        self.inline = inline
        # Postgres: the marks' UPDATEs commit on their own (each row's mark stands alone),
        # one round trip instead of BEGIN, UPDATE, COMMIT.
        self._autocommit = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else None
        )
        self.lease = lease
        self._waiting: list[tuple[_Mark, float]] = []
        self._committer: asyncio.Task | None = None

    async def mark(self, row_id: int, sent: Sent, recorded_at: float) -> bool:
        """Record the outcome; True once committed. `recorded_at`: monotonic time of the
        reply's commit (the lease started then)."""
        now = utcnow()
        values: dict[str, Any]
        if sent.status == "progress":  # still sending: only `remaining` is left to send
            values = {"messages": outbox.encode(sent.remaining)}
        elif sent.status == "sent":
            values = {"status": OutboxStatus.sent, "sent_at": now, "claimed_until": None}
        elif sent.status == "blocked":
            values = {"status": OutboxStatus.blocked, "error": "403", "claimed_until": None}
        else:  # the dispatcher sends the rest, with its back-off
            values = {
                "status": OutboxStatus.pending,
                "messages": outbox.encode(sent.remaining),
                "next_attempt_at": now,
                "claimed_until": None,
                "error": "send failed after commit",
            }
        mark = _Mark(row_id, values, asyncio.get_running_loop().create_future())
        self._waiting.append((mark, recorded_at + self.lease))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.ensure_future(self._commit())
        try:
            await asyncio.shield(mark.done)
        except Exception as e:  # noqa: BLE001  (logged; the sweeper will send it again)
            log.error("reply row %s not marked: %s", row_id, type(e).__name__)
            return False
        return True

    async def _commit(self) -> None:
        delay = MARK_RETRY_FIRST
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                await self._write([m for m, _ in group])
            except Exception as e:  # noqa: BLE001
                now = monotonic()
                keep = [(m, d) for m, d in group if is_infrastructure(e) and now + delay < d]
                kept = {id(m) for m, _ in keep}
                for m, _ in group:
                    if id(m) not in kept and not m.done.done():
                        m.done.set_exception(e)
                if keep:
                    log.warning("reply marks: %s, retrying in %.1fs", type(e).__name__, delay)
                    self._waiting = keep + self._waiting
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MARK_RETRY_MAX)
                continue
            delay = MARK_RETRY_FIRST
            for m, _ in group:
                if not m.done.done():
                    m.done.set_result(None)

    async def _write(self, marks: list[_Mark]) -> None:
        by_keys: dict[tuple, list[dict]] = {}
        for m in sorted(marks, key=lambda m: m.row_id):  # one lock order with other writers
            params = {"b_id": m.row_id, **{f"b_{k}": v for k, v in m.values.items()}}
            by_keys.setdefault(tuple(sorted(m.values)), []).append(params)
        if self.inline is not None:
            try:
                async with self.inline.begin() as conn:
                    for keys, rows in by_keys.items():
                        await conn.execute(_mark_stmt(keys), rows)
                return
            except OperationalError as e:
                if not db.gave_way(e):
                    raise
        if self._autocommit is not None:
            async with self._autocommit.connect() as conn:
                for keys, rows in by_keys.items():
                    await conn.execute(_mark_stmt(keys), rows)
            return
        async with self.engine.begin() as conn:
            for keys, rows in by_keys.items():
                await conn.execute(_mark_stmt(keys), rows)


@cache
def _mark_stmt(keys: tuple[str, ...]):
    # Only a row still 'sending': if the lease ran out and the dispatcher took it over,
    # its outcome is the dispatcher's to write.
    t = OutboxMessage.__table__
    return (
        t.update()
        .where(t.c.id == bindparam("b_id"), t.c.status == OutboxStatus.sending)
        .values({k: bindparam(f"b_{k}") for k in keys})
    )


# Reply rows are kept a day after they are decided (for the outbox depth and support
# questions), then deleted by the worker's hourly prune; at one row per update they would
# otherwise grow without bound.
KEEP_DECIDED = timedelta(days=1)
PRUNE_BATCH = 10_000


async def prune(sessions, before: datetime) -> int:
    """Delete decided reply rows created before `before`, a batch per transaction."""
    from sqlalchemy import delete, select

    t = OutboxMessage.__table__
    decided = [OutboxStatus.sent, OutboxStatus.blocked, OutboxStatus.failed]
    total = 0
    while True:
        batch = (
            select(t.c.id)
            .where(t.c.kind == KIND, t.c.status.in_(decided), t.c.created_at < before)
            .limit(PRUNE_BATCH)
        )
        async with sessions() as session, session.begin():
            n = (await session.execute(delete(t).where(t.c.id.in_(batch)))).rowcount
        total += n
        if n < PRUNE_BATCH:
            return total
