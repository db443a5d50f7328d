"""`hocai run` (serve + worker in one process) on SQLite, the small deployment: it answers
updates, sends a due reminder without any election, and exits 0 on SIGTERM. On Postgres
its worker half takes the leader lock, so a `run` and a `worker` never both send."""

import signal
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import update

from storage import db
from storage.models import Learner
from tests.production.cluster import json_lines, wait_until, webhook_post
from tests.telegram.tg import TgChat


async def test_run_on_sqlite_answers_and_reminds_then_stops_on_sigterm(
    tmp_path, api, cluster_factory, catalog
):
    url = f"sqlite+aiosqlite:///{tmp_path / 'hocai.db'}"
    cluster = cluster_factory(url)
    run = cluster.start("run", "run")
    await cluster.ready(run)
    assert (await run.health())["worker"] == "leader"

    async with httpx.AsyncClient(timeout=30) as http:

        async def deliver(update_: dict) -> None:
            assert (await webhook_post(http, run, update_)).status_code == 200

        learner = TgChat(api, deliver, catalog, chat_id=6001)
        await learner.onboard()
        learner.expect("Xong rồi!")  # onboarded: the answers came back

    engine = db.make_engine(url)
    try:
        async with db.make_sessionmaker(engine)() as s, s.begin():
            await s.execute(
                update(Learner).values(
                    reminder_time="20:00",
                    next_reminder_at=datetime.now(UTC) - timedelta(minutes=1),
                )
            )
    finally:
        await engine.dispose()
    await wait_until(
        lambda: any(c.params["text"].startswith("🔔") for c in api.called("sendMessage", 6001)),
        "the reminder",
    )

    run.signal(signal.SIGTERM)
    assert await run.wait_exit(30) == 0, run.tail()
    messages = [r["msg"] for r in json_lines(run)]
    assert "sqlite: one process, no leader election; this worker sends" in messages
    assert "worker stopped" in messages


async def test_a_run_and_a_worker_on_postgres_elect_one_leader(empty_pg, api, cluster_factory):
    cluster = cluster_factory(empty_pg)
    run = cluster.start("run", "run")
    worker = cluster.start("worker", "worker")
    await cluster.ready(run, worker)
    leader = await cluster.leader([run, worker])
    other = worker if leader is run else run
    assert (await other.health())["worker"] == "standby"
    leader.signal(signal.SIGTERM)
    assert await leader.wait_exit(30) == 0, leader.tail()
    assert await cluster.leader([other]) is other
