"""Sends the outbox through the channels at their rate limits.

- per channel: at most `rate` messages in any one second (RateLimiter: paced, with a
  hard cap per one-second window), and a 429 pauses the whole channel for retry_after;
- per chat: at most one message a second (the platforms' per-chat limit);
- 403: the learner is marked unreachable and the row is 'blocked';
- a sender may skip a message on purpose (the Zalo OA outside its 48-hour window): the
  row is 'skipped' with the reason in `error`, never retried;
- other failures: retried with exponential back-off, 'failed' after MAX_ATTEMPTS;
- broadcast rows (broadcast_id set) carry no text: it is read from the broadcast row,
  with its status at most every BROADCAST_RECHECK seconds; rows of a cancelled broadcast
  are skipped (the cancel marked them 'cancelled'; a 429 cannot make them pending again).

Each row is marked the moment its send returns, and its sender waits until that mark is
committed before it takes another row, so a dispatcher killed mid-broadcast leaves at
most the messages in flight (one per concurrent sender) undecided; their lease expires
and another dispatcher takes them. The marks are group-committed: those that arrive
while one transaction commits go together in the next (one statement per kind of
outcome; on Postgres one statement on a held connection), instead of a transaction per
row. run() claims the next batch while the last
rows of one are still being sent (run_once(follow=True)), so sending never pauses between
batches.

stop() stops taking work: a row whose send has not begun is handed back at once (pending
again, for any dispatcher), a send that has begun runs to its end and is recorded, even
if the dispatcher is cancelled meanwhile.
"""

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import asyncpg
from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot import metrics
from bot.channels.base import Delivery, Sender
from bot.messages import Outbound
from bot.outreach import outbox
from bot.outreach.broadcasts import body
from storage.models import (
    Broadcast,
    BroadcastStatus,
    Learner,
    LearnerStatus,
    OutboxMessage,
    OutboxStatus,
)
from storage.types import utcnow

log = logging.getLogger("hocai.dispatcher")

MAX_ATTEMPTS = 5
BACKOFF_FIRST = timedelta(seconds=5)
PER_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
CLAIM_BATCH = 200
IDLE_SLEEP = 1.0  # seconds to wait when nothing is due
BROADCAST_RECHECK = 1.0  # seconds a broadcast's status is trusted before it is read again
COMMIT_ATTEMPTS = 3  # a group commit that hits a deadlock or a dropped connection is retried
# A group smaller than a quarter of the senders waits up to COMMIT_LINGER seconds for
# company (rate-limited sending), and goes as soon as it has it. At 500 msg/s a flat 5 ms
# wait made groups of ~7, a transaction every 14 ms: with a do-nothing sender, about a
# third of the dispatcher's CPU.
COMMIT_LINGER = 0.02
# Postgres, a group of plain "sent" marks: one statement on the driver's connection, its
# own transaction (one round trip; the ORM's pre-ping, BEGIN and COMMIT were five more).
SENT_SQL = (
    "UPDATE outbox SET status = 'sent', sent_at = $2, error = NULL, claimed_until = NULL,"
    " attempts = attempts + 1 WHERE id = ANY($1::bigint[])"
)
# What a failed write on the held connection may raise (the driver's own errors; a
# connection the server ended while idle says InternalClientError until it is closed).
RAW_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
RAW_ERRORS += (asyncpg.InternalClientError,)


@dataclass
class _Mark:
    """One row's outcome, waiting to be committed."""

    row_id: int
    values: dict  # outbox columns
    only_if_sending: bool  # back to pending only if no cancel marked it meanwhile
    learner_id: int | None
    learner: dict | None  # learner columns (unreachable, the choices on screen)
    done: asyncio.Future


INFLIGHT_GRACE = 30.0  # seconds a cancelled dispatcher waits for the sends it began


