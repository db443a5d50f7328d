"""The leader lock (bot/process/leader.py) in one process, and the stop semantics of the
dispatcher and the worker that SIGTERM relies on."""

import asyncio
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import func, select

from bot.channels.base import Delivery
from bot.config import Settings
from bot.messages import Outbound
from bot.outreach import outbox
from bot.outreach.dispatcher import Dispatcher
from bot.process.leader import LeaderLock, asyncpg_dsn, lead
from bot.process.runner import WorkerRole
from storage import db
from storage.models import OutboxMessage, OutboxStatus
from storage.types import utcnow
from tests.production.cluster import wait_until


def lock(url: str) -> LeaderLock:
    return LeaderLock(url, poll_seconds=0.1, check_seconds=0.2)


async def test_one_leader_and_the_standby_takes_over_on_release(empty_pg):
    a, b = lock(empty_pg), lock(empty_pg)
    try:
        assert await a.try_acquire()
        assert not await b.try_acquire()  # standing by
        assert a.held and not b.held
        await a.release()
        stop = asyncio.Event()
        assert await asyncio.wait_for(b.acquire(stop), 5)
        assert not await a.try_acquire()
    finally:
        await a.release()
        await b.release()


async def test_a_dropped_lock_connection_means_stepping_down_at_once(empty_pg):
    a, b = lock(empty_pg), lock(empty_pg)
    admin = await asyncpg.connect(asyncpg_dsn(empty_pg))
    try:
        assert await a.try_acquire()
        pid = a._conn.get_server_pid()
        await admin.execute("SELECT pg_terminate_backend($1)", pid)  # e.g. a DB failover
        await asyncio.wait_for(a.lost.wait(), 5)
        assert not a.held
        assert await b.try_acquire()  # the server freed the lock with the session
    finally:
        await admin.close()
        await a.release()
        await b.release()


async def test_lead_runs_the_work_only_while_elected(empty_pg):
    first, second = lock(empty_pg), lock(empty_pg)
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    running: list[str] = []

    def work(name: str):
        async def run(until: asyncio.Event, _lock: LeaderLock) -> None:
            running.append(name)
            try:
                await until.wait()
            finally:
                running.remove(name)

        return run

    t1 = asyncio.create_task(lead(first, stop_first, work("first")))
    await wait_until(lambda: running == ["first"], "first leads", 5)
    t2 = asyncio.create_task(lead(second, stop_second, work("second")))
    await asyncio.sleep(0.5)
    assert running == ["first"]  # never both
    stop_first.set()  # the leader shuts down: the lock passes on
    await asyncio.wait_for(t1, 5)
    await wait_until(lambda: running == ["second"], "second leads", 5)
    stop_second.set()
    await asyncio.wait_for(t2, 5)
    assert running == []


async def test_on_sqlite_the_worker_role_needs_no_election(tmp_path):
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    role = WorkerRole(settings, tutor=None, channel_senders={})
    assert not role.elected
    assert role.status() == {"worker": "standby"}


class SlowSender:
    """Each delivery takes a moment; records what was delivered."""

    name = "telegram"

    def __init__(self):
        self.sent: list[str] = []

    async def deliver(self, user_id: str, messages: list[Outbound]) -> Delivery:
        await asyncio.sleep(0.05)
        self.sent.append(user_id)
        return Delivery("sent")


@pytest.mark.parametrize("cancel", [False, True])
async def test_a_stopped_dispatcher_finishes_in_flight_and_hands_back_the_rest(sessions, cancel):
    async with sessions() as s, s.begin():
        now = utcnow()
        rows = [
            outbox.row(f"k{i}", "telegram", str(5000 + i), [Outbound("x")], kind="t", now=now)
            for i in range(40)
        ]
        await outbox.enqueue_many(s, rows)
    sender = SlowSender()
    dispatcher = Dispatcher(
        sessions, {"telegram": sender}, {"telegram": 20}, lease=timedelta(seconds=600)
    )
    task = asyncio.create_task(dispatcher.run())
    await wait_until(lambda: len(sender.sent) >= 5, "5 sent", 10)
    dispatcher.stop()
    if cancel:  # the leader lost its lock: cut short, but sends begun are recorded
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    async with sessions() as s:
        stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        counts = {str(k): v for k, v in (await s.execute(stmt)).all()}
    assert counts.get(OutboxStatus.sending, 0) == 0  # nothing left leased
    assert counts[OutboxStatus.sent] == len(sender.sent) == len(set(sender.sent))
    assert counts[OutboxStatus.pending] == 40 - len(sender.sent)

    again = Dispatcher(sessions, {"telegram": sender}, {"telegram": 0})
    while await again.run_once():
        pass
    assert sorted(sender.sent) == sorted(str(5000 + i) for i in range(40))


async def test_the_migration_lock_lets_processes_start_together(empty_pg):
    engines = [db.make_engine(empty_pg) for _ in range(4)]
    try:
        await asyncio.gather(*(db.upgrade(e) for e in engines))
        assert await db.current_heads(engines[0]) == db.script_heads()
    finally:
        for e in engines:
            await e.dispose()


async def test_a_stopping_polling_service_finishes_the_updates_it_fetched(tutor, catalog):
    from bot.channels.telegram.service import TelegramService
    from tests.production.test_updates import SlowStandIn
    from tests.support.standins import running
    from tests.telegram.conftest import make_settings
    from tests.telegram.tg import TgChat

    api = SlowStandIn()
    api.delay = 0.3  # each reply takes a while to reach "Telegram"
    async with running(api):
        service = TelegramService(make_settings(api, mode="polling"), tutor)
        try:
            await service.start()
            learner = TgChat(api, None, catalog, chat_id=4401)
            api.push_update(learner.message_update(text="/start"))
            await wait_until(lambda: api.received("sendMessage") > 0, "the answer began", 10)
            await service.stop()  # SIGTERM while the update is being answered
            replies = api.called("sendMessage", chat_id=4401, ok=True)
            assert len(replies) == 2  # the whole answer went out before the stop returned
        finally:
            await service.stop()


def test_the_lock_connection_uses_asyncpg_s_form_of_the_url():
    url = "postgresql+asyncpg://hocai:pw@db:5432/hocai?ssl=require"
    assert asyncpg_dsn(url) == "postgresql://hocai:pw@db:5432/hocai?sslmode=require"
