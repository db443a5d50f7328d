"""Two `hocai serve` processes and two `hocai worker` processes on one Postgres, against
the Telegram stand-in: every webhook update is answered exactly once, whichever process
gets it, also when the same update reaches both at the same time; SIGTERM to a serve
process in the middle of the load loses no update."""

import asyncio
import itertools
import signal

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.production.cluster import Proc, wait_until, webhook_post
from tests.standins.telegram_api import TelegramStandIn
from tests.support.standins import running
from tests.telegram.tg import TgChat

LEARNERS = 12


class SlowStandIn(TelegramStandIn):
    """Sends take `delay` seconds: more requests are in flight when a process stops."""

    delay = 0.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.arrived: list[str] = []  # methods of the requests that reached it, done or not

    def received(self, method: str) -> int:
        return self.arrived.count(method)

    async def _handle(self, request):
        self.arrived.append(request.match_info["method"])
        if self.delay and request.match_info["method"] == "sendMessage":
            await asyncio.sleep(self.delay)
        return await super()._handle(request)


@pytest.fixture
async def api():
    async with running(SlowStandIn()) as standin:
        yield standin


def replies(api, chat_id: int) -> list[tuple[str, str]]:
    """What the learner was sent, in order: (method, text) of every accepted call."""
    kinds = ("sendMessage", "editMessageText", "sendDocument", "sendPhoto")
    return [
        (c.method, c.params.get("text") or c.params.get("caption") or "")
        for c in api.calls
        if c.ok and c.method in kinds and c.params.get("chat_id") == chat_id
    ]


async def conversation(learner: TgChat) -> None:
    """Onboarding, then a few steps that touch the learner's state in the database."""
    await learner.onboard()
    await learner.say("/tiendo")
    await learner.say("/trogiup")
    await learner.say("/menu")


class Delivery:
    """Posts updates like Telegram: to one process (alternating per update), sometimes to
    both at once (a retry that reached the other replica), and on a failure (connection
    refused, 5xx) again to the other process."""

    def __init__(self, http: httpx.AsyncClient, procs: list[Proc], both_every: int = 0):
        self.http, self.procs, self.both_every = http, procs, both_every
        self.n = itertools.count()
        self.engine_posts = 0  # posts answered 200 (each reached the engine)
        self.both = 0  # updates sent to both processes
        self.retries = 0
        self.unavailable = 0  # posts answered 503 (the database was out of reach)

    async def __call__(self, update: dict) -> httpx.Response | None:
        """The accepted answer (TgChat has the stand-in run the method call it may carry,
        as Telegram does; of an update sent to both, the first one's)."""
        i = next(self.n)
        if self.both_every and i % self.both_every == 0:
            self.both += 1
            answers = await asyncio.gather(*(self._post(p, update) for p in self.procs))
            return answers[0]
        order = self.procs[i % len(self.procs) :] + self.procs[: i % len(self.procs)]
        for attempt in range(20):
            target = order[attempt % len(order)]
            response = await self._post(target, update, retry=True)
            if response is not None:
                return response
            self.retries += 1
            await asyncio.sleep(0.05)
        raise AssertionError(f"update {update['update_id']} was never accepted")

    async def _post(self, proc: Proc, update: dict, retry: bool = False) -> httpx.Response | None:
        try:
            response = await webhook_post(self.http, proc, update)
        except httpx.TransportError:
            if retry:
                return None
            raise
        if response.status_code >= 500 and retry:
            self.unavailable += response.status_code == 503
            return None
        assert response.status_code == 200, response.text
        self.engine_posts += 1
        return response


def metric(text: str, name: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    )


async def test_every_update_is_answered_once_by_two_serve_processes(
    empty_pg, api, cluster_factory, catalog
):
    cluster = cluster_factory(empty_pg)
    # Four processes migrate one fresh database at the same time (advisory lock).
    serve = [cluster.start("serve", f"serve{i}") for i in range(2)]
    workers = [cluster.start("worker", f"worker{i}") for i in range(2)]
    await cluster.ready(*serve, *workers)
    await cluster.leader(workers)

    async with httpx.AsyncClient(timeout=30) as http:
        control = TgChat(api, Delivery(http, serve[:1]), catalog, chat_id=8000)
        await conversation(control)
        expected = replies(api, 8000)
        assert len(expected) >= 6 and all(text for _, text in expected)

        deliveries = [Delivery(http, serve, both_every=2) for _ in range(LEARNERS)]
        learners = [TgChat(api, d, catalog, chat_id=8001 + i) for i, d in enumerate(deliveries)]
        await asyncio.gather(*(conversation(learner) for learner in learners))

        for learner in learners:
            assert replies(api, learner.chat_id) == expected, learner.chat_id
        assert sum(d.both for d in deliveries) >= LEARNERS * 3
        assert not api.refused() or all(
            c.method == "answerCallbackQuery" for c in api.refused()
        )  # only the second answer to a duplicated button press

        # The metrics of both processes add up: every post reached an engine, and each
        # update sent to both was dropped once as a duplicate.
        texts = [(await http.get(f"{p.url}/metrics")).text for p in serve]
        posts = sum(d.engine_posts for d in deliveries) + control.deliver.engine_posts
        assert sum(metric(t, "hocai_updates_total") for t in texts) == posts
        dups = sum(metric(t, "hocai_updates_duplicate_total") for t in texts)
        assert dups == sum(d.both for d in deliveries)
        assert sum(metric(t, "hocai_handler_seconds_count") for t in texts) == posts
    for p in (*serve, *workers):
        assert p.alive, p.tail()


async def test_sigterm_to_a_serve_process_under_load_loses_no_update(
    empty_pg, api, cluster_factory, catalog
):
    api.delay = 0.03
    cluster = cluster_factory(empty_pg)
    serve = [cluster.start("serve", f"serve{i}") for i in range(2)]
    await cluster.ready(*serve)

    async with httpx.AsyncClient(timeout=30) as http:
        control = TgChat(api, Delivery(http, serve[1:]), catalog, chat_id=8100)
        await conversation(control)
        expected = replies(api, 8100)

        deliveries = [Delivery(http, serve) for _ in range(LEARNERS)]
        learners = [TgChat(api, d, catalog, chat_id=8101 + i) for i, d in enumerate(deliveries)]
        load = asyncio.gather(*(conversation(learner) for learner in learners))
        # Mid-load: a third of the updates are in.
        await wait_until(lambda: sum(d.engine_posts for d in deliveries) >= LEARNERS * 3, "load")
        serve[0].signal(signal.SIGTERM)
        assert await serve[0].wait_exit(30) == 0, serve[0].tail()
        await asyncio.wait_for(load, 120)

    for learner in learners:
        assert replies(api, learner.chat_id) == expected, learner.chat_id
    assert sum(d.retries for d in deliveries) >= 1  # updates did go to the other process
    assert serve[1].alive
    assert "SIGTERM: shutting down" in serve[0].logs()
