"""Broadcast benchmark: N recipients through the outbox dispatcher to the Telegram stand-in,
uncapped and capped at L messages a second. Targets (docs/PERFORMANCE.md): uncapped
≥2,000 msg/s at 100,000 recipients; capped: achieved ≥0.95 L, with no 429.

    .venv/bin/python bench/broadcast.py                      # 100,000 recipients, L=500
    .venv/bin/python bench/broadcast.py --recipients 20000 --limit 25 --profile
    .venv/bin/python bench/broadcast.py --clients 8000       # CPU per sendMessage by client

What runs: a fresh database (--database-url; dropped and created again), N consenting
Telegram learners, one broadcast to the whole province by an admin, queued by the
worker's own code (broadcasts.tick, 1,000 rows a transaction), then the real Dispatcher
sending through the Telegram channel's outbox client (bot/channels/telegram/delivery.py:
JSON sendMessage on aiohttp) to tests/standins/telegram_api.py. The stand-in
runs in its own process (as Telegram would be elsewhere), so the numbers are the
dispatcher's, on one core. In the capped run the stand-in answers 429 past 1.25 L sends
in any second, as Telegram does past 30 when we send at 25 (settings.telegram_rate); the
429s and the busiest second the stand-in saw are reported.
Writes bench/results/broadcast.json.
"""

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import PgWatcher  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hocai_bench_broadcast"
PLATFORM_MARGIN = 1.25  # the platform's limit over ours: Telegram's 30 over our 25
SORT = os.environ.get("BENCH_PROFILE_SORT", "tottime")
# cProfile's clock: "cpu" (this process's CPU time; the default, because on a shared
# machine wall time charges every preemption to whatever call was running, mostly the
# kernel's socket sends) or "wall".
PROFILE_CLOCK = os.environ.get("BENCH_PROFILE_CLOCK", "cpu")
PROFILE_DUMP = os.environ.get("BENCH_PROFILE_DUMP")  # a file for the whole cProfile
RESULTS = ROOT / "bench" / "results" / "broadcast.json"

# The stand-in in its own process, driven by one-line commands on stdin.
STANDIN = """
import asyncio, json, sys
from tests.standins.telegram_api import TelegramStandIn

def cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def busiest(times):
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best

async def main():
    api = TelegramStandIn()
    print(await api.start(), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not line or line[0] == "quit":
            break
        if line[0] == "limit":
            api.rate_limit = int(line[1]) or None
            api.calls.clear(); api.messages.clear(); api._recent_sends.clear()
        elif line[0] == "stats":
            sent = [c for c in api.calls if c.method == "sendMessage" and c.ok]
            ok = sorted(c.at for c in sent)
            chats = {c.params.get("chat_id") for c in sent}
            print(json.dumps({
                "ok": len(ok), "distinct_chats": len(chats),
                "status_429": sum(1 for c in api.calls if c.status == 429),
                "other_errors": sum(1 for c in api.calls if c.status not in (200, 429)),
                "busiest_second": busiest(ok),
                "first": ok[0] if ok else 0, "last": ok[-1] if ok else 0, "cpu": cpu(),
            }), flush=True)
    await api.stop()

asyncio.run(main())
"""


class StandIn:
    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", STANDIN],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.proc.stdout.readline().strip()

    def send(self, line: str) -> dict | None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        if line == "stats":
            return json.loads(self.proc.stdout.readline())
        return None

    def close(self) -> None:
        self.send("quit")
        self.proc.wait(10)


