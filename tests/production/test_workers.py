"""Two `hocai worker` processes on one Postgres elect one leader; reminders and outbox
messages reach every learner exactly once, also when the leader is killed (-9) in the
middle of sending, or stopped with SIGTERM.

Broadcasts are being built in another issue: the announcements here are outbox rows
written directly (kind 'broadcast', text in the row); broadcast rows go through the same
claim, lease and dispatcher. Reminders come from the real tick.
"""

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot.messages import Outbound
from bot.outreach import outbox
from storage.models import Learner, OutboxMessage, OutboxStatus
from tests.production.cluster import wait_until
from tests.standins.telegram_api import TelegramStandIn
from tests.support.standins import running

REMINDED = range(7100, 7140)  # 40 learners with a reminder due now
ANNOUNCED = range(7200, 7260)  # 60 queued announcements
TOTAL = len(REMINDED) + len(ANNOUNCED)


class GatedStandIn(TelegramStandIn):
    """While the gate is closed, sendMessage requests are held unanswered. A held request
    whose sender has gone (killed) by the time the gate opens is not delivered, like a
    message that never reached Telegram."""

    def __init__(self):
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.held = 0
        self.dropped = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["method"] == "sendMessage" and not self.gate.is_set():
            self.held += 1
            await self.gate.wait()
            if request.transport is None or request.transport.is_closing():
                self.dropped += 1
                return web.Response(status=503)
        return await super()._handle(request)


@pytest.fixture
async def api():
    async with running(GatedStandIn()) as standin:
        yield standin


async def queue_work(sessions) -> None:
    now = datetime.now(UTC)
    async with sessions() as s, s.begin():
        for chat in REMINDED:
            s.add(
                Learner(
                    channel="telegram",
                    channel_user_id=str(chat),
                    status="active",
                    group_code="dan",
                    reminder_time="20:00",
                    next_reminder_at=now - timedelta(minutes=1),
                )
            )
        rows = [
            outbox.row(
                f"test-announce:{chat}",
                "telegram",
                str(chat),
                [Outbound(f"Thông báo lớp học AI số {chat}.")],
                kind="broadcast",
                now=now,
            )
            for chat in ANNOUNCED
        ]
        await outbox.enqueue_many(s, rows)


def delivered(api, chat: int | None = None) -> list:
    return api.called("sendMessage", chat_id=chat, ok=True)


async def outbox_counts(sessions) -> dict[str, int]:
    async with sessions() as s:
        stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {str(k): v for k, v in (await s.execute(stmt)).all()}


async def all_sent(sessions) -> bool:
    return await outbox_counts(sessions) == {OutboxStatus.sent: TOTAL}


def each_exactly_once(api) -> None:
    counts = {chat: len(delivered(api, chat)) for chat in (*REMINDED, *ANNOUNCED)}
    assert {c: n for c, n in counts.items() if n != 1} == {}
    for chat in REMINDED:
        assert delivered(api, chat)[0].params["text"].startswith("🔔 Đến giờ học rồi!")


def metric(text: str, name: str, **labels: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


async def test_kill_9_of_the_leader_mid_dispatch(empty_pg, pg_sessions, api, cluster_factory):
    cluster = cluster_factory(empty_pg)
    workers = [cluster.start("worker", f"worker{i}") for i in range(2)]
    await cluster.ready(*workers)
    leader = await cluster.leader(workers)
    standby = next(w for w in workers if w is not leader)
    assert (await standby.health())["worker"] == "standby"

    await queue_work(pg_sessions)
    await wait_until(lambda: len(delivered(api)) >= 20, "20 messages sent", 60)
    # Hold the next sends at "Telegram", let the answered ones be recorded, then kill the
    # leader while its sends are in flight.
    api.gate.clear()
    await wait_until(lambda: api.held >= 1, "a send in flight", 30)

    async def recorded() -> bool:  # every send "Telegram" accepted is marked sent
        return (await outbox_counts(pg_sessions)).get(OutboxStatus.sent) == len(delivered(api))

    await wait_until(recorded, "the accepted sends recorded", 30, every=0.1)
    sent_before = len(delivered(api))
    assert sent_before < TOTAL
    leader.signal(signal.SIGKILL)
    killed = time.monotonic()
    await leader.wait_exit(10)

    new_leader = await cluster.leader([standby], limit=30)
    took_over = time.monotonic() - killed
    assert took_over <= 30
    api.gate.set()
    await wait_until(lambda: all_sent(pg_sessions), "every outbox row sent", 90, every=0.2)

    each_exactly_once(api)
    assert api.dropped >= 1  # the kill did cut sends in flight; they were sent again
    metrics = (await new_leader.get("/metrics")).text
    assert metric(metrics, "hocai_worker_leader") == 1
    assert metric(metrics, "hocai_outbox_depth") == 0
    sent_by_new = metric(metrics, "hocai_outbox_sends_total", result="sent")
    assert sent_by_new == TOTAL - sent_before
    print(f"standby took over {took_over:.1f} s after kill -9; it sent {sent_by_new:.0f}")


async def test_sigterm_to_the_leader_hands_its_work_over(
    empty_pg, pg_sessions, api, cluster_factory
):
    # A lease longer than the test: rows come back only because the stopping leader
    # hands them back, not because their lease ran out.
    cluster = cluster_factory(empty_pg, OUTBOX_LEASE_SECONDS="300", TELEGRAM_RATE="15")
    workers = [cluster.start("worker", f"worker{i}") for i in range(2)]
    await cluster.ready(*workers)
    leader = await cluster.leader(workers)
    standby = next(w for w in workers if w is not leader)

    await queue_work(pg_sessions)
    await wait_until(lambda: len(delivered(api)) >= 20, "20 messages sent", 60)
    leader.signal(signal.SIGTERM)
    assert await leader.wait_exit(30) == 0, leader.tail()
    await cluster.leader([standby], limit=30)
    # Well within the 300 s lease: the rows the leader had claimed but not begun were
    # handed back when it stopped.
    await wait_until(lambda: all_sent(pg_sessions), "every outbox row sent", 90, every=0.2)

    each_exactly_once(api)
    assert "SIGTERM: shutting down" in leader.logs()
    assert "worker stopped" in leader.logs()
    metrics = (await standby.get("/metrics")).text
    assert metric(metrics, "hocai_outbox_sends_total", result="sent") >= 1
