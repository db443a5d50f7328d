"""Fault injection against real processes on Postgres (issue 19): `hocai serve` reaches
the database through FaultProxy, which cuts it off mid-traffic; one serve process is
killed (-9) while its replies are in flight at "Telegram". Afterwards every learner has
had every reply exactly once: 0 updates lost, 0 duplicate replies. The worker's kill -9
mid-broadcast is tests/production/test_workers.py (same outbox, same dispatcher).

The kill cuts the sends while Telegram holds them unanswered (GatedStandIn): such a
message never reached Telegram, and the sweeper sends it. A kill in the moment between
Telegram accepting a message and the mark being committed would send it twice; no
platform API lets a client close that gap (docs/DEPLOY.md, "Outages").
"""

import asyncio
import signal
from collections import Counter

import httpx
import pytest

from tests.faults.proxy import FaultProxy
from tests.production.cluster import wait_until
from tests.production.test_updates import Delivery, replies
from tests.production.test_workers import GatedStandIn
from tests.support.standins import running
from tests.telegram.tg import TgChat

LEARNERS = 10
SAYS = ["/start", "/trogiup", "/tiendo", "/hoc", "/menu", "/trogiup"]


@pytest.fixture
async def api():
    async with running(GatedStandIn()) as standin:
        yield standin


@pytest.fixture
async def proxy(empty_pg):
    p = await FaultProxy.for_url(empty_pg).start()
    yield p
    await p.stop()


class Failover(Delivery):
    """Like Telegram with one webhook URL in front of two replicas: serve0 while it
    lives, serve1 after; again after a 503 or a dropped connection."""

    async def __call__(self, update: dict) -> None:
        for _ in range(60):
            target = self.procs[0] if self.procs[0].alive else self.procs[1]
            if await self._post(target, update, retry=True):
                return
            self.retries += 1
            await asyncio.sleep(0.05)
        raise AssertionError(f"update {update['update_id']} was never accepted")


async def talk(learner: TgChat) -> None:
    for text in SAYS:  # typed commands only: no step waits for a button to arrive
        await learner.say(text)


async def test_cut_database_and_kill_9_of_serve_lose_and_repeat_nothing(
    empty_pg, api, proxy, cluster_factory, catalog
):
    cluster = cluster_factory(empty_pg, REPLY_LEASE_SECONDS="3")
    worker = cluster.start("worker", "worker")  # the sweeper; straight to the database
    await cluster.ready(worker)
    via_proxy = proxy.url(empty_pg)
    serve = [cluster.start("serve", f"serve{i}", DATABASE_URL=via_proxy) for i in range(2)]
    await cluster.ready(*serve)

    async with httpx.AsyncClient(timeout=30) as http:
        control = TgChat(api, Delivery(http, serve[:1]), catalog, chat_id=8500)
        await talk(control)
        expected = Counter(replies(api, 8500))
        assert sum(expected.values()) >= len(SAYS)

        deliveries = [Failover(http, serve) for _ in range(LEARNERS)]
        learners = [TgChat(api, d, catalog, chat_id=8501 + i) for i, d in enumerate(deliveries)]
        load = asyncio.gather(*(talk(learner) for learner in learners))
        posted = lambda: sum(d.engine_posts for d in deliveries)  # noqa: E731

        # 1. The database goes away for a moment: the webhooks answer 503, the
        # "platform" posts again, the updates are handled once it is back.
        await wait_until(lambda: posted() >= LEARNERS, "load")
        proxy.cut()
        # Cut until a webhook has answered 503 (a fixed pause may fall between requests).
        unavailable = lambda: sum(d.unavailable for d in deliveries)  # noqa: E731
        await wait_until(lambda: unavailable() >= 1, "a 503 while the database is cut")
        proxy.heal()

        # 2. serve0 is killed while its replies are held at "Telegram".
        await wait_until(lambda: posted() >= LEARNERS * 3, "more load")
        api.gate.clear()
        await wait_until(lambda: api.held >= 3, "sends held")
        serve[0].signal(signal.SIGKILL)
        await serve[0].wait_exit(10)
        await asyncio.sleep(1)  # the stand-in sees the dead connections before opening
        api.gate.set()
        await asyncio.wait_for(load, 180)

        # The replies serve0 had recorded but not sent: the worker sends them once their
        # lease (3 s) has run out.
        def diff() -> dict:
            """chat -> (missing, extra) replies."""
            out = {}
            for x in learners:
                got = Counter(replies(api, x.chat_id))
                if got != expected:
                    out[x.chat_id] = (dict(expected - got), dict(got - expected))
            return out

        try:
            await wait_until(lambda: not diff(), "every reply delivered", limit=60)
        except AssertionError as e:
            raise AssertionError(f"{e}; (missing, extra) per chat: {diff()}") from None
        await asyncio.sleep(4)  # past another lease: nothing more comes
    for learner in learners:
        assert Counter(replies(api, learner.chat_id)) == expected, learner.chat_id
    assert api.dropped >= 1  # the kill did cut sends in flight: the sweeper sent them
    assert proxy.refused >= 1  # the cut was felt
    assert unavailable() >= 1  # answered 503 while cut, and posted again
    assert serve[1].alive and worker.alive, serve[1].tail()
    assert "database or network unavailable" in serve[1].logs() + serve[0].logs()