async def fresh_database(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        Path(u.database).unlink(missing_ok=True)
        return
    admin = (
        f"postgresql://{u.username or 'postgres'}@{u.host or '127.0.0.1'}:{u.port or 5432}/postgres"
    )
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{u.database}"')
    finally:
        await conn.close()


async def seed(sessions, n: int) -> float:
    from sqlalchemy import insert

    from bot import communes
    from storage.models import Learner
    from storage.types import utcnow

    codes = [c.code for c in communes.all_communes()]
    now = utcnow()
    started = time.monotonic()
    for start in range(0, n, 10_000):
        rows = [
            {
                "pid": f"{i:010x}",
                "channel": "telegram",
                "channel_user_id": str(1_000_000 + i),
                "group_code": "dan",
                "commune_code": codes[i % len(codes)],
                "consent_at": now,
                "status": "active",
                "state": "menu",
                "state_data": {},
                "choices": [],
                "created_at": now,
                "reminder_days": "1234567",
                "reminders_ignored": 0,
                "reminder_weekly": False,
                "streak": 0,
                "best_streak": 0,
            }
            for i in range(start, min(n, start + 10_000))
        ]
        async with sessions() as s, s.begin():
            await s.execute(insert(Learner), rows)
    return time.monotonic() - started


class _FirstOnly:
    """The sender, which calls enough() once `first` messages have been sent: measures
    the start of a broadcast too long to send in full (--first)."""

    def __init__(self, inner, first: int):
        self.inner, self.first, self.count = inner, first, 0
        self.enough = lambda: None

    async def deliver(self, user_id, messages):
        result = await self.inner.deliver(user_id, messages)
        self.count += 1
        if self.count >= self.first:
            self.enough()
        return result


async def one_run(
    sessions, catalog, service, standin, n, rate, concurrency, profile, url, processes=1, first=0
):
    """Queue one broadcast to everyone, send it at `rate` (0: uncapped) with `processes`
    dispatcher processes (uncapped only: each process has its own rate limiter); the
    numbers."""
    from bot.admin.roles import PROVINCE, Principal, Role
    from bot.outreach import broadcasts
    from bot.outreach.dispatcher import Dispatcher
    from storage.types import utcnow

    who = Principal(Role.admin, "telegram", "900", PROVINCE)
    async with sessions() as s, s.begin():
        audience = await broadcasts.resolve(s, who, "all")
        bc = await broadcasts.create(
            s, catalog, who, audience, "📢 Lớp học AI tối nay 19:30.", None, utcnow()
        )
    started = time.monotonic()
    queued = 0
    while n_ := await broadcasts.tick(sessions, catalog, utcnow()):
        queued += n_
    queue_s = time.monotonic() - started
    assert queued == n, (queued, n)

    standin.send(f"limit {int(rate * PLATFORM_MARGIN) if rate else 0}")
    sender = service if not first else _FirstOnly(service, first)
    dispatcher = Dispatcher(
        sessions, {"telegram": sender}, {"telegram": rate}, concurrency=concurrency
    )
    if first:
        sender.enough = dispatcher.stop
    timer = time.process_time if PROFILE_CLOCK == "cpu" else time.perf_counter
    prof = cProfile.Profile(timer) if profile else None
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    standin_cpu0 = standin.send("stats")["cpu"]
    # The benchmark database's own server processes (not the machine's other databases).
    watcher = PgWatcher(url, interval=1.0) if url.startswith("postgresql") else None
    if watcher:
        await watcher.start()
    started = time.monotonic()
    if processes > 1:
        started, children_cpu = await run_processes(processes, url, standin.url, concurrency)
        user, system = sum(c[0] for c in children_cpu), sum(c[1] for c in children_cpu)
    else:
        if prof:
            prof.enable()
        # As Dispatcher.run() in the worker, until nothing is due (or --first are sent).
        while not dispatcher.stopping.is_set() and await dispatcher.run_once(follow=True):
            pass
        if prof:
            prof.disable()
    send_s = time.monotonic() - started
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    pg_cpu = await watcher.stop() if watcher else 0.0
    if processes <= 1:
        user, system = cpu1.ru_utime - cpu0.ru_utime, cpu1.ru_stime - cpu0.ru_stime
    dispatcher_cpu = user + system
    await broadcasts.tick(sessions, catalog, utcnow())  # finish: counts, report row
    stats = standin.send("stats")
    async with sessions() as s:
        from storage.models import Broadcast

        done = await s.get(Broadcast, bc.id)
    span = (stats["last"] - stats["first"]) or send_s
    sent = stats["ok"] or 1  # CPU per message sent (all of them, or the first ones)
    result = {
        "rate_limit": rate or "uncapped",
        "recipients": n,
        "sent": stats["ok"],
        "queue_seconds": round(queue_s, 2),
        "queue_rows_per_s": round(n / queue_s),
        "send_seconds": round(send_s, 2),
        "msg_per_s": round(stats["ok"] / send_s, 1),
        "msg_per_s_first_to_last": round((stats["ok"] - 1) / span, 1) if span else None,
        "delivered": done.delivered,
        "status": done.status,
        "distinct_chats": stats["distinct_chats"],
        "status_429": stats["status_429"],
        "other_errors": stats["other_errors"],
        "busiest_second": stats["busiest_second"],
        "dispatcher_processes": processes,
        "dispatcher_cpu_ms_per_msg": round(dispatcher_cpu / sent * 1000, 3),
        "postgres_cpu_ms_per_msg": round(pg_cpu / sent * 1000, 3),
        "stand_in_cpu_ms_per_msg": round((stats["cpu"] - standin_cpu0) / sent * 1000, 3),
        "cpu_seconds": {
            "dispatcher": round(dispatcher_cpu, 1),
            "dispatcher_user": round(user, 1),
            "dispatcher_system": round(system, 1),  # the kernel's
            "stand_in": round(stats["cpu"] - standin_cpu0, 1),
            "postgres": round(pg_cpu, 1),
        },
        "load_average": os.getloadavg()[0],
    }
    if prof:
        if PROFILE_DUMP:  # for pstats / snakeviz
            prof.dump_stats(PROFILE_DUMP)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(SORT).print_stats(30)
        result["profile_top"] = out.getvalue()
    return result


def _child(url: str, api: str, concurrency: int, ready, go, out) -> None:
    """One more dispatcher process, as a second `hocai worker` would run one: sends until
    nothing is due, then reports its CPU seconds (user, system) on `out`."""
    asyncio.run(_child_async(url, api, concurrency, ready, go, out))


async def _child_async(url: str, api: str, concurrency: int, ready, go, out) -> None:
    from bot.channels.telegram.service import TelegramService
    from bot.config import LESSONS_DIR, Settings
    from bot.engine import Engine
    from bot.outreach.dispatcher import Dispatcher
    from lessons.loader import load_or_raise
    from storage import db
    from tests.standins.telegram_api import TOKEN

    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    settings = Settings(
        _env_file=None, telegram_bot_token=TOKEN, telegram_api_base=api, telegram_mode="polling"
    )
    service = TelegramService(settings, Engine(sessions, load_or_raise(LESSONS_DIR)))
    dispatcher = Dispatcher(
        sessions, {"telegram": service}, {"telegram": 0}, concurrency=concurrency
    )
    ready.set()
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    while await dispatcher.run_once(follow=True):
        pass
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    await service.stop()
    await engine.dispose()
    out.send((cpu1.ru_utime - cpu0.ru_utime, cpu1.ru_stime - cpu0.ru_stime))


async def run_processes(k: int, url: str, api: str, concurrency: int) -> tuple[float, list]:
    """Send with k dispatcher processes started together: when they were let go
    (time.monotonic(); their start-up is not send time), and their CPU (user, system)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    go, children = ctx.Event(), []
    for _ in range(k):
        ready, (mine, theirs) = ctx.Event(), ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(url, api, concurrency, ready, go, theirs))
        proc.start()
        children.append((proc, ready, mine))
    loop = asyncio.get_running_loop()
    for _, ready, _ in children:  # started and connected: not counted in the send time
        await loop.run_in_executor(None, ready.wait)
    go.set()
    started = time.monotonic()
    cpu = [await loop.run_in_executor(None, mine.recv) for _, _, mine in children]
    for proc, _, _ in children:
        proc.join()
    return started, cpu


async def main_async(args) -> dict:
    from bot.channels.telegram.service import TelegramService
    from bot.config import LESSONS_DIR, Settings
    from bot.engine import Engine
    from lessons.loader import load_or_raise
    from storage import db
    from tests.standins.telegram_api import TOKEN

    await fresh_database(args.database_url)
    engine = db.make_engine(args.database_url)
    await db.upgrade(engine)
    sessions = db.make_sessionmaker(engine)
    catalog = load_or_raise(LESSONS_DIR)
    seeded = await seed(sessions, args.recipients)
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        async with engine.connect() as c:
            await c.execution_options(isolation_level="AUTOCOMMIT")
            await c.execute(text("VACUUM ANALYZE learner"))
    print(f"seeded {args.recipients} learners in {seeded:.1f} s", file=sys.stderr)
    standin = StandIn()
    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_api_base=standin.url,
        telegram_mode="polling",
    )
    service = TelegramService(settings, Engine(sessions, catalog))
    runs = []
    try:
        for rate in ([0] if not args.skip_uncapped else []) + (
            [args.limit] if not args.skip_capped else []
        ):
            r = await one_run(
                sessions,
                catalog,
                service,
                standin,
                args.recipients,
                rate,
                args.concurrency,
                args.profile and rate == 0,
                args.database_url,
                args.dispatchers if rate == 0 else 1,
                args.first,
            )
            runs.append(r)
            print(json.dumps({k: v for k, v in r.items() if k != "profile_top"}), file=sys.stderr)
    finally:
        await service.stop()
        standin.close()
        await engine.dispose()
    return {"runs": runs, "database": engine.dialect.name}


async def compare_clients(n: int, concurrency: int) -> list[dict]:
    """CPU per sendMessage of each Telegram client this project has, against the stand-in
    (its own process), `concurrency` calls in flight: aiogram (replies), the outbox's
    own client (bot/channels/telegram/delivery.py), and httpx (the Zalo client's)."""
    import httpx
    from aiogram.methods import SendMessage

    from bot.channels.telegram.client import make_bot
    from bot.channels.telegram.delivery import TelegramDelivery
    from bot.config import Settings
    from bot.messages import Outbound
    from tests.standins.telegram_api import TOKEN

    text = "📢 Lớp học AI tối nay 19:30."
    standin = StandIn()
    results = []
    try:
        for kind in ("aiogram", "outbox delivery", "httpx"):
            if kind == "aiogram":
                settings = Settings(
                    _env_file=None, telegram_bot_token=TOKEN, telegram_api_base=standin.url
                )
                bot = make_bot(settings)

                async def send(chat: int, bot=bot) -> None:
                    await bot(SendMessage(chat_id=chat, text=text))

                close = bot.session.close
            elif kind == "outbox delivery":
                delivery = TelegramDelivery(TOKEN, standin.url)

                async def send(chat: int, delivery=delivery) -> None:
                    result = await delivery.deliver(str(chat), [Outbound(text)])
                    assert result.status == "sent", result

                close = delivery.close
            else:
                client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=100))
                url = f"{standin.url}/bot{TOKEN}/sendMessage"

                async def send(chat: int, client=client, url=url) -> None:
                    body = json.dumps({"chat_id": chat, "text": text}).encode()
                    answer = await client.post(
                        url, content=body, headers={"Content-Type": "application/json"}
                    )
                    assert answer.json()["ok"]

                close = client.aclose
            for chat in range(200):  # warm: connections open, caches built
                await send(1_000_000 + chat)
            chats = iter(range(n))

            async def worker(send=send, chats=chats) -> None:
                for chat in chats:
                    await send(2_000_000 + chat)

            cpu0, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            cpu1, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - started
            await close()
            cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            results.append(
                {
                    "client": kind,
                    "requests": n,
                    "cpu_ms_per_request": round(cpu / n * 1000, 3),
                    "requests_per_s": round(n / wall),
                    "load_average": os.getloadavg()[0],
                }
            )
            print(json.dumps(results[-1]), file=sys.stderr)
    finally:
        standin.close()
    return results


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipients", type=int, default=100_000)
    p.add_argument("--limit", type=int, default=500, help="L: the capped run's msg/s")
    p.add_argument("--concurrency", type=int, default=32, help="dispatcher sends in flight")
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    p.add_argument(
        "--dispatchers",
        type=int,
        default=1,
        help="dispatcher processes for the uncapped run (each with --concurrency sends)",
    )
    p.add_argument(
        "--first",
        type=int,
        default=0,
        metavar="N",
        help="stop after the first N messages (one dispatcher process): a 1M-recipient start",
    )
    p.add_argument("--skip-uncapped", action="store_true")
    p.add_argument("--skip-capped", action="store_true")
    p.add_argument("--profile", action="store_true", help="cProfile the uncapped run")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument(
        "--clients",
        type=int,
        default=0,
        metavar="N",
        help="only compare the Telegram clients' CPU per sendMessage (N calls each)",
    )
    p.add_argument(
        "--loop",
        choices=["uvloop", "asyncio"],
        default="asyncio",
        help="the dispatcher's event loop; `hocai worker` may run on uvloop (bot/cli.py)",
    )
    args = p.parse_args()
    if args.clients:
        clients = asyncio.run(compare_clients(args.clients, args.concurrency))
        print(f"machine: {machine()}; {args.concurrency} requests in flight")
        print("| client | requests | CPU ms/request | requests/s | load average |")
        print("|---|---|---|---|---|")
        for c in clients:
            print(
                f"| {c['client']} | {c['requests']:,} | {c['cpu_ms_per_request']} | "
                f"{c['requests_per_s']:,} | {c['load_average']:.1f} |"
            )
        return
    if args.loop == "uvloop":  # as bot/cli.py's run_service runs the worker
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            result = runner.run(main_async(args))
    else:
        result = asyncio.run(main_async(args))
    result["loop"] = args.loop
    result |= {"machine": machine(), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    print(f"machine: {result['machine']}; database: {result['database']}; loop: {args.loop}")
    head = (
        "rate limit | recipients | queue (s) | send (s) | msg/s | dispatcher CPU ms/msg | "
        "delivered | 429s | busiest 1 s | load average"
    )
    print(f"| {head} |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in result["runs"]:
        print(
            f"| {r['rate_limit']} | {r['recipients']:,} | {r['queue_seconds']} | "
            f"{r['send_seconds']} | {r['msg_per_s']:,} | {r['dispatcher_cpu_ms_per_msg']} | "
            f"{r['delivered'] or 0:,} | {r['status_429']} | {r['busiest_second']} | "
            f"{r['load_average']:.1f} |"
        )
        if r.get("profile_top"):
            print(r["profile_top"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
