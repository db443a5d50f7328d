"""The outbox dispatcher against the Telegram stand-in: rate, 429, 403, crash and restart."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from bot.channels.telegram.service import TelegramService
from bot.messages import Choice, Outbound
from bot.outreach import outbox, reminders
from bot.outreach.dispatcher import Dispatcher
from storage.models import Learner, LearnerStatus, OutboxMessage, OutboxStatus
from tests.support.clock import Clock
from tests.telegram.conftest import make_settings

NOW = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)


@pytest.fixture
def api(telegram_api):
    return telegram_api


@pytest.fixture
async def telegram(api, tutor):
    service = TelegramService(make_settings(api, mode="polling"), tutor)
    yield service
    await service.stop()


async def learners(sessions, n: int) -> list[Learner]:
    async with sessions() as s, s.begin():
        rows = [
            Learner(
                channel="telegram", channel_user_id=str(7000 + i), status="active", group_code="dan"
            )
            for i in range(n)
        ]
        s.add_all(rows)
    return rows


async def queue(
    sessions, rows: list[Learner], text: str = "Lớp học AI tối nay lúc 19:30.", choices=True
) -> None:
    choice = (Choice("Học ngay", "n"),) if choices else ()
    async with sessions() as s, s.begin():
        await outbox.enqueue_many(
            s,
            [
                outbox.row(
                    f"t:{r.id}",
                    r.channel,
                    r.channel_user_id,
                    [Outbound(text, choice)],
                    kind="broadcast",
                    now=NOW,
                    learner_id=r.id,
                )
                for r in rows
            ],
        )


async def statuses(sessions) -> dict[str, int]:
    async with sessions() as s:
        rows = list((await s.execute(select(OutboxMessage))).scalars())
    out: dict[str, int] = {}
    for r in rows:
        out[r.status] = out.get(r.status, 0) + 1
    return out


def sent_once_each(api, rows) -> None:
    for r in rows:
        ok = api.called("sendMessage", chat_id=int(r.channel_user_id), ok=True)
        assert len(ok) == 1, (r.channel_user_id, len(ok))


async def drain(dispatcher: Dispatcher, clock: Clock, rounds: int = 50) -> None:
    for _ in range(rounds):
        if not await dispatcher.run_once():
            clock.now += timedelta(seconds=5)  # let backed-off rows come due
            if not await dispatcher.run_once():
                return


async def test_sends_each_once_and_updates_the_choices(sessions, api, telegram):
    rows = await learners(sessions, 12)
    await queue(sessions, rows)
    clock = Clock(NOW)
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=clock)
    assert await dispatcher.run_once() == 12
    assert await statuses(sessions) == {OutboxStatus.sent: 12}
    sent_once_each(api, rows)
    call = api.called("sendMessage", chat_id=7000)[0]
    assert call.params["text"] == "Lớp học AI tối nay lúc 19:30."
    async with sessions() as s:
        learner = await s.get(Learner, rows[0].id)
    assert learner.choices == [["Học ngay", "n"]]  # typed "1" now means this button


async def test_the_rate_limit_holds_and_no_429_is_left(sessions, api, telegram):
    api.rate_limit = 12  # Telegram's side: more than 12 a second gets 429
    rows = await learners(sessions, 40)
    await queue(sessions, rows)
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 10}, clock=Clock(NOW))
    await dispatcher.run_once()
    assert await statuses(sessions) == {OutboxStatus.sent: 40}
    assert not [c for c in api.calls if c.status == 429]
    sends = sorted(c.at for c in api.called("sendMessage", ok=True))
    busiest = max(sum(1 for t in sends if s <= t < s + 1.0) for s in sends)
    assert busiest <= 11  # 10 a second, plus the one-token burst


async def test_a_429_storm_pauses_the_channel_and_everything_arrives(sessions, api, telegram):
    rows = await learners(sessions, 15)
    await queue(sessions, rows)
    api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=3)
    clock = Clock(NOW)
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=clock)
    await drain(dispatcher, clock)
    assert await statuses(sessions) == {OutboxStatus.sent: 15}
    sent_once_each(api, rows)
    async with sessions() as s:
        attempts = {r.attempts for r in (await s.execute(select(OutboxMessage))).scalars()}
    assert attempts == {1}  # a 429 is not the message's fault


async def test_blocked_learners_are_marked_unreachable(sessions, api, telegram):
    rows = await learners(sessions, 3)
    api.block(7001)
    await queue(sessions, rows)
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=Clock(NOW))
    await dispatcher.run_once()
    assert await statuses(sessions) == {OutboxStatus.sent: 2, OutboxStatus.blocked: 1}
    async with sessions() as s:
        status = {r.channel_user_id: r.status for r in (await s.execute(select(Learner))).scalars()}
    assert status == {"7000": "active", "7001": "unreachable", "7002": "active"}


async def test_a_reminder_to_a_blocked_learner(sessions, catalog, api, telegram):
    async with sessions() as s, s.begin():
        s.add(
            Learner(
                channel="telegram",
                channel_user_id="4242",
                status="active",
                group_code="dan",
                reminder_time="20:00",
                next_reminder_at=NOW,
            )
        )
    assert await reminders.tick(sessions, catalog, NOW) == 1
    api.block(4242)
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=Clock(NOW))
    await dispatcher.run_once()
    async with sessions() as s:
        learner = (await s.execute(select(Learner))).scalar_one()
    assert learner.status == LearnerStatus.unreachable
    assert await reminders.tick(sessions, catalog, NOW + timedelta(days=1)) == 0


async def test_transient_failures_back_off_then_give_up(sessions, api, telegram):
    rows = await learners(sessions, 2)
    await queue(sessions, rows)
    api.fail("sendMessage", 502, "Bad Gateway", chat_id=7000, times=99)
    clock = Clock(NOW)
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=clock)
    for _ in range(8):
        await dispatcher.run_once()
        clock.now += timedelta(minutes=10)
    assert await statuses(sessions) == {OutboxStatus.sent: 1, OutboxStatus.failed: 1}


@pytest.mark.parametrize("graceful", [True, False])
async def test_stopped_mid_way_and_restarted_each_exactly_once(sessions, api, telegram, graceful):
    rows = await learners(sessions, 60)
    await queue(sessions, rows)
    clock = Clock(NOW)
    first = Dispatcher(
        sessions, {"telegram": telegram}, {"telegram": 40}, clock=clock, concurrency=4
    )
    task = asyncio.create_task(first.run_once())
    while len(api.called("sendMessage", ok=True)) < 10:
        await asyncio.sleep(0.01)
    task.cancel()  # the process is stopped abruptly
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.2)  # sends that had started finish and are recorded
    if not graceful:
        # As if the rows had not been handed back: they wait for the claim lease to pass.
        async with sessions() as s, s.begin():
            for r in (await s.execute(select(OutboxMessage))).scalars():
                if r.status == OutboxStatus.pending:
                    r.status, r.claimed_until = OutboxStatus.sending, clock.now + outbox.LEASE
        clock.now += outbox.LEASE + timedelta(seconds=1)
    sent_before = len(api.called("sendMessage", ok=True))
    assert 10 <= sent_before < 60
    second = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=clock)
    await drain(second, clock)
    assert await statuses(sessions) == {OutboxStatus.sent: 60}
    sent_once_each(api, rows)


async def test_following_claims_the_next_batches_in_one_call(sessions, api, telegram):
    rows = await learners(sessions, 30)
    await queue(sessions, rows)
    dispatcher = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=Clock(NOW))
    assert await dispatcher.run_once(limit=7, follow=True) == 30  # 5 claims, no pause
    assert await statuses(sessions) == {OutboxStatus.sent: 30}
    sent_once_each(api, rows)
    assert await dispatcher.run_once(limit=7, follow=True) == 0


@pytest.mark.parametrize("how", ["stop", "cancel"])
async def test_stopped_while_following_hands_back_every_row_not_begun(sessions, api, telegram, how):
    """A batch claimed ahead is handed back like the rest: nothing is left 'sending', and
    a second dispatcher sends the others once each."""
    rows = await learners(sessions, 60)
    await queue(sessions, rows)
    clock = Clock(NOW)
    first = Dispatcher(
        sessions, {"telegram": telegram}, {"telegram": 40}, clock=clock, concurrency=4
    )
    task = asyncio.create_task(first.run_once(limit=8, follow=True))
    while len(api.called("sendMessage", ok=True)) < 12:  # past the first batch
        await asyncio.sleep(0.01)
    if how == "stop":
        first.stop()
        handled = await task
        assert 12 <= handled < 60
    else:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    counts = await statuses(sessions)
    sent_before = len(api.called("sendMessage", ok=True))
    assert OutboxStatus.sending not in counts  # handed back at once, nothing leased
    assert counts == {OutboxStatus.sent: sent_before, OutboxStatus.pending: 60 - sent_before}
    second = Dispatcher(sessions, {"telegram": telegram}, {"telegram": 0}, clock=clock)
    await drain(second, clock)
    assert await statuses(sessions) == {OutboxStatus.sent: 60}
    sent_once_each(api, rows)


class _KillsTheHeldConnections:
    """The Telegram sender, which has Postgres end the dispatcher's group-commit and claim
    connections (as a server restart or a dropped link would) after `after` sends."""

    def __init__(self, inner, after: int):
        self.inner, self.after, self.sent, self.killed = inner, after, 0, 0
        self.dispatcher: Dispatcher | None = None

    async def deliver(self, user_id, messages):
        self.sent += 1
        d = self.dispatcher
        if self.sent == self.after and d and d._marks_conn.conn and d._claims_conn.conn:
            pids = [(await c.raw()).get_server_pid() for c in (d._marks_conn, d._claims_conn)]
            async with d.engine.connect() as other:
                for pid in pids:
                    await other.execute(text(f"SELECT pg_terminate_backend({pid})"))
            self.killed += 1
        return await self.inner.deliver(user_id, messages)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_dropped_held_connections_are_reopened_and_each_sent_once(sessions, api, telegram):
    """Postgres: the connections held through run_once (group commits, claims) are
    dropped mid-broadcast (idle, or in the middle of a write); the marks and the next
    claims go on new ones, every row is marked sent, nothing is sent twice, and the
    connections go back to the pool when run_once returns."""
    engine = sessions.kw["bind"]
    rows = await learners(sessions, 80)
    await queue(sessions, rows, choices=False)  # plain "sent" marks: the one-statement path
    sender = _KillsTheHeldConnections(telegram, after=30)
    dispatcher = Dispatcher(
        sessions, {"telegram": sender}, {"telegram": 0}, clock=Clock(NOW), concurrency=4
    )
    sender.dispatcher = dispatcher
    assert await dispatcher.run_once(limit=20, follow=True) == 80
    assert sender.killed == 1
    assert await statuses(sessions) == {OutboxStatus.sent: 80}
    sent_once_each(api, rows)
    assert dispatcher._marks_conn.conn is None and dispatcher._claims_conn.conn is None
    assert engine.pool.checkedout() == 0


async def test_the_worker_queues_and_sends_a_due_reminder(sessions, tutor, api, telegram):
    from bot.process.worker import Worker

    async with sessions() as s, s.begin():
        s.add(
            Learner(
                channel="telegram",
                channel_user_id="555",
                status="active",
                group_code="dan",
                reminder_time="20:00",
                next_reminder_at=datetime.now(UTC) - timedelta(minutes=1),
            )
        )
    settings = make_settings(
        api, mode="polling", scheduler_tick_seconds=1, quiet_hours="00:00-00:00"
    )
    worker = Worker(settings, tutor, {"telegram": telegram})
    await worker.start()
    try:
        for _ in range(200):
            if api.called("sendMessage", chat_id=555, ok=True):
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
    [call] = api.called("sendMessage", chat_id=555, ok=True)
    assert call.params["text"].startswith("🔔 Đến giờ học rồi!")
    assert await statuses(sessions) == {OutboxStatus.sent: 1}
