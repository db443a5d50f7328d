"""Engine benchmark: inbound events per second through Engine.handle with the real
database (a fresh SQLite file and a fresh Postgres database), no HTTP, no channel.

    .venv/bin/python bench/engine.py                  # 1,000 learners x 20 events, both dbs
    .venv/bin/python bench/engine.py --learners 200 --concurrency 1,16 --db sqlite

Each learner goes through onboarding (/start, consent, group, commune typed and picked,
unit skipped), then lesson cards and quiz answers, with a free question or two on the
way (the offline tutor answers them): the same script as bench/webhook.py. Each event
is one Engine.handle call, i.e. one database transaction. Prints a table and writes
bench/results/engine.json.
"""

import argparse
import asyncio
import logging
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Learner,
    PgWatcher,
    cores_of,
    describe,
    latency_summary,
    machine,
    pg_database,
    pg_version,
    pin,
    run_learners,
    save,
    sqlite_database,
    table,
)

CHANNEL = "bench"


async def measure(url: str, kind: str, learners: int, steps: int, concurrency: int) -> dict:
    import os

    from bot.config import LESSONS_DIR
    from bot.engine import Engine
    from bot.flows.common import ERROR
    from bot.messages import Inbound
    from lessons.loader import load_or_raise
    from storage import db

    catalog = load_or_raise(LESSONS_DIR)
    engine = db.make_engine(url)
    tutor = Engine(db.make_sessionmaker(engine), catalog, rng=random.Random(7))
    latencies: list[float] = []
    replies: dict[int, list] = {}
    errors = 0
    # The bench's own learner ids, distinct per run: a run never meets an earlier one.
    tag = uuid.uuid4().hex[:6]

    async def one_step(learner: Learner) -> None:
        nonlocal errors
        offered = [c for out in replies.get(learner.index, []) for c in out.choices]
        kind_, value = learner.next_step([c.label for c in offered])
        user = f"{tag}-{learner.index}"
        if kind_ == "press":
            action = next((c.action for c in reversed(offered) if c.label == value), "?")
            inbound = Inbound(CHANNEL, user, action=action, update_id=uuid.uuid4().hex)
        else:
            inbound = Inbound(
                CHANNEL, user, text=value, update_id=uuid.uuid4().hex, display_name="Bench"
            )
        started = time.perf_counter()
        out = await tutor.handle(inbound)
        latencies.append(time.perf_counter() - started)
        if ERROR in out:
            errors += 1
        replies[learner.index] = out

    # Warm-up: a few learners through onboarding (connections, caches, the retriever).
    warm = [Learner(100_000 + i, 8) for i in range(min(concurrency, 16))]
    await run_learners(warm, len(warm), one_step)
    latencies.clear()

    cohort = [Learner(i, steps) for i in range(learners)]
    watcher = (
        PgWatcher(url, core=1 if len(cores_of()) == 1 else None) if kind == "postgres" else None
    )
    if watcher:
        await watcher.start()
    own0 = time.process_time()
    started = time.perf_counter()
    await run_learners(cohort, concurrency, one_step)
    wall = time.perf_counter() - started
    own = time.process_time() - own0
    pg_cpu = await watcher.stop() if watcher else 0.0
    await engine.dispose()
    events = len(latencies)
    return {
        "db": kind,
        "concurrency": concurrency,
        "learners": learners,
        "events": events,
        "errors": errors,
        "seconds": round(wall, 2),
        "events_per_s": round(events / wall, 1),
        **latency_summary(latencies),
        "python_cpu_ms_per_event": round(own / events * 1000, 3),
        "postgres_cpu_ms_per_event": round(pg_cpu / events * 1000, 3)
        if kind == "postgres"
        else None,
        "pid": os.getpid(),
    }


async def main_async(args) -> dict:
    # This process (the engine) on core 0, the Postgres server processes of its database
    # on core 1, where the machine has two cores.
    pinned = pin({0})
    m = machine()
    m["pinning"] = "engine on core 0, Postgres backends on core 1" if pinned else "not pinned"
    kinds = [k.strip() for k in args.db.split(",")]
    if "postgres" in kinds:
        m["postgres"] = await pg_version()
        if m["postgres"] is None:
            sys.exit("Postgres is unreachable (BENCH_DATABASE_URL / TEST_DATABASE_URL)")
    print(f"machine: {describe(m)}")
    results = []
    for kind in kinds:
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            ctx = sqlite_database() if kind == "sqlite" else pg_database("hocai_bench_engine")
            async with ctx as url:
                r = await measure(url, kind, args.learners, args.steps, concurrency)
            results.append(r)
            print(
                f"  {kind} c={concurrency}: {r['events_per_s']} events/s, "
                f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms",
                flush=True,
            )
    headers = [
        "database",
        "concurrency",
        "events",
        "events/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "Python CPU ms/event",
        "Postgres CPU ms/event",
    ]
    rows = [
        [
            r["db"],
            r["concurrency"],
            f"{r['events']:,}",
            f"{r['events_per_s']:,.0f}",
            r["p50_ms"],
            r["p95_ms"],
            r["p99_ms"],
            r["python_cpu_ms_per_event"],
            r["postgres_cpu_ms_per_event"] if r["postgres_cpu_ms_per_event"] is not None else "–",
        ]
        for r in results
    ]
    print()
    print(table(headers, rows))
    payload = {
        "benchmark": "engine",
        "command": "bench/engine.py " + " ".join(sys.argv[1:]),
        "machine": m,
        "steps_per_learner": args.steps,
        "results": results,
    }
    path = save(args.out, payload)
    print(f"\nwrote {path}")
    return payload


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learners", type=int, default=1000)
    p.add_argument("--steps", type=int, default=20, help="events per learner")
    p.add_argument("--concurrency", default="1,64", help="learners in flight, comma-separated")
    p.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    p.add_argument("--out", default="engine", help="results file name under bench/results/")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
