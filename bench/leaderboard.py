"""Thi đua benchmark: the leaderboard, funnel, cohort and stalled-learner queries at N demo
learners on Postgres. Target (docs/PERFORMANCE.md): each ≤1 s at 1,000,000 learners.

    .venv/bin/python bench/leaderboard.py --learners 1000000

Uses (and creates if missing) the database in --database-url, kept between runs (seeding
a million learners takes minutes); seeds demo learners up to N (bot/admin/demo.py, COPY).
Each query runs --repeat times on a warm cache; the table gives the median and the worst.
"""

import argparse
import asyncio
import statistics
import time
from zoneinfo import ZoneInfo

from _common import ROOT, describe, machine, pg_version, save, table  # noqa: F401

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hocai_bench_leaderboard"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def prepare(url: str, learners: int) -> int:
    import asyncpg
    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    from bot.admin import demo
    from lessons.loader import load_or_raise
    from storage import db
    from storage.models import Learner

    u = make_url(url)
    admin = f"postgresql://{u.username or 'postgres'}@{u.host or '127.0.0.1'}:{u.port or 5432}"
    conn = await asyncpg.connect(f"{admin}/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", u.database):
            await conn.execute(f'CREATE DATABASE "{u.database}"')
    finally:
        await conn.close()
    engine = db.make_engine(url)
    try:
        await db.upgrade(engine)
        async with engine.connect() as c:
            have = int((await c.execute(select(func.count()).select_from(Learner))).scalar())
        if have < learners:
            started = time.monotonic()
            catalog = load_or_raise(ROOT / "lessons" / "content")

            def progress(done: int, total: int) -> None:
                if done % 100_000 == 0 or done == total:
                    print(f"  seeded {done}/{total} ({time.monotonic() - started:.0f} s)")

            await demo.seed(engine, catalog, learners - have, force=True, progress=progress)
            print(f"seeding {learners - have} learners: {time.monotonic() - started:.0f} s")
            have = learners
    finally:
        await engine.dispose()
    return have


async def measure(url: str, repeat: int) -> list[dict]:
    from sqlalchemy import select

    from bot.admin import funnel, leaderboard
    from bot.admin.roles import PROVINCE, Filter, Scope
    from bot.outreach import stalled
    from storage import db
    from storage.models import Unit
    from storage.types import utcnow

    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    now = utcnow()
    async with sessions() as s:
        busiest = (
            await s.execute(
                select(Unit.commune_code).group_by(Unit.commune_code).limit(1)  # any commune
            )
        ).scalar()
    commune = Filter(commune=busiest)

    async def board():
        async with sessions() as s:
            return len((await leaderboard.compute(s, now)).communes)

    async def funnel_all():
        async with sessions() as s:
            rows = await leaderboard.mark_rows(s, now)
            units = list((await s.execute(select(Unit))).scalars())
        return len(funnel.funnel(rows, Filter(), "commune", units)[1])

    async def cohorts(flt):
        async with sessions() as s:
            return len(await funnel.cohorts(s, flt, now, TZ))

    async def stalled_count(scope):
        async with sessions() as s:
            return await stalled.count(s, scope, now, TZ)

    async def stalled_page(scope):
        async with sessions() as s:
            return len(await stalled.page(s, scope, now, TZ, limit=20))

    cases = [
        ("leaderboard (communes + units, now and a week ago)", board),
        ("funnel by commune, province", funnel_all),
        ("cohorts, 12 weeks, province", lambda: cohorts(Filter())),
        ("cohorts, 12 weeks, one commune", lambda: cohorts(commune)),
        ("stalled count, province", lambda: stalled_count(PROVINCE)),
        ("stalled count, one commune", lambda: stalled_count(Scope("commune", busiest))),
        ("stalled list page (20), province", lambda: stalled_page(PROVINCE)),
        ("stalled list page (20), one commune", lambda: stalled_page(Scope("commune", busiest))),
    ]
    results = []
    try:
        for name, fn in cases:
            await fn()  # warm
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                out = await fn()
                times.append(time.perf_counter() - t0)
            results.append(
                {
                    "query": name,
                    "median_s": round(statistics.median(times), 3),
                    "max_s": round(max(times), 3),
                    "result": out,
                }
            )
            print(f"{name}: median {statistics.median(times):.3f} s, max {max(times):.3f} s")
    finally:
        await engine.dispose()
    return results


async def main_async(args) -> None:
    have = await prepare(args.database_url, args.learners)
    results = await measure(args.database_url, args.repeat)
    m = machine()
    print(f"\n{describe(m)}; PostgreSQL {await pg_version(args.database_url)}; {have} learners")
    print(
        table(
            ["query", "median (s)", "max (s)", "target"],
            [[r["query"], r["median_s"], r["max_s"], "≤1 s"] for r in results],
        )
    )
    save("leaderboard", {"machine": m, "learners": have, "results": results})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learners", type=int, default=1_000_000)
    p.add_argument("--database-url", default=DEFAULT_URL)
    p.add_argument("--repeat", type=int, default=5)
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
