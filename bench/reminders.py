"""Reminder due-scan benchmark: N generated learners (1,000,000 by default), a known
number of them due; times reminders.tick_batch, batch by batch, until nothing is due.

    .venv/bin/python bench/reminders.py                       # 1,000,000 learners, Postgres
    .venv/bin/python bench/reminders.py --db sqlite,postgres --learners 200000 --due 20000

Each tick is what the worker runs every SCHEDULER_TICK_SECONDS: one transaction that
claims up to 1,000 due learners (next_reminder_at <= now, active; FOR UPDATE SKIP LOCKED
on Postgres) with their completed lessons and due reviews (one query; on Postgres they
are on the schedule row, migration 0015, so it reads reminder_due and learner), builds each
reminder, and moves next_reminder_at on and queues the reminders in the outbox (one
statement on Postgres; an UPDATE and an INSERT on SQLite). The claim query's plan is
printed (EXPLAIN ANALYZE): it must be an index scan on ix_reminder_due_due_at (the
narrow schedule table, migration 0013).

Besides wall time it reports CPU time per 1,000 claimed, which a busy machine disturbs
less: this process's ("Python CPU": the tick's Python, and on SQLite the database too,
which runs in this process) and the Postgres server processes' of the benchmark's
database ("DB CPU"; WAL writer and checkpointer not included); and, per kind of
statement, the wall time and the server process's CPU time spent in it.

The data: learners on channel "bench" (90% active, 5% dormant, 5% unreachable), 70% with
a reminder time, the due ones a few minutes late (10% of them studied today: claimed,
not sent); about 3 completed lessons each (lesson_progress) and 2 review items for one
learner in five. Each database is created for the run and dropped after it (Postgres), or
a temporary file (SQLite). Prints a table and writes bench/results/reminders.json.
"""

import argparse
import asyncio
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    PgWatcher,
    describe,
    machine,
    percentile,
    pg_database,
    pg_version,
    save,
    sqlite_database,
    table,
)

CHUNK = 100_000
# 12:00 UTC is 19:00 in Vietnam: evening, outside the quiet hours, a usual reminder time.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def learner_rows(n: int, due: int, seed: int):
    """(columns, chunks of row tuples) for n learners, exactly `due` of them due at NOW."""
    from storage.models import Learner

    rng = random.Random(seed)
    due_ids = set(rng.sample(range(1, n + 1), due))
    blank = Learner(channel="", channel_user_id="")
    cols = [c.name for c in Learner.__table__.c]
    defaults = {c: getattr(blank, c) for c in cols}
    defaults.update(state="menu", state_data={}, choices=[], reminder_days="1234567")
    groups = ("dan", "cb", "dn", "che", "hs")
    today = NOW.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    created = NOW - timedelta(days=30)
    chunk = []
    for i in range(1, n + 1):
        row = dict(defaults)
        row.update(
            id=i,
            pid=f"b{i:011x}",
            channel="bench",
            channel_user_id=str(i),
            display_name=None,
            group_code=groups[i % 5],
            commune_code=None,
            consent_at=created,
            created_at=created,
            last_active_at=created,
            status="active",
        )
        if i in due_ids:
            row["reminder_time"] = "19:00"
            row["next_reminder_at"] = NOW - timedelta(seconds=rng.uniform(0, 600))
            if rng.random() < 0.1:
                row["last_study_on"] = today.isoformat()
            else:
                row["last_study_on"] = yesterday
                row["streak"] = rng.randint(0, 9)
        else:
            r = rng.random()
            if r < 0.05:
                row["status"] = "dormant"
            elif r < 0.10:
                row["status"] = "unreachable"
            if rng.random() < 0.7:
                row["reminder_time"] = f"{rng.randint(7, 20):02d}:{rng.choice((0, 15, 30, 45)):02d}"
                row["next_reminder_at"] = NOW + timedelta(seconds=rng.uniform(60, 86_400))
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield cols, chunk
            chunk = []
    if chunk:
        yield cols, chunk


