"""Leader election for workers: one Postgres session-level advisory lock.

Every `hocai worker` (and the worker half of `hocai run`) opens one dedicated connection
and tries `pg_try_advisory_lock(KEY)` on it. The process that gets the lock is the
leader and runs the scheduler and the dispatcher; the others stand by and try again every
`LEADER_POLL_SECONDS`. Postgres drops a session's advisory locks when the session ends, so
when the leader dies (even `kill -9`: the kernel closes its socket) a standby gets the lock
at its next try. The server also probes the lock connection with TCP keepalives (about
25 s) so a leader whose machine vanished from the network loses the lock too.

The leader checks its lock connection every `LEADER_CHECK_SECONDS`; when the connection
drops or stops answering it must stop working at once (`lost` is set): another process
may already hold the lock.

Correctness does not rest on the lock alone: outbox rows are claimed with
FOR UPDATE SKIP LOCKED under a lease, reminders likewise, and every outbox row has a
unique dedup key. The lock keeps one process sending at the channels' rate limits, and
makes the order of work predictable.

Advisory locks belong to one database, so several deployments can share a server. The
lock needs a real session: point workers at Postgres directly or through a pooler in
session mode (PgBouncer's transaction mode would drop it). SQLite needs none of this: one
process owns the file, so `hocai run` on SQLite works without an election.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger("hocai.leader")

KEY = 0x686F636169_0001  # "hocai" + 1: the worker leader lock
POLL_SECONDS = 5.0
CHECK_SECONDS = 5.0
CONNECT_TIMEOUT = 5.0
# Server-side TCP keepalives on the lock connection: a silent peer is dropped (and the
# lock freed) after idle + interval * count seconds.
KEEPALIVES = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5"}
KEEPALIVES |= {"tcp_keepalives_count": "3"}


def asyncpg_dsn(database_url: str) -> str:
    """postgresql+asyncpg://u:p@h/db?ssl=require -> postgresql://u:p@h/db?sslmode=require
    (asyncpg's own form: SQLAlchemy's `ssl` is libpq's `sslmode`)."""
    url = make_url(database_url).set(drivername="postgresql")
    query = dict(url.query)
    if "ssl" in query:
        query.setdefault("sslmode", query.pop("ssl"))
    return url.set(query=query).render_as_string(hide_password=False)


class LeaderLock:
    def __init__(
        self,
        database_url: str,
        *,
        key: int = KEY,
        poll_seconds: float = POLL_SECONDS,
        check_seconds: float = CHECK_SECONDS,
        name: str = "hocai-worker",
    ):
        self.dsn = asyncpg_dsn(database_url)
        self.key = key
        self.poll_seconds = poll_seconds
        self.check_seconds = check_seconds
        self.name = name
        self.lost = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self._held = False
        self._watch: asyncio.Task | None = None

    @property
    def held(self) -> bool:
        return self._held and not self.lost.is_set()

    async def _connect(self) -> asyncpg.Connection:
        settings = {"application_name": self.name, **KEEPALIVES}
        return await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT, server_settings=settings)

    async def try_acquire(self) -> bool:
        """One attempt. True when this process now holds the lock."""
        if self.held:
            return True
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await self._connect()
            got = await self._conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", self.key, timeout=CONNECT_TIMEOUT
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as e:
            log.warning("leader lock: database unreachable (%s)", type(e).__name__)
            await self._close()
            return False
        if not got:
            return False
        self._held = True
        self.lost = asyncio.Event()
        self._conn.add_termination_listener(lambda _conn: self.lost.set())
        self._watch = asyncio.create_task(self._watchdog(self._conn), name="leader-watchdog")
        return True

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Stand by until this process holds the lock (True) or `stop` is set (False)."""
        announced = False
        while not stop.is_set():
            if await self.try_acquire():
                return True
            if not announced:
                log.info("standing by: another worker is the leader")
                announced = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)
        return False

    async def _watchdog(self, conn: asyncpg.Connection) -> None:
        """Ask the lock connection every check_seconds; a failure means the lock is gone."""
        while not self.lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.lost.wait(), self.check_seconds)
            if self.lost.is_set():
                break
            try:
                await conn.fetchval("SELECT 1", timeout=self.check_seconds)
            except Exception as e:  # noqa: BLE001  (any failure: we no longer know we lead)
                log.error("leader lock connection failed (%s): stepping down", type(e).__name__)
                self.lost.set()
        if not conn.is_closed():
            conn.terminate()  # the server frees the lock as soon as it notices

    async def release(self) -> None:
        """Give the lock up (closing the session frees it) and stop watching."""
        self._held = False
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None or conn.is_closed():
            return
        try:
            await asyncio.wait_for(conn.close(), 2.0)
        except Exception:  # noqa: BLE001
            conn.terminate()


async def lead(
    lock: LeaderLock,
    stop: asyncio.Event,
    work: Callable[[asyncio.Event, LeaderLock], Awaitable[None]],
    on_change: Callable[[bool], None] = lambda leading: None,
) -> None:
    """Stand by until elected, run `work(until, lock)` while leading, and stand by again
    if the lock is lost; return once `stop` is set. `until` is set on stop or on loss of
    the lock, and `work` must then stop promptly (check `lock.lost` to tell which)."""
    while not stop.is_set():
        if not await lock.acquire(stop):
            break
        log.info("elected: this worker is the leader")
        on_change(True)
        until = asyncio.Event()

        async def relay(until: asyncio.Event) -> None:
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lock.lost.wait())]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
                until.set()

        relay_task = asyncio.create_task(relay(until), name="leader-relay")
        try:
            await work(until, lock)
        finally:
            relay_task.cancel()
            lost = lock.lost.is_set()
            await lock.release()
            on_change(False)
        if lost and not stop.is_set():
            log.warning("lost the leader lock: standing by")