class RateLimiter:
    """At most `rate` sends a second, with a pause (429). 0: uncapped.

    Two rules together. Pacing: a token bucket refilled at `rate` that holds at most a
    tenth of a second's worth, so time lost to a busy event loop is caught up while sends
    stay spread out. The hard cap: a log of the sends of the last second, and none while
    it holds `rate` of them, so no one-second window ever holds more than the rate (a
    bucket alone lets an idle moment's tokens and the next second's refill add up; a
    bucket of one token keeps to the rate but loses every late wake-up for good).
    """

    CATCH_UP = 0.1  # seconds of sends the bucket may hold
    # Shortest wait between two polls: at a high rate a wake-up lets the few sends due by
    # then go together, instead of the process waking for each one (every 2 ms at 500
    # msg/s); on a busy machine a wake-up costs about as much CPU as a send. A rate below
    # 100 msg/s waits longer than this anyway.
    TICK = 0.01

    def __init__(self, rate: float, monotonic: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.monotonic = monotonic
        self.capacity = max(1.0, rate * self.CATCH_UP) if rate else 0.0
        self.tokens = min(rate, 1.0) if rate else 0.0
        self.updated = monotonic()
        self.paused_until = 0.0
        self.window = max(1, int(rate)) if rate else 0  # sends allowed per span
        self.span = self.window / rate if rate else 0.0  # 1 s (longer for a rate below 1)
        self.sent: deque[float] = deque()
        self._waiting = asyncio.Lock()  # one waiter polls; the others queue behind it

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.monotonic() + seconds)

    async def acquire(self) -> None:
        if self.try_acquire():
            return
        async with self._waiting:  # not 32 senders each waking up every millisecond
            while (wait := self._take()) is not None:
                await asyncio.sleep(wait)

    def try_acquire(self) -> bool:
        """Take a send now if one is free, without waiting."""
        return self._take() is None

    def _take(self) -> float | None:
        """None: a send is taken; else how long to wait before asking again."""
        now = self.monotonic()
        if now < self.paused_until:
            return self.paused_until - now
        if not self.rate:  # 0 = uncapped
            return None
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        while self.sent and self.sent[0] <= now - self.span:
            self.sent.popleft()
        full = len(self.sent) >= self.window
        if self.tokens >= 1 and not full:
            self.tokens -= 1
            self.sent.append(now)
            return None
        wait = (1 - self.tokens) / self.rate if self.tokens < 1 else 0.0
        if full:
            wait = max(wait, self.sent[0] + self.span - now)
        return max(wait, self.TICK)


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        senders: dict[str, Sender],
        rates: dict[str, float],
        clock: Callable[[], datetime] = utcnow,
        concurrency: int = 32,
        lease: timedelta = outbox.LEASE,
    ):
        self.sessions = sessions
        self.engine: AsyncEngine = sessions.kw["bind"]  # the group commit's (Core) connections
        self.senders = senders
        self.limiters = {name: RateLimiter(rates.get(name, 0)) for name in senders}
        self.clock = clock
        self.concurrency = concurrency
        self.lease = lease
        # Claim no more than the channels can send in half a lease, so a batch is sent
        # (or handed back) before its lease runs out.
        capped = [r for name, r in rates.items() if name in senders and r > 0]
        lease_s = lease.total_seconds()
        self.batch = max(1, min(CLAIM_BATCH, int(min(capped) * lease_s / 2))) if capped else None
        self.last_to_chat: dict[tuple[str, str], float] = {}
        self.stopping = asyncio.Event()
        self._inflight: set[asyncio.Task] = set()  # sends begun (shielded)
        # broadcast id -> (status, messages), or None for no such broadcast; when read
        self._broadcasts: dict[int, tuple[str, list] | None] = {}
        self._broadcasts_read: dict[int, float] = {}
        self._broadcasts_lock = asyncio.Lock()
        self._marks: list[_Mark] = []  # waiting for the next group commit
        self._committer: asyncio.Task | None = None
        self._group = max(2, concurrency // 4)  # marks a group need not wait beyond
        self._grouped = asyncio.Event()  # set when the waiting marks make a group
        # Postgres: the group commits' connection, held while run_once runs (no pool
        # checkout and pre-ping per group); dropped after any error, reopened on demand.
        self._pg = self.engine.dialect.name == "postgresql"
        self._marks_conn = _Held(self.engine)
        self._claims_conn = _Held(self.engine)  # claims run beside the group commits
        self._running = 0  # run_once calls under way

    async def run(self) -> None:
        """Send until stop() is called."""
        while not self.stopping.is_set():
            sent = await self.run_once(follow=True)
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), IDLE_SLEEP)

    def stop(self) -> None:
        """Take no new row; the sends that have begun finish (see run_once)."""
        self.stopping.set()

    async def run_once(self, limit: int = CLAIM_BATCH, follow: bool = False) -> int:
        """Claim one batch of due rows and send them. Returns how many were handled.

        follow: claim the next batch as soon as fewer than half a batch of rows wait for
        a sender, and so on while rows are due, so the senders do not stand idle while a
        batch's last marks are committed and the next batch is claimed (a claim took
        0.1-0.3 s of Postgres time with 100,000 rows due: more than half a batch lasts at
        500 msg/s). At most a batch and a half wait claimed beside the sends in flight;
        a batch is at most half a lease of sending, so each row goes out within 3/4 of
        its lease. A stop hands them all back."""
        if self.stopping.is_set():
            return 0
        self._running += 1
        try:
            return await self._run_once(min(limit, self.batch or limit), follow)
        finally:
            self._running -= 1
            if not self._running:
                await self._claims_conn.drop()
                if self._committer is None or self._committer.done():
                    await self._marks_conn.drop()

    async def _run_once(self, limit: int, follow: bool) -> int:
        rows = await self._claim(limit)
        if not rows:
            return 0
        handled = len(rows)
        queue: asyncio.Queue[OutboxMessage] = asyncio.Queue()
        for r in rows:
            queue.put_nowait(r)
        low = asyncio.Event()  # fewer than half a batch of rows wait for a sender
        unsent: list[int] = []
        workers = [
            asyncio.create_task(self._worker(queue, unsent, low, limit // 2))
            for _ in range(self.concurrency)
        ]
        try:
            while follow:
                await low.wait()
                low.clear()
                if self.stopping.is_set():
                    break
                claim = asyncio.ensure_future(self._claim(limit))
                try:
                    rows = await asyncio.shield(claim)
                except asyncio.CancelledError:  # what it claimed goes back with the rest
                    with contextlib.suppress(Exception):
                        unsent += [r.id for r in await claim]
                    raise
                if not rows:
                    break
                handled += len(rows)
                for r in rows:
                    queue.put_nowait(r)
            await queue.join()
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            unsent += [queue.get_nowait().id for _ in range(queue.qsize())]
            if self._inflight:  # cancelled: the sends that began are recorded first
                await asyncio.wait(set(self._inflight), timeout=INFLIGHT_GRACE)
            if unsent:  # stopped early: hand the rows not begun back at once
                await self._release(unsent)
        return handled

    async def _claim(self, limit: int) -> list:
        if self._pg:
            for attempt in (1, 2):  # once more on a new connection, as the pool's pre-ping
                try:
                    raw = await self._claims_conn.raw()
                    return await outbox.claim_pg(
                        raw, self.clock(), limit, list(self.senders), lease=self.lease
                    )
                except RAW_ERRORS as e:  # a claim that did commit is a lease that expires
                    await self._claims_conn.drop(invalidate=True)
                    if attempt == 2:
                        raise
                    log.warning("outbox claim: %s, retrying", type(e).__name__)
                except BaseException:  # a connection in an unknown state is not kept
                    await self._claims_conn.drop(invalidate=True)
                    raise
        async with self.sessions() as session, session.begin():
            rows = await outbox.claim(
                session, self.clock(), limit, list(self.senders), lease=self.lease
            )
            session.expunge_all()
        return rows

    async def _worker(
        self, queue: asyncio.Queue, unsent: list[int], low: asyncio.Event, low_water: int
    ) -> None:
        while True:
            row = await queue.get()
            if queue.qsize() <= low_water:
                low.set()
            begun = False
            try:
                if not await self._turn(row):  # stopping: not begun, handed back
                    unsent.append(row.id)
                    continue
                begun = True
                # Shielded: once a send starts, its outcome is recorded even if this
                # dispatcher is being cancelled, so a stop never leaves a sent row 'sending'.
                send = asyncio.ensure_future(self._send(row))
                self._inflight.add(send)
                send.add_done_callback(self._inflight.discard)
                await asyncio.shield(send)
            except asyncio.CancelledError:
                if not begun:
                    unsent.append(row.id)
                raise
            except Exception:
                log.exception("outbox row %s: unexpected error", row.id)
            finally:
                queue.task_done()

    async def _turn(self, row: OutboxMessage) -> bool:
        """Wait for this row's turn: one message a second per chat, the channel's rate,
        its 429 pause. False when the dispatcher is stopped first."""
        if self.stopping.is_set():
            return False
        key = (row.channel, row.user_id)
        now = time.monotonic()
        if (
            self.last_to_chat.get(key, -1e9) + PER_CHAT_INTERVAL <= now
            and self.limiters[row.channel].try_acquire()
        ):  # its turn is now: no tasks to make (the common case)
            self.last_to_chat[key] = now
            return True

        async def wait() -> None:
            delay = self.last_to_chat.get(key, -1e9) + PER_CHAT_INTERVAL - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.limiters[row.channel].acquire()

        turn = asyncio.ensure_future(wait())
        stopped = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({turn, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            turn.cancel()
            stopped.cancel()
        if self.stopping.is_set() or turn.cancelled() or not turn.done():
            return False
        self.last_to_chat[key] = time.monotonic()
        return True

    async def _release(self, ids: list[int]) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.sending)
                .values(status=OutboxStatus.pending, claimed_until=None)
            )

    async def _send(self, row: OutboxMessage) -> None:
        limiter = self.limiters[row.channel]
        messages = outbox.decode(row.messages)
        if row.broadcast_id is not None:
            found = await self._broadcast(row.broadcast_id)
            if found is not None and found[0] == BroadcastStatus.cancelled:
                return  # the cancel marked this row; nothing to send or record
            if not messages:
                if found is None:
                    await self._record(row, Delivery("failed", error="no broadcast"), [])
                    return
                messages = found[1]
        try:
            result = await self.senders[row.channel].deliver(row.user_id, messages)
        except Exception as e:  # a sender bug must not stop the dispatcher
            log.exception("deliver failed on %s", row.channel)
            result = Delivery("failed", error=type(e).__name__)
        metrics.observe_send(row.channel, row.kind, result.status)
        if result.status == "retry" and result.retry_after:
            limiter.pause(result.retry_after)
        await self._record(row, result, messages)

    async def _broadcast(self, broadcast_id: int) -> tuple[str, list] | None:
        """(status, messages) of a broadcast, read again after BROADCAST_RECHECK seconds."""

        def fresh() -> bool:
            read = self._broadcasts_read.get(broadcast_id)
            return read is not None and time.monotonic() - read < BROADCAST_RECHECK

        if not fresh():
            async with self._broadcasts_lock:
                if not fresh():
                    async with self.sessions() as session:
                        found = (
                            await session.execute(
                                select(Broadcast.status, Broadcast.text, Broadcast.link).where(
                                    Broadcast.id == broadcast_id
                                )
                            )
                        ).first()
                    self._broadcasts[broadcast_id] = (
                        (found.status, [Outbound(body(found.text, found.link))]) if found else None
                    )
                    self._broadcasts_read[broadcast_id] = time.monotonic()
        return self._broadcasts.get(broadcast_id)

    async def _record(self, row: OutboxMessage, result: Delivery, messages) -> None:
        now = self.clock()
        values: dict = {"claimed_until": None, "attempts": row.attempts + 1}
        if result.status == "sent":
            values |= {"status": OutboxStatus.sent, "sent_at": now, "error": None}
        elif result.status == "blocked":
            values |= {"status": OutboxStatus.blocked, "error": result.error[:200] or "403"}
        elif result.status == "skipped":  # on purpose: no retry, the reason kept
            values |= {"status": OutboxStatus.skipped, "error": result.error[:200] or "skipped"}
        elif result.status == "retry" or (
            result.status == "failed" and row.attempts + 1 < MAX_ATTEMPTS
        ):
            # A 429 is no failure of the message: it does not count as an attempt.
            if result.status == "retry":
                values["attempts"] = row.attempts
                delay = timedelta(seconds=result.retry_after or 1)
            else:
                delay = BACKOFF_FIRST * (2**row.attempts)
            values |= {
                "status": OutboxStatus.pending,
                "next_attempt_at": now + delay,
                "error": result.error[:200] or None,
            }
        else:
            values |= {"status": OutboxStatus.failed, "error": result.error[:200] or "failed"}
        learner = None
        if row.learner_id is not None and result.status == "blocked":
            learner = {"status": LearnerStatus.unreachable}
        elif row.learner_id is not None and result.status == "sent":
            offered = [m.choices for m in messages if m.choices]
            if offered:  # typed numbers now refer to this message's choices
                learner = {"choices": [[c.label, c.action] for c in offered[-1]]}
        mark = _Mark(
            row.id,
            values,
            values["status"] == OutboxStatus.pending,
            row.learner_id,
            learner,
            asyncio.get_running_loop().create_future(),
        )
        self._marks.append(mark)
        if len(self._marks) >= self._group:
            self._grouped.set()
        if self._committer is None or self._committer.done():
            self._committer = asyncio.ensure_future(self._commit_marks())
        await mark.done  # committed: only now may this sender take another row

    async def _commit_marks(self) -> None:
        """Commit the waiting marks, a group per transaction, until none are left."""
        try:
            await self._commit_groups()
        finally:
            if not self._running:  # run_once has returned: nobody will drop it
                await self._marks_conn.drop()

    async def _commit_groups(self) -> None:
        while self._marks:
            if len(self._marks) < self._group:  # a transaction per row costs more
                self._grouped.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._grouped.wait(), COMMIT_LINGER)
            marks, self._marks = self._marks, []
            for attempt in range(1, COMMIT_ATTEMPTS + 1):
                try:
                    await self._write_marks(marks)
                except (DBAPIError, *RAW_ERRORS) as e:
                    if attempt < COMMIT_ATTEMPTS:
                        cause = e.orig if isinstance(e, DBAPIError) else e
                        log.warning("outbox marks: %s, retrying", type(cause).__name__)
                        await asyncio.sleep(0.05 * attempt)
                        continue
                    error: BaseException | None = e
                except Exception as e:  # noqa: BLE001  (handed to the waiting senders)
                    error = e
                else:
                    error = None
                for mark in marks:
                    if not mark.done.done():
                        if error is None:
                            mark.done.set_result(None)
                        else:
                            mark.done.set_exception(error)
                break

    async def _write_marks(self, marks: list[_Mark]) -> None:
        """One transaction: an executemany per kind of outcome, rows in id order (a
        consistent lock order with other writers).

        On a Core connection with statements built once (see _sent_stmt, _update_stmt):
        an ORM session and a freshly built statement per group cost more CPU than the
        UPDATE itself (about 2.5 ms against 1.2 ms a transaction on the benchmark
        machine, docs/PERFORMANCE.md), and there are thousands of groups a broadcast.
        On Postgres the groups share one connection held while run_once runs, and a group
        of plain "sent" marks, nearly every group of a broadcast, is one statement on the
        driver itself (SENT_SQL): one round trip instead of six (the pool's pre-ping is a
        BEGIN, a query and a ROLLBACK; then BEGIN, UPDATE, COMMIT). The senders wait for
        their marks, so each round trip was paid in the rate (docs/PERFORMANCE.md)."""
        # The common case, a plain "sent", is one statement for the whole group.
        sent = sorted(
            (m for m in marks if m.values["status"] == OutboxStatus.sent and not m.learner),
            key=lambda m: m.row_id,
        )
        rows: dict[tuple, list[dict]] = defaultdict(list)
        learners: dict[tuple, list[dict]] = defaultdict(list)
        sent_ids = {m.row_id for m in sent}
        for m in sorted(marks, key=lambda m: m.row_id):
            if m.row_id in sent_ids:
                continue
            rows[(tuple(sorted(m.values)), m.only_if_sending)].append(
                {"b_id": m.row_id, **{f"b_{k}": v for k, v in m.values.items()}}
            )
            if m.learner:
                learners[tuple(sorted(m.learner))].append(
                    {"b_id": m.learner_id, **{f"b_{k}": v for k, v in m.learner.items()}}
                )
        if not self._pg:
            async with self.engine.begin() as conn:
                await self._write_groups(conn, sent, rows, learners)
            return
        try:
            if sent and not rows and not learners:  # the common case: one round trip
                raw = await self._marks_conn.raw()
                sent_at = max(m.values["sent_at"] for m in sent)
                await raw.execute(SENT_SQL, [m.row_id for m in sent], sent_at)
                return
            conn = await self._marks_conn.connection()
            async with conn.begin():
                await self._write_groups(conn, sent, rows, learners)
        except BaseException:  # a connection in an unknown state is not kept
            await self._marks_conn.drop(invalidate=True)
            raise

    @staticmethod
    async def _write_groups(
        conn: AsyncConnection,
        sent: list[_Mark],
        rows: dict[tuple, list[dict]],
        learners: dict[tuple, list[dict]],
    ) -> None:
        if sent:
            await conn.execute(
                _sent_stmt(),
                {
                    "ids": [m.row_id for m in sent],
                    "sent_at": max(m.values["sent_at"] for m in sent),
                },
            )
        for (keys, only_if_sending), params in rows.items():
            await conn.execute(_update_stmt("outbox", keys, only_if_sending), params)
        for keys, params in sorted(learners.items()):
            await conn.execute(
                _update_stmt("learner", keys), sorted(params, key=lambda p: p["b_id"])
            )


class _Held:
    """A pooled connection kept between uses (Postgres: no checkout and pre-ping per
    use), for one task at a time; dropped after any error and opened again on demand."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.conn: AsyncConnection | None = None

    async def connection(self) -> AsyncConnection:
        if self.conn is None:
            self.conn = await self.engine.connect()
        return self.conn

    async def raw(self) -> asyncpg.Connection:
        raw = (await (await self.connection()).get_raw_connection()).driver_connection
        if raw.is_closed():  # ended by the server while it was kept
            await self.drop(invalidate=True)
            raw = (await (await self.connection()).get_raw_connection()).driver_connection
        return raw

    async def drop(self, invalidate: bool = False) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                if invalidate:
                    await conn.invalidate()
                await conn.close()


@cache
def _sent_stmt() -> Update:
    """Plain "sent" marks of one group: ids and sent_at bound at execution."""
    t = OutboxMessage.__table__
    return (
        t.update()
        .where(t.c.id.in_(bindparam("ids", expanding=True)))
        .values(
            status=OutboxStatus.sent,
            sent_at=bindparam("sent_at"),
            error=None,
            claimed_until=None,
            attempts=t.c.attempts + 1,  # each was claimed: none moved
        )
    )


@cache
def _update_stmt(table: str, keys: tuple[str, ...], only_if_sending: bool = False) -> Update:
    """UPDATE table SET key = :b_key, ... WHERE id = :b_id, for an executemany."""
    t = (OutboxMessage if table == "outbox" else Learner).__table__
    stmt = (
        t.update().where(t.c.id == bindparam("b_id")).values({k: bindparam(f"b_{k}") for k in keys})
    )
    if only_if_sending:  # back to pending only if no cancel marked it meanwhile
        stmt = stmt.where(t.c.status == OutboxStatus.sending)
    return stmt
