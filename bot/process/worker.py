"""The background side: an APScheduler tick that turns due work into outbox rows, and the
dispatcher that sends the outbox. Nothing is kept in memory that the database does not
also hold, so a worker can stop at any point and another carries on.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.channels.base import Sender
from bot.config import Settings, parse_quiet_hours
from bot.engine import Engine
from bot.outreach import reminders
from bot.outreach.dispatcher import Dispatcher

log = logging.getLogger("hocai.worker")

MAX_BATCHES_PER_TICK = 100  # bounded work per tick; the next tick continues


class Worker:
    def __init__(self, settings: Settings, tutor: Engine, senders: dict[str, Sender]):
        self.settings = settings
        self.tutor = tutor
        rates = {
            "telegram": settings.telegram_rate,
            "zalo": settings.zalo_rate,
            "zalo_oa": settings.zalo_oa_rate,
        }
        lease = timedelta(seconds=settings.outbox_lease_seconds)
        self.dispatcher = Dispatcher(tutor.sessions, senders, rates, clock=tutor.clock, lease=lease)
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.quiet = parse_quiet_hours(settings.quiet_hours)
        self._dispatch_task: asyncio.Task | None = None
        self._tick_task: asyncio.Task | None = None  # the tick running now, if any

    async def tick(self) -> int:
        """Queue everything due now. Returns the number of messages queued."""
        reminded = await reminders.drain(
            self.tutor.sessions,
            self.tutor.catalog,
            self.tutor.clock,
            tz=self.tutor.tz,
            quiet=self.quiet,
            max_batches=MAX_BATCHES_PER_TICK,
        )
        queued = reminded.queued
        if queued:
            log.info("tick queued %d reminders", queued)
        # Broadcasts: start the due ones, queue recipients a batch per transaction, finish
        # and report the decided ones. A broadcast keeps at most two ticks' worth of sends
        # pending, so reminders queued meanwhile are not held back behind all of it.
        from bot.outreach import broadcasts

        s = self.settings
        rates = (s.telegram_rate, s.zalo_rate)
        ahead = 2 * s.scheduler_tick_seconds * max(rates)
        backlog = None if not all(rates) else max(broadcasts.BATCH, int(ahead))
        announced = 0
        for _ in range(MAX_BATCHES_PER_TICK):
            n = await broadcasts.tick(
                self.tutor.sessions,
                self.tutor.catalog,
                self.tutor.clock(),
                settings=s,
                tz=self.tutor.tz,
                backlog=backlog,
            )
            announced += n
            if not n:
                break
        if announced:
            log.info("tick queued %d broadcast messages", announced)
        # Staff's weekly digest: nothing to do outside Monday morning's window.
        from bot.outreach import digest

        digests = await digest.tick(
            self.tutor.sessions,
            self.tutor.clock(),
            tz=self.tutor.tz,
            quiet=self.quiet,
            dashboard_url=f"{s.public_base_url.rstrip('/')}/quan-tri",
            stalled_after_ignored=s.stalled_after_ignored,
            stalled_after_days=s.stalled_after_days,
        )
        return queued + announced + digests

    async def start(self) -> None:
        self.scheduler.add_job(
            self._safe_tick,
            IntervalTrigger(seconds=self.settings.scheduler_tick_seconds),
            max_instances=1,
            coalesce=True,
            id="tick",
        )
        self._schedule_prune()
        self.scheduler.start()
        self._dispatch_task = asyncio.create_task(self.dispatcher.run(), name="dispatcher")
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._safe_tick()))

    async def _safe_tick(self) -> None:
        if self.dispatcher.stopping.is_set():
            return
        self._tick_task = asyncio.current_task()
        try:
            await self.tick()
        except Exception:  # a bad tick must not stop the scheduler
            log.exception("tick failed")
        finally:
            self._tick_task = None

    async def stop(self, grace: float | None = None) -> None:
        """Stop taking work and let what is in flight finish: the tick running now, the
        sends that have begun. Rows not begun go back to the outbox at once. After `grace`
        seconds (default SHUTDOWN_GRACE_SECONDS; 0: at once) the rest is cancelled: a
        cancelled tick rolls back, and a send already begun is still recorded."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.dispatcher.stop()
        grace = self.settings.shutdown_grace_seconds if grace is None else grace
        tasks = [t for t in (self._dispatch_task, self._tick_task) if t and not t.done()]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, Exception):
                log.error("worker task ended with %s", type(result).__name__)

    # --- pruning processed update ids (hourly, leader only like every job here) ---------

    def _schedule_prune(self) -> None:
        # First run a few minutes after start-up, not an hour: a worker restarted more
        # often than hourly (deploys, leader changes) still prunes.
        first = datetime.now(UTC) + timedelta(minutes=5)
        self.scheduler.add_job(
            self._safe_prune,
            IntervalTrigger(hours=1),
            next_run_time=first,
            max_instances=1,
            coalesce=True,
            id="prune_processed_updates",
        )

    async def _safe_prune(self) -> None:
        if self.dispatcher.stopping.is_set():
            return
        from storage.repository import prune_processed_updates

        days = self.settings.processed_update_retention_days
        try:
            before = self.tutor.clock() - timedelta(days=days)
            n = await prune_processed_updates(self.tutor.sessions, before)
        except Exception:  # a failed prune must not stop the scheduler
            log.exception("pruning processed update ids failed")
            return
        if n:
            log.info("pruned %d processed update ids older than %d days", n, days)
        from bot.outreach import replies

        try:
            n = await replies.prune(self.tutor.sessions, self.tutor.clock() - replies.KEEP_DECIDED)
        except Exception:  # noqa: BLE001
            log.exception("pruning sent replies failed")
            return
        if n:
            log.info("pruned %d sent replies", n)