async def seed(url: str, n: int, due: int, seed_value: int) -> dict:
    from sqlalchemy import bindparam, insert, text

    from bot.config import LESSONS_DIR
    from lessons.loader import load_or_raise
    from storage import db
    from storage.models import Learner
    from storage.types import UTCDateTime

    catalog = load_or_raise(LESSONS_DIR)
    lessons = [les.id for les in catalog.track("dan")][:6]
    pg = not db.is_sqlite(url)
    engine = db.make_engine(url)
    started = time.perf_counter()
    try:
        async with engine.connect() as conn:
            for cols, rows in learner_rows(n, due, seed_value):
                async with conn.begin():
                    if pg:
                        raw = (await conn.get_raw_connection()).driver_connection
                        records = [
                            tuple(
                                json.dumps(r[c]) if c in ("state_data", "choices") else r[c]
                                for c in cols
                            )
                            for r in rows
                        ]
                        await raw.copy_records_to_table("learner", records=records, columns=cols)
                    else:
                        await conn.execute(insert(Learner.__table__), rows)
            # About 3 completed lessons per learner, and 2 review items (one due) for one
            # learner in five: what the tick reads for each claimed learner.
            lesson_array = ", ".join(f"'{lesson}'" for lesson in lessons)
            async with conn.begin():
                if pg:
                    await conn.execute(
                        text(
                            "INSERT INTO lesson_progress (learner_id, lesson_id, started_at, "
                            "completed_at, attempts, score, total, best_score) "
                            f"SELECT l.id, (ARRAY[{lesson_array}])[k], l.created_at, "
                            "l.created_at, 1, 3, 4, 3 FROM learner l "
                            "CROSS JOIN LATERAL generate_series(1, l.id % 7) k"
                        )
                    )
                    await conn.execute(
                        text(
                            "INSERT INTO review_item (learner_id, lesson_id, question_id, box, "
                            "due_at) SELECT l.id, :lesson, 'q' || k, 1, "
                            "CAST(:now AS timestamptz) + (k - 2) * interval '1 day' "
                            "FROM learner l CROSS JOIN generate_series(1, 2) k "
                            "WHERE l.id % 5 = 0"
                        ),
                        {"lesson": lessons[0], "now": NOW},
                    )
                else:
                    await conn.execute(
                        text(
                            "WITH RECURSIVE k(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM k "
                            "WHERE x < 6) INSERT INTO lesson_progress (learner_id, lesson_id, "
                            "started_at, completed_at, attempts, score, total, best_score) "
                            "SELECT l.id, json_extract(:lessons, '$[' || (k.x - 1) || ']'), "
                            "l.created_at, l.created_at, 1, 3, 4, 3 FROM learner l "
                            "JOIN k ON k.x <= l.id % 7"
                        ),
                        {"lessons": json.dumps(lessons)},
                    )
                    for k, days in ((1, -1), (2, 1)):
                        await conn.execute(
                            text(
                                "INSERT INTO review_item (learner_id, lesson_id, question_id, "
                                "box, due_at) SELECT id, :lesson, :q, 1, :due FROM learner "
                                "WHERE id % 5 = 0"
                            ).bindparams(bindparam("due", type_=UTCDateTime())),
                            {"lesson": lessons[0], "q": f"q{k}", "due": NOW + timedelta(days=days)},
                        )
            if pg:
                await conn.execute(
                    text("SELECT setval(pg_get_serial_sequence('learner', 'id'), :n)"), {"n": n}
                )
                await conn.commit()
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                for t in ("learner", "lesson_progress", "review_item"):
                    await conn.execute(text(f"VACUUM ANALYZE {t}"))
                # The triggers filled each schedule row up to three times (learner, then
                # lessons, then reviews): compact it, as migration 0015 leaves it.
                await conn.execute(text("VACUUM (FULL, ANALYZE) reminder_due"))
            else:
                await conn.execute(text("ANALYZE"))
                await conn.commit()
            counts = {}
            for t in ("learner", "lesson_progress", "review_item"):
                counts[t] = (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar()
    finally:
        await engine.dispose()
    return {"seconds": round(time.perf_counter() - started, 1), "rows": counts}


async def measure(url: str, kind: str, due: int, lanes: int) -> dict:
    from sqlalchemy import event, func, select, text

    from bot.config import LESSONS_DIR
    from bot.outreach import reminders
    from lessons.loader import load_or_raise
    from storage import db
    from storage.models import Learner

    catalog = load_or_raise(LESSONS_DIR)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    spent: dict[str, float] = {}  # wall time in each kind of statement
    server_spent: dict[str, float] = {}  # the Postgres server process's CPU time in it
    claim_sql: list = []
    starts: dict[int, tuple[float, float]] = {}

    def server_cpu(conn) -> float:
        """CPU seconds the connection's Postgres server process has used so far
        (/proc/PID/schedstat, in ns; 0 on SQLite or where it is not readable)."""
        if kind != "postgres":
            return 0.0
        pid = conn.connection.driver_connection.get_server_pid()
        try:
            return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0

    def statement_kind(sql: str) -> str:
        head = " ".join(sql.split()[:6]).lower()
        if head.startswith("select learner."):
            return "claim due learners"
        if "lesson_progress" in head:
            return "completed lessons"
        if "review_item" in head:
            return "due reviews"
        if head.startswith("insert into outbox"):
            return "outbox insert"
        if head.startswith("update learner"):
            return "learner updates"
        if head.startswith("with v as"):  # the tick's one write statement (Postgres)
            return "learner update + outbox insert"
        return "other"

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(conn, cursor, sql, params, context, executemany):
        starts[id(context)] = (time.perf_counter(), server_cpu(conn))
        if not claim_sql and sql.lstrip().lower().startswith("select learner."):
            claim_sql.append((sql, params))

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after(conn, cursor, sql, params, context, executemany):
        k = statement_kind(sql)
        wall, cpu = starts.pop(id(context), (0.0, 0.0))
        spent[k] = spent.get(k, 0.0) + time.perf_counter() - wall
        server_spent[k] = server_spent.get(k, 0.0) + server_cpu(conn) - cpu

    ticks: list[tuple[int, float]] = []
    try:
        # The idle scan: what every tick costs when nothing is due.
        before = NOW - timedelta(hours=2)
        idle = []
        for _ in range(20):
            t = time.perf_counter()
            await reminders.tick(sessions, catalog, before)
            idle.append(time.perf_counter() - t)
        # The plan of the claim query the ticks are about to run: the idle tick's own
        # statement, with the due time in place of its parameter.
        plan = await explain(engine, kind, claim_sql[0] if claim_sql else None, before)
        spent.clear()
        server_spent.clear()
        # CPU time, not only wall time: on a shared machine the wall time includes waiting
        # for a core. This process's CPU, and the database's server processes' (Postgres).
        watcher = PgWatcher(url) if kind == "postgres" else None
        if watcher:
            await watcher.start()
        load_before = os.getloadavg()
        cpu_started = time.process_time()
        started = time.perf_counter()
        # What the worker runs: reminders.drain, `lanes` batches in flight at once; each
        # batch timed on its own too.
        one_batch = reminders.tick_batch

        async def timed(*args, **kwargs):
            t = time.perf_counter()
            batch = await one_batch(*args, **kwargs)
            ticks.append((batch.claimed, time.perf_counter() - t))
            return batch

        reminders.tick_batch = timed
        try:
            await reminders.drain(sessions, catalog, lambda: NOW, max_batches=10**6, lanes=lanes)
        finally:
            reminders.tick_batch = one_batch
        wall = time.perf_counter() - started
        python_cpu = time.process_time() - cpu_started
        db_cpu = await watcher.stop() if watcher else None
        load_after = os.getloadavg()
        async with engine.connect() as conn:
            queued = (
                await conn.execute(text("SELECT count(*) FROM outbox WHERE kind='reminder'"))
            ).scalar()
            still_due = select(func.count()).where(
                Learner.next_reminder_at <= NOW, Learner.status == "active"
            )
            left = (await conn.execute(still_due)).scalar()
    finally:
        await engine.dispose()
    # A tick claims up to 1,000 learners; it queues fewer (those who studied today).
    working = [(n, s) for n, s in ticks if n]
    claimed = sum(n for n, _ in working)

    def per_1000(seconds: float | None) -> float | None:
        if not claimed or seconds is None:
            return None
        return round(seconds / claimed * 1000 * 1000, 1)

    per_tick = sorted(s for _, s in working)
    total = sum(per_tick)
    return {
        "db": kind,
        "due": due,
        "ticks": len(working),
        "queued": queued,
        "still_due_after": left,
        "seconds": round(wall, 2),
        "tick_p50_ms": round(percentile(per_tick, 50) * 1000, 1),
        "tick_p95_ms": round(percentile(per_tick, 95) * 1000, 1),
        "tick_max_ms": round(per_tick[-1] * 1000, 1) if per_tick else None,
        "claimed": claimed,
        "lanes": lanes,
        # The backlog's clearing time (all lanes), and the batches' own times added up
        # (the same with one lane).
        "ms_per_1000_claimed": per_1000(wall),
        "batch_ms_per_1000_claimed": per_1000(total),
        "python_cpu_ms_per_1000_claimed": per_1000(python_cpu),
        "db_cpu_ms_per_1000_claimed": per_1000(db_cpu),
        "claimed_per_s": round(claimed / wall) if wall else None,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "idle_tick_ms": round(percentile(sorted(idle), 50) * 1000, 2),
        "time_in_statements_s": {k: round(v, 2) for k, v in sorted(spent.items())},
        "statement_ms_per_tick": {
            k: round(v / len(working) * 1000, 1) for k, v in sorted(spent.items()) if working
        },
        "statement_server_cpu_ms_per_tick": {
            k: round(v / len(working) * 1000, 1)
            for k, v in sorted(server_spent.items())
            if working and kind == "postgres"
        },
        "claim_plan": plan,
        "index_used": "ix_reminder_due_due_at" in plan,
    }


async def explain(engine, kind: str, captured, was: datetime) -> str:
    """The plan of the tick's own claim query at NOW (EXPLAIN ANALYZE on Postgres, in a
    rolled-back transaction: FOR UPDATE takes row locks)."""
    if captured is None:
        return ""
    sql, params = captured
    as_text = was.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLite's dialect sends it

    def at_now(value):
        if isinstance(value, datetime) and value == was:
            return NOW
        if value == as_text:
            return NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    params = type(params)(at_now(v) for v in params)
    async with engine.connect() as conn:
        if kind == "postgres":
            result = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        else:
            result = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
        lines = [" ".join(str(c) for c in row[-1:]) for row in result.all()]
        await conn.rollback()
    return "\n".join(lines)


async def main_async(args) -> None:
    from bot.outreach import reminders

    m = machine()
    kinds = [k.strip() for k in args.db.split(",")]
    if "postgres" in kinds:
        m["postgres"] = await pg_version()
        if m["postgres"] is None:
            sys.exit("Postgres is unreachable (BENCH_DATABASE_URL / TEST_DATABASE_URL)")
    print(f"machine: {describe(m)}", flush=True)
    results = []
    for kind in kinds:
        ctx = pg_database("hocai_bench_reminders") if kind == "postgres" else sqlite_database()
        async with ctx as url:
            print(f"{kind}: seeding {args.learners:,} learners ({args.due:,} due)...", flush=True)
            seeded = await seed(url, args.learners, args.due, args.seed)
            print(f"  seeded in {seeded['seconds']} s: {seeded['rows']}", flush=True)
            lanes = args.lanes or (reminders.LANES_POSTGRES if kind == "postgres" else 1)
            r = await measure(url, kind, args.due, lanes)
            r["learners"] = args.learners
            r["seed"] = seeded
        results.append(r)
        print("  claim query plan:\n    " + r["claim_plan"].replace("\n", "\n    "))
        print(
            f"  {kind}: {r['ticks']} ticks, {r['ms_per_1000_claimed']} ms per 1,000 claimed, "
            f"tick p50 {r['tick_p50_ms']} ms, idle tick {r['idle_tick_ms']} ms",
            flush=True,
        )
    headers = [
        "database",
        "learners",
        "due",
        "ticks",
        "lanes",
        "queued",
        "tick p50 ms",
        "tick p95 ms",
        "ms per 1,000 claimed",
        "Python CPU ms",
        "DB CPU ms",
        "idle tick ms",
        "index scan",
    ]
    rows = [
        [
            r["db"],
            f"{r['learners']:,}",
            f"{r['due']:,}",
            r["ticks"],
            r["lanes"],
            f"{r['queued']:,}",
            r["tick_p50_ms"],
            r["tick_p95_ms"],
            r["ms_per_1000_claimed"],
            r["python_cpu_ms_per_1000_claimed"],
            r["db_cpu_ms_per_1000_claimed"] if r["db_cpu_ms_per_1000_claimed"] is not None else "–",
            r["idle_tick_ms"],
            "yes" if r["index_used"] else "NO",
        ]
        for r in results
    ]
    print()
    print(table(headers, rows))
    for r in results:
        cpu = r["statement_server_cpu_ms_per_tick"]
        spent = ", ".join(
            f"{k} {v}" + (f" ({cpu[k]} server CPU)" if k in cpu else "")
            for k, v in r["statement_ms_per_tick"].items()
        )
        print(f"{r['db']}: ms per tick in statements, wall: {spent}")
        la = ", ".join(f"{x:.2f}" for x in r["load_average_after"])
        print(f"{r['db']}: load average after the ticks {la}")
    path = save(
        args.out,
        {
            "benchmark": "reminders",
            "command": "bench/reminders.py " + " ".join(sys.argv[1:]),
            "machine": m,
            "now": NOW.isoformat(),
            "target_ms_per_1000_claimed_postgres": 50,
            "results": results,
        },
    )
    print(f"\nwrote {path}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learners", type=int, default=1_000_000)
    p.add_argument("--due", type=int, default=100_000, help="learners due at the tick")
    p.add_argument("--db", default="postgres", help="postgres, sqlite or both")
    p.add_argument("--seed", type=int, default=20251126)
    p.add_argument(
        "--lanes", type=int, default=0, help="batches in flight (default: as the worker)"
    )
    p.add_argument("--out", default="reminders", help="results file name under bench/results/")
    args = p.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
