"""The processes (docs/DEPLOY.md):

- `hocai serve`: the channels (webhooks, or a polling loop) and the web app: dashboard,
  admin API, /healthz, /readyz, /metrics. Any number behind a load balancer (webhook
  mode; a polling channel must run in one process only).
- `hocai worker`: the scheduler tick and the outbox dispatcher, plus /healthz, /readyz and
  /metrics on WEB_PORT. On Postgres the workers elect one leader (bot/process/leader.py); the
  others stand by. On SQLite there is one process and no election.
- `hocai run`: both in one process (small deployments; the console chat without tokens).
  Its worker half takes the same leader lock, so a `run` and a `worker` never both send.

SIGTERM (or Ctrl-C): stop taking work, finish what is in flight, exit 0. The web server
stops accepting connections and finishes the requests it has (a webhook update is handled
before its answer); the worker stops its scheduler, lets the sends that have begun finish,
and hands the rest back to the outbox; the leader lock is released last.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import cast

from bot import metrics
from bot.channels.base import ChannelService, Sender
from bot.config import Settings
from bot.engine import Engine
from bot.process.wiring import open_engine
from bot.process.worker import Worker
from storage import db

log = logging.getLogger("hocai.runner")


def configured_channels(settings: Settings, tutor: Engine) -> list[ChannelService]:
    services: list[ChannelService] = []
    if settings.telegram_bot_token:
        from bot.channels.telegram.service import TelegramService

        services.append(TelegramService(settings, tutor))
    if settings.zalo_bot_token:
        from bot.channels.zalo.service import ZaloService

        services.append(ZaloService(settings, tutor))
    if settings.zalo_oa_app_id:
        from bot.channels.zalo_oa.service import ZaloOAService

        services.append(ZaloOAService(settings, tutor))
    return services


def senders(services: list[ChannelService]) -> dict[str, Sender]:
    """The channels that can deliver queued messages (reminders, broadcasts)."""
    return {s.name: cast(Sender, s) for s in services if hasattr(s, "deliver")}


# --- the worker role ----------------------------------------------------------------------


class WorkerRole:
    """Runs a Worker while this process may: always on SQLite, while it holds the leader
    lock on Postgres. `leading` is what /healthz and /metrics report."""

    def __init__(self, settings: Settings, tutor: Engine, channel_senders: dict[str, Sender]):
        self.settings = settings
        self.tutor = tutor
        self.senders = channel_senders
        self.leading = False
        self.elected = not db.is_sqlite(settings.database_url)

    def status(self) -> dict:
        return {"worker": "leader" if self.leading else "standby"}

    def _set_leading(self, leading: bool) -> None:
        self.leading = leading
        metrics.LEADER.set(1 if leading else 0)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set."""
        if not self.elected:
            log.info("sqlite: one process, no leader election; this worker sends")
            self._set_leading(True)
            try:
                await self._work(stop)
            finally:
                self._set_leading(False)
            return
        from bot.process.leader import LeaderLock, lead

        lock = LeaderLock(
            self.settings.database_url,
            poll_seconds=self.settings.leader_poll_seconds,
            check_seconds=self.settings.leader_check_seconds,
        )
        await lead(lock, stop, lambda until, _lock: self._work(until, lock), self._set_leading)

    async def _work(self, until: asyncio.Event, lock=None) -> None:
        worker = Worker(self.settings, self.tutor, self.senders)
        await worker.start()
        log.info("worker started: %s", ", ".join(self.senders))
        try:
            await until.wait()
        finally:
            lost = lock is not None and lock.lost.is_set()
            # Lost the lock: another process may lead already, so stop at once (a send
            # that has begun is still recorded). Else the graceful stop.
            await worker.stop(grace=0 if lost else None)
            log.info("worker stopped")

    async def refresh_metrics(self) -> None:
        if self.leading:
            await metrics.refresh_outbox_depth(self.tutor.sessions)
        else:
            metrics.OUTBOX_DEPTH.clear()  # the leader reports it


