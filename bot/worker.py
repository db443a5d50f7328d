"""The background side: an APScheduler tick that turns due work into outbox rows, and the
dispatcher that sends the outbox. Nothing is kept in memory that the database does not
also hold, so a worker can stop at any point and another carries on.
"""

import asyncio
import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import reminders
from bot.channels.base import Sender
from bot.config import Settings, parse_quiet_hours
from bot.dispatcher import Dispatcher
from bot.engine import Tutor

log = logging.getLogger("hocai.worker")

MAX_BATCHES_PER_TICK = 100  # bounded work per tick; the next tick continues


class Worker:
    def __init__(self, settings: Settings, tutor: Tutor, senders: dict[str, Sender]):
        self.settings = settings
        self.tutor = tutor
        rates = {"telegram": settings.telegram_rate, "zalo": settings.zalo_rate}
        self.dispatcher = Dispatcher(tutor.sessions, senders, rates, clock=tutor.clock)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.quiet = parse_quiet_hours(settings.quiet_hours)
        self._dispatch_task: asyncio.Task | None = None

    async def tick(self) -> int:
        """Queue everything due now. Returns the number of messages queued."""
        queued = 0
        for _ in range(MAX_BATCHES_PER_TICK):
            n = await reminders.tick(
                self.tutor.sessions,
                self.tutor.catalog,
                self.tutor.clock(),
                tz=self.tutor.tz,
                quiet=self.quiet,
            )
            queued += n
            if not n:
                break
        if queued:
            log.info("tick queued %d reminders", queued)
        return queued

    async def start(self) -> None:
        self.scheduler.add_job(
            self._safe_tick,
            IntervalTrigger(seconds=self.settings.scheduler_tick_seconds),
            max_instances=1,
            coalesce=True,
            id="tick",
        )
        self.scheduler.start()
        self._dispatch_task = asyncio.create_task(self.dispatcher.run(), name="dispatcher")
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._safe_tick()))

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except Exception:  # a bad tick must not stop the scheduler
            log.exception("tick failed")

    async def stop(self) -> None:
        """Stop taking work; let the dispatcher finish the batch in flight."""
        self.scheduler.shutdown(wait=False)
        self.dispatcher.stop()
        if self._dispatch_task:
            await self._dispatch_task
