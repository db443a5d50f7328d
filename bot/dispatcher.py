"""Sends the outbox through the channels at their rate limits.

- per channel: at most `rate` messages a second (token bucket), and a 429 pauses the
  whole channel for retry_after;
- per chat: at most one message a second (the platforms' per-chat limit);
- 403: the learner is marked unreachable and the row is 'blocked';
- other failures: retried with exponential back-off, 'failed' after MAX_ATTEMPTS.

Each row is marked the moment its send returns, in its own short transaction, so a
dispatcher killed mid-broadcast leaves at most the message in flight undecided; its
lease expires and another dispatcher takes the row.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import outbox
from bot.channels.base import Delivery, Sender
from storage.models import Learner, LearnerStatus, OutboxMessage, OutboxStatus
from storage.types import utcnow

log = logging.getLogger("hocai.dispatcher")

MAX_ATTEMPTS = 5
BACKOFF_FIRST = timedelta(seconds=5)
PER_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
CLAIM_BATCH = 200
IDLE_SLEEP = 1.0  # seconds to wait when nothing is due


class RateLimiter:
    """A token bucket (rate per second, burst of one second's worth) with a pause."""

    def __init__(self, rate: float, monotonic: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.monotonic = monotonic
        self.tokens = min(rate, 1.0) if rate else 0.0
        self.updated = monotonic()
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.monotonic() + seconds)

    async def acquire(self) -> None:
        while True:
            now = self.monotonic()
            if now < self.paused_until:
                await asyncio.sleep(self.paused_until - now)
                continue
            if not self.rate:  # 0 = uncapped
                return
            self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.rate)


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        senders: dict[str, Sender],
        rates: dict[str, float],
        clock: Callable[[], datetime] = utcnow,
        concurrency: int = 32,
    ):
        self.sessions = sessions
        self.senders = senders
        self.limiters = {name: RateLimiter(rates.get(name, 0)) for name in senders}
        self.clock = clock
        self.concurrency = concurrency
        self.last_to_chat: dict[tuple[str, str], float] = {}
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        """Send until stop() is called."""
        while not self.stopping.is_set():
            sent = await self.run_once()
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), IDLE_SLEEP)

    def stop(self) -> None:
        self.stopping.set()

    async def run_once(self, limit: int = CLAIM_BATCH) -> int:
        """Claim one batch of due rows and send them. Returns how many were handled."""
        async with self.sessions() as session, session.begin():
            rows = await outbox.claim(session, self.clock(), limit, list(self.senders))
            session.expunge_all()
        if not rows:
            return 0
        queue: asyncio.Queue[OutboxMessage] = asyncio.Queue()
        for r in rows:
            queue.put_nowait(r)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.concurrency)]
        try:
            await queue.join()
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            if not queue.empty():  # stopped early: hand the unsent rows back at once
                await self._release([queue.get_nowait().id for _ in range(queue.qsize())])
        return len(rows)

    async def _worker(self, queue: asyncio.Queue) -> None:
        while True:
            row = await queue.get()
            try:
                # Shielded: once a send starts, its outcome is recorded even if this
                # dispatcher is being cancelled, so a stop never leaves a sent row 'sending'.
                await asyncio.shield(self._send(row))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox row %s: unexpected error", row.id)
            finally:
                queue.task_done()

    async def _release(self, ids: list[int]) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.sending)
                .values(status=OutboxStatus.pending, claimed_until=None)
            )

    async def _send(self, row: OutboxMessage) -> None:
        key = (row.channel, row.user_id)
        wait = self.last_to_chat.get(key, -1e9) + PER_CHAT_INTERVAL - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        limiter = self.limiters[row.channel]
        await limiter.acquire()
        self.last_to_chat[key] = time.monotonic()
        messages = outbox.decode(row.messages)
        try:
            result = await self.senders[row.channel].deliver(row.user_id, messages)
        except Exception as e:  # a sender bug must not stop the dispatcher
            log.exception("deliver failed on %s", row.channel)
            result = Delivery("failed", error=type(e).__name__)
        if result.status == "retry" and result.retry_after:
            limiter.pause(result.retry_after)
        await self._record(row, result, messages)

    async def _record(self, row: OutboxMessage, result: Delivery, messages) -> None:
        now = self.clock()
        values: dict = {"claimed_until": None, "attempts": row.attempts + 1}
        if result.status == "sent":
            values |= {"status": OutboxStatus.sent, "sent_at": now, "error": None}
        elif result.status == "blocked":
            values |= {"status": OutboxStatus.blocked, "error": result.error[:200] or "403"}
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
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values)
            )
            if row.learner_id is None:
                return
            learner = update(Learner).where(Learner.id == row.learner_id)
            if result.status == "blocked":
                await session.execute(learner.values(status=LearnerStatus.unreachable))
            elif result.status == "sent":
                offered = [m.choices for m in messages if m.choices]
                if offered:  # typed numbers now refer to this message's choices
                    choices = [[c.label, c.action] for c in offered[-1]]
                    await session.execute(learner.values(choices=choices))