# --- signals and the web server -----------------------------------------------------------


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` (the process then shuts down gracefully)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, _on_signal, stop, sig)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _on_signal(stop: asyncio.Event, sig: int) -> None:
    if not stop.is_set():
        log.info("%s: shutting down", signal.Signals(sig).name)
    stop.set()


def _uvicorn_server(app, settings: Settings):
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # The runner owns SIGTERM/SIGINT (stop_on_signals): uvicorn would re-raise
            # the signal after its own shutdown and end the process before the worker
            # and the channels are stopped.
            yield

        def install_signal_handlers(self) -> None:  # uvicorn < 0.29
            pass

    config = uvicorn.Config(
        app,
        host=settings.web_host,
        port=settings.web_port,
        log_level="warning",
        log_config=None,  # our handlers (bot/logs.py): JSON lines like every other log
        access_log=False,
        timeout_graceful_shutdown=max(1, int(settings.shutdown_grace_seconds)),
    )
    return Server(config)


async def serve_until(
    settings: Settings,
    stop: asyncio.Event,
    app,
    role: WorkerRole | None = None,
) -> None:
    """Serve `app` (and run the worker role) until `stop` is set, then shut down in
    order: the web server finishes its requests, the worker its sends."""
    server = _uvicorn_server(app, settings)
    web = asyncio.create_task(server.serve(), name="web")
    work = asyncio.create_task(role.run(stop), name="worker-role") if role else None
    waiter = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait(
            [t for t in (web, work, waiter) if t], return_when=asyncio.FIRST_COMPLETED
        )
        if waiter not in done:  # the web server or the worker ended on its own
            for task in done:
                if (error := task.exception()) is not None:
                    raise error
            log.error("a part of this process stopped unexpectedly: shutting down")
        stop.set()
        server.should_exit = True
        await asyncio.gather(*(t for t in (web, work) if t))
    finally:
        waiter.cancel()
        for part in (web, work):
            if part and not part.done():
                part.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await part


async def serve_channels(
    settings: Settings,
    tutor: Engine,
    services: list[ChannelService],
    with_worker: bool = True,
    stop: asyncio.Event | None = None,
) -> None:
    """Start every channel and serve the web app: webhooks, the admin dashboard and API,
    /healthz, /readyz, /metrics (polling channels run their loops beside it). With the
    worker, reminders and broadcasts are queued and sent from this process too."""
    from bot.web.app import create_app

    stop = stop or asyncio.Event()
    role = WorkerRole(settings, tutor, senders(services)) if with_worker else None
    for service in services:
        await service.start()
    try:
        app = create_app(
            services,
            sessions=tutor.sessions,
            catalog=tutor.catalog,
            settings=settings,
            status=role.status if role else None,
            on_scrape=role.refresh_metrics if role else None,
        )
        await serve_until(settings, stop, app, role)
    finally:
        for service in services:
            await service.stop()


def _prepare(tutor: Engine) -> None:
    metrics.instrument_llm(tutor.answerer)
    # A serving process indexes the lessons for the tutor now (about a second) rather than
    # on the first learner's question; `hocai chat` keeps it lazy for a fast start.
    tutor.answerer.retriever  # noqa: B018


async def run(settings: Settings) -> int:
    """`hocai run`: serve + worker in one process; the console chat without tokens."""
    async with open_engine(settings) as tutor:
        services = configured_channels(settings, tutor)
        if not services:
            from bot.channels import console

            await console.run(tutor)
            return 0
        _prepare(tutor)
        log.info("starting channels: %s", ", ".join(s.name for s in services))
        stop = asyncio.Event()
        with stop_on_signals(stop):
            await serve_channels(settings, tutor, services, with_worker=True, stop=stop)
    return 0


async def serve(settings: Settings) -> int:
    """`hocai serve`: channels and the web app, no worker."""
    async with open_engine(settings) as tutor:
        services = configured_channels(settings, tutor)
        _prepare(tutor)
        polling = [s.name for s in services if getattr(s, "mode", "") == "polling"]
        if polling:
            log.warning(
                "%s in polling mode: run one serve process only (webhook mode scales)",
                ", ".join(polling),
            )
        if not services:
            log.warning("no channel configured: serving the dashboard, API and probes only")
        stop = asyncio.Event()
        with stop_on_signals(stop):
            await serve_channels(settings, tutor, services, with_worker=False, stop=stop)
    return 0


async def work(settings: Settings) -> int:
    """`hocai worker`: the scheduler tick and the outbox dispatcher (when elected), and
    /healthz, /readyz, /metrics on WEB_PORT; no webhooks, no dashboard."""
    from bot.web.app import create_app

    async with open_engine(settings) as tutor:
        services = configured_channels(settings, tutor)
        channel_senders = senders(services)
        if not channel_senders:
            log.error("no channel configured: set TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN or ZALO_OA_*")
            return 2
        role = WorkerRole(settings, tutor, channel_senders)
        # Channels are not started here (no polling, no webhook): only their senders are
        # used, so /readyz checks the database and the migrations.
        app = create_app(
            [],
            sessions=tutor.sessions,
            status=role.status,
            on_scrape=role.refresh_metrics,
        )
        stop = asyncio.Event()
        try:
            with stop_on_signals(stop):
                await serve_until(settings, stop, app, role)
        finally:
            for service in services:
                await service.stop()
    return 0
