"""Pruning processed_update on SQLite and Postgres: update ids past the retention go,
in batches; recent ids and the channels' "group was told" notes stay; the worker's job
and `hocai db prune` do the same."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.channels.telegram.handler import GROUP_NOTE_KEY as TELEGRAM_GROUP_NOTE
from bot.channels.zalo.constants import GROUP_NOTE_KEY as ZALO_GROUP_NOTE
from bot.config import Settings
from bot.engine import Engine
from bot.messages import Inbound
from bot.process.worker import Worker
from storage.models import ProcessedUpdate
from storage.repository import DuplicateUpdate, Repository, prune_processed_updates
from storage.types import utcnow

ROOT = Path(__file__).resolve().parents[1]
RETENTION = timedelta(days=7)


async def claim(sessions, channel: str, key: str, age: timedelta) -> None:
    """Claim like the engine and the channel handlers do, then backdate the row."""
    async with sessions() as s, s.begin():
        await Repository(s).claim_update(channel, key)
        await s.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == key)
            .values(processed_at=utcnow() - age)
        )


async def keys(sessions) -> set[tuple[str, str]]:
    async with sessions() as s:
        rows = await s.execute(select(ProcessedUpdate.channel, ProcessedUpdate.update_id))
        return {tuple(r) for r in rows}


async def test_old_update_ids_go_recent_ones_and_group_notes_stay(sessions):
    old, recent = RETENTION + timedelta(hours=1), RETENTION - timedelta(hours=1)
    for channel in ("telegram", "zalo", "console"):
        await claim(sessions, channel, "old", old)
        await claim(sessions, channel, "recent", recent)
    for note in (TELEGRAM_GROUP_NOTE, ZALO_GROUP_NOTE):
        await claim(sessions, note, "-100123", timedelta(days=400))
        await claim(sessions, note, "-100456", recent)

    assert await prune_processed_updates(sessions, utcnow() - RETENTION) == 3
    assert await keys(sessions) == {
        ("telegram", "recent"),
        ("zalo", "recent"),
        ("console", "recent"),
        (TELEGRAM_GROUP_NOTE, "-100123"),
        (TELEGRAM_GROUP_NOTE, "-100456"),
        (ZALO_GROUP_NOTE, "-100123"),
        (ZALO_GROUP_NOTE, "-100456"),
    }
    # Nothing left to prune: a second run is harmless.
    assert await prune_processed_updates(sessions, utcnow() - RETENTION) == 0


async def test_a_group_is_told_once_even_after_pruning(sessions):
    await claim(sessions, TELEGRAM_GROUP_NOTE, "-100777", timedelta(days=30))
    await prune_processed_updates(sessions, utcnow() - RETENTION)
    with pytest.raises(DuplicateUpdate):
        async with sessions() as s, s.begin():
            await Repository(s).claim_update(TELEGRAM_GROUP_NOTE, "-100777")


async def test_a_redelivery_within_the_retention_is_still_dropped(sessions, catalog):
    tutor = Engine(sessions, catalog)
    first = Inbound("telegram", "501", text="/start", update_id="9001")
    assert await tutor.handle(first)
    assert await prune_processed_updates(sessions, utcnow() - RETENTION) == 0
    assert await tutor.handle(first) == []  # the redelivery: dropped
    # Past the retention the id goes (no channel redelivers that late).
    assert await prune_processed_updates(sessions, utcnow() + timedelta(seconds=1)) == 1
    assert await keys(sessions) == set()


async def test_batches(sessions):
    for i in range(10):
        await claim(sessions, "telegram", f"old-{i}", timedelta(days=8))
    await claim(sessions, "telegram", "recent", timedelta(days=1))
    before = utcnow() - RETENTION

    # One batch deletes at most its limit.
    async with sessions() as s, s.begin():
        assert await Repository(s).prune_processed_updates(before, 3) == 3
    assert len(await keys(sessions)) == 8

    transactions = 0

    def counting():
        nonlocal transactions
        transactions += 1
        return sessions()

    assert await prune_processed_updates(counting, before, batch_size=3) == 7
    assert transactions == 3  # 3 + 3 + 1: a short batch is the last
    assert await keys(sessions) == {("telegram", "recent")}


async def test_batches_of_exactly_the_batch_size(sessions):
    for i in range(6):
        await claim(sessions, "zalo", f"old-{i}", timedelta(days=8))
    transactions = 0

    def counting():
        nonlocal transactions
        transactions += 1
        return sessions()

    assert await prune_processed_updates(counting, utcnow() - RETENTION, batch_size=3) == 6
    assert transactions == 3  # 3 + 3 + an empty one that ends it
    assert await keys(sessions) == set()


async def test_the_worker_prunes_hourly_with_the_retention_setting(db_url, sessions, catalog):
    now = utcnow() + timedelta(days=10)  # the tutor's clock, ten days ahead
    tutor = Engine(sessions, catalog, clock=lambda: now)
    settings = Settings(database_url=db_url, processed_update_retention_days=3)
    assert Settings(database_url=db_url).processed_update_retention_days == 7  # the default
    await claim(sessions, "telegram", "old", timedelta(days=1))  # 11 days before the clock
    await claim(sessions, "telegram", "new", timedelta(days=-8))  # 2 days before it
    await claim(sessions, TELEGRAM_GROUP_NOTE, "-1001", timedelta(days=1))

    worker = Worker(settings, tutor, {})
    worker._schedule_prune()
    job = worker.scheduler.get_job("prune_processed_updates")
    assert job.trigger.interval == timedelta(hours=1)
    assert job.next_run_time - utcnow() < timedelta(minutes=10)  # soon after start-up

    await worker._safe_prune()
    assert await keys(sessions) == {("telegram", "new"), (TELEGRAM_GROUP_NOTE, "-1001")}


def test_the_setting_refuses_less_than_a_day():
    with pytest.raises(ValueError):
        Settings(processed_update_retention_days=0)


async def test_cli_db_prune(db_url, sessions):
    await claim(sessions, "telegram", "old", timedelta(days=8))
    await claim(sessions, "zalo", "old", timedelta(days=8))
    await claim(sessions, "telegram", "recent", timedelta(days=6))
    await claim(sessions, ZALO_GROUP_NOTE, "g1", timedelta(days=8))
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "LOG_LEVEL": "WARNING",
        "PROCESSED_UPDATE_RETENTION_DAYS": "7",
    }
    out = subprocess.run(
        [sys.executable, "-m", "bot", "db", "prune"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "pruned 2 processed update ids older than 7 days"
    assert await keys(sessions) == {("telegram", "recent"), (ZALO_GROUP_NOTE, "g1")}
