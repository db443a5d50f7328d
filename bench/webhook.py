"""Webhook benchmark: hocai's Telegram webhook (`hocai serve`, real database: SQLite and
Postgres) against a bare aiogram echo bot, same load, same local Bot API stand-in, in
one run; updates/s, p50/p95/p99 of the webhook HTTP call, and the ratio.

    .venv/bin/python bench/webhook.py            # 1,000 learners x 20 updates, 64 in flight
    .venv/bin/python bench/webhook.py --learners 200 --targets echo,hocai-sqlite
    .venv/bin/python bench/webhook.py --prefill 1000000 --targets hocai-postgres,echo

The bots run as their own processes pinned to core 0; this process (the load generator,
httpx, and the Bot API stand-in, tests/standins/telegram_api.py) is pinned to core 1, and
so are the Postgres server processes of the benchmark's database (--postgres-core).

The load: each learner goes through onboarding (/start, the consent button, the group
button, the commune typed, the commune button, the unit skipped), then lesson cards,
quiz answers and a free question or two; 20 updates each. Buttons are pressed with the
callback_data of the message the bot last sent to that chat (read from the stand-in), and
the callback update carries that message, as Telegram's does. A learner's next update
is sent only after the previous one was answered; 64 learners are in flight.

hocai goes first (its run records the updates); the echo bots get exactly those update
bodies, in the same per-learner order and concurrency.

Targets:
- hocai-sqlite, hocai-postgres: `python -m bot serve` (uvicorn, FastAPI, the webhook
  router, the engine, one transaction per update) with TELEGRAM_MODE=webhook, a fresh
  database each, LOG_LEVEL=INFO (production's default; logs go to a file).
- echo: the bare aiogram 3 webhook bot as aiogram documents it: a Dispatcher with one
  message handler (message.answer(text): SendMessage) and one callback handler
  (query.answer(): AnswerCallbackQuery, then SendMessage), served by aiohttp's
  SimpleRequestHandler with handle_in_background=False (the update is handled before
  the answer goes back, as hocai does; the default answers at once and handles later,
  which would time only the queueing), logging at INFO.
- echo-uvicorn: the same Dispatcher behind a FastAPI route on uvicorn, served exactly as
  hocai is: it shows what the web server alone costs.

Prints a table and writes bench/results/webhook.json.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    ROOT,
    Learner,
    PgWatcher,
    cores_of,
    cpu_seconds,
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

SECRET = "bench-secret_0123456789"
PATH = "/telegram/webhook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_CORE, LOAD_CORE = 0, 1
CHAT_BASE = 20_000_000
WARM_LEARNERS = 64
WARM_STEPS = 6


# --- learners already in the database (--prefill) -----------------------------------------

_FILL_COLUMNS = (
    "pid, channel, channel_user_id, group_code, consent_at, reminder_days, reminders_ignored, "
    "reminder_weekly, streak, best_streak, status, state, state_data, choices, created_at, "
    "last_active_at, reminders_off"
)
# One INSERT ... SELECT over a generated series: no rows travel from Python.
_FILL_POSTGRES = (
    f"INSERT INTO learner ({_FILL_COLUMNS}) SELECT 'f' || lpad(to_hex(i), 11, '0'), "
    "'telegram', 'fill' || i, (ARRAY['dan','cb','dn','che','hs'])[1 + i % 5], "
    "now() - interval '30 days', '1234567', 0, false, i % 9, i % 9, 'active', 'menu', "
    "'{}'::json, '[]'::json, now() - interval '30 days', now() - interval '1 day', false "
    "FROM generate_series(1, :n) AS i"
)
_FILL_SQLITE = (
    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
    f"INSERT INTO learner ({_FILL_COLUMNS}) SELECT printf('f%011x', i), 'telegram', "
    "'fill' || i, 'dan', datetime('now', '-30 days'), '1234567', 0, 0, i % 9, i % 9, "
    "'active', 'menu', '{}', '[]', datetime('now', '-30 days'), datetime('now', '-1 days'), "
    "0 FROM s"
)


async def prefill(url: str, n: int) -> float:
    """Migrate the database and add `n` learners on Telegram (chats the load never uses);
    returns the seconds it took."""
    from sqlalchemy import text

    from storage import db

    started = time.perf_counter()
    engine = db.make_engine(url)
    try:
        await db.upgrade(engine)
        sqlite = db.is_sqlite(url)
        async with engine.begin() as conn:
            await conn.execute(text(_FILL_SQLITE if sqlite else _FILL_POSTGRES), {"n": n})
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    finally:
        await engine.dispose()
    return time.perf_counter() - started


# --- the bots (child processes) ----------------------------------------------------------


def _echo_dispatcher():
    from aiogram import Dispatcher
    from aiogram.types import CallbackQuery, Message

    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    @dp.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()
        if query.message is not None:
            await query.message.answer(query.data or "…")

    return dp


def _echo_bot(api: str):
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from tests.standins.telegram_api import TOKEN

    return Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))


def serve_echo_aiohttp(api: str, port: int) -> None:
    """aiogram's documented webhook setup: aiohttp + SimpleRequestHandler."""
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    dp, bot = _echo_dispatcher(), _echo_bot(api)
    app = web.Application()
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=SECRET, handle_in_background=False
    ).register(app, path=PATH)
    app.router.add_get("/healthz", lambda _request: web.json_response({"status": "ok"}))
    setup_application(app, dp, bot=bot)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_echo_uvicorn(api: str, port: int) -> None:
    """The same echo bot behind a FastAPI route on uvicorn (as hocai is served)."""
    import hmac

    import uvicorn
    from aiogram.types import Update
    from fastapi import FastAPI, Request, Response

    dp, bot = _echo_dispatcher(), _echo_bot(api)
    app = FastAPI()

    @app.post(PATH)
    async def webhook(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get(HEADER, "").encode(), SECRET.encode()):
            return Response(status_code=401)
        update = Update.model_validate(await request.json(), context={"bot": bot})
        await dp.feed_update(bot, update)
        return Response(status_code=200)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """A bot process pinned to BOT_CORE, serving the webhook on 127.0.0.1:port."""

    def __init__(
        self,
        target: str,
        api: str,
        log_dir: Path,
        database_url: str | None = None,
        profile: str | None = None,
    ):
        self.target, self.api, self.database_url = target, api, database_url
        self.profile = profile
        self.port = _free_port()
        self.log_path = log_dir / f"{target}.log"
        self.proc: subprocess.Popen | None = None

    def command(self) -> tuple[list[str], dict]:
        path = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        if self.target.startswith("hocai"):
            from tests.standins.telegram_api import TOKEN

            env.update(
                DATABASE_URL=self.database_url or "",
                TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_API_BASE=self.api,
                TELEGRAM_MODE="webhook",
                TELEGRAM_WEBHOOK_SECRET=SECRET,
                ZALO_BOT_TOKEN="",
                WEB_HOST="127.0.0.1",
                WEB_PORT=str(self.port),
                LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "INFO"),
                SECRET_KEY="bench-" + uuid.uuid4().hex,
                OPENAI_API_KEY="",
            )
            return [sys.executable, "-m", "bot", "serve"], env
        role = {"echo": "echo-aiohttp", "echo-uvicorn": "echo-uvicorn"}[self.target]
        script = str(Path(__file__).resolve())
        return [
            sys.executable,
            script,
            "--serve",
            role,
            "--api",
            self.api,
            "--port",
            str(self.port),
        ], env

    async def start(self) -> None:
        cmd, env = self.command()
        if self.profile:  # sample the bot with py-spy (pip install py-spy)
            Path(self.profile).mkdir(parents=True, exist_ok=True)
            out = Path(self.profile).resolve() / f"{self.target}.txt"
            spy = Path(sys.executable).with_name("py-spy")
            cmd = [str(spy), "record", "-r", "250", "-f", "raw", "-o", str(out), "--", *cmd]
        log = self.log_path.open("wb")

        def pinned() -> None:  # runs in the child before exec
            pin({BOT_CORE})

        # cwd: a folder without a .env, so the environment above is all it reads.
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=pinned,
            cwd=self.log_path.parent,
        )
        self.pid = self.proc.pid
        import httpx

        deadline = time.monotonic() + 300  # a start-up on a big database, a busy machine
        async with httpx.AsyncClient() as client:
            while True:
                if self.proc.poll() is not None:
                    sys.exit(f"{self.target} exited:\n{self.log_path.read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    r = await client.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                    if r.status_code == 200:
                        if self.profile:  # the bot is py-spy's child
                            kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
                            self.pid = int(kids.read_text().split()[0])
                        return
                if time.monotonic() > deadline:
                    self.proc.kill()  # not left behind serving a dropped database
                    self.proc.wait()
                    sys.exit(f"{self.target} did not come up:\n{self.log_path.read_text()[-3000:]}")
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_lines(self) -> int:
        return sum(1 for _ in self.log_path.open("rb"))


# --- the Bot API stand-in, remembering what each chat shows ---------------------------


def standin_class():
    from tests.standins.telegram_api import TelegramStandIn

    class Recording(TelegramStandIn):
        """The stand-in, plus per chat the messages the bot sent or edited since the
        learner's last update (where the learner reads the buttons to press)."""

        def __init__(self):
            super().__init__()
            self.touched: dict[int, list[dict]] = {}

        def _touch(self, message: dict) -> dict:
            self.touched.setdefault(message["chat"]["id"], []).append(message)
            return message

        async def _m_sendMessage(self, params):
            return self._touch(await super()._m_sendMessage(params))

        async def _m_editMessageText(self, params):
            return self._touch(await super()._m_editMessageText(params))

        async def _m_editMessageReplyMarkup(self, params):
            return self._touch(await super()._m_editMessageReplyMarkup(params))

    return Recording


# --- the load ------------------------------------------------------------------------------


class TgLearner(Learner):
    """A scripted learner as a Telegram user: builds real Update JSON."""

    _message_ids = itertools.count(1)
    _update_ids = itertools.count(1)

    def __init__(self, index: int, steps: int):
        super().__init__(index, steps)
        self.chat_id = CHAT_BASE + index
        self.user = {
            "id": self.chat_id,
            "is_bot": False,
            "first_name": "Lan",
            "last_name": f"Bench {index}",
            "language_code": "vi",
        }
        self.recorded: list[bytes] = []

    def update(self, shown: list[dict]) -> bytes:
        keyboard = next((m for m in reversed(shown) if m.get("reply_markup")), None)
        buttons = [
            b
            for row in (keyboard or {}).get("reply_markup", {}).get("inline_keyboard", [])
            for b in row
        ]
        kind, value = self.next_step([b["text"] for b in buttons])
        update_id = next(self._update_ids)
        if kind == "press" and keyboard is not None:
            data = next((b["callback_data"] for b in buttons if b["text"] == value), "?")
            query = {
                "id": uuid.uuid4().hex,
                "from": self.user,
                "chat_instance": f"ci{self.chat_id}",
                "message": keyboard,
                "data": data,
            }
            body = {"update_id": update_id, "callback_query": query}
        else:
            text = value if kind == "text" else "/hoc"
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": self.chat_id, "type": "private", "first_name": "Lan"},
                "from": self.user,
                "text": text,
            }
            if text.startswith("/"):
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                ]
            body = {"update_id": update_id, "message": message}
        raw = json.dumps(body, ensure_ascii=False).encode()
        self.recorded.append(raw)
        return raw


class Replay:
    """A learner's recorded updates, sent again in the same order (for the echo bots)."""

    def __init__(self, updates: list[bytes]):
        self.updates = updates
        self.done = 0

    @property
    def finished(self) -> bool:
        return self.done >= len(self.updates)

    def update(self, _shown) -> bytes:
        raw = self.updates[self.done]
        self.done += 1
        return raw


async def drive(port: int, api, learners: list, concurrency: int) -> dict:
    """Send every learner's updates; returns latencies and failures."""
    import httpx

    latencies: list[float] = []
    failures = 0
    errors: dict[str, int] = {}
    url = f"http://127.0.0.1:{port}{PATH}"
    headers = {HEADER: SECRET, "content-type": "application/json"}
    # One client (one keep-alive connection) per learner in flight: httpx's connection
    # pool scans all its connections for every request, which with 64 of them costs
    # the load generator more CPU than the echo bot spends on the update.
    clients: asyncio.Queue = asyncio.Queue()
    for _ in range(concurrency):
        clients.put_nowait(httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=120))
    try:

        async def one_step(learner) -> None:
            nonlocal failures
            chat = getattr(learner, "chat_id", None)
            shown = api.touched.pop(chat, []) if chat is not None else []
            body = learner.update(shown)
            client = clients.get_nowait()
            started = time.perf_counter()
            try:
                try:
                    response = await client.post(url, content=body, headers=headers)
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    # The server closed an idle keep-alive connection just as it was
                    # reused: send again on a fresh one (the update id makes it safe).
                    errors["resent"] = errors.get("resent", 0) + 1
                    response = await client.post(url, content=body, headers=headers)
            except httpx.HTTPError as e:
                failures += 1
                errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
                return
            finally:
                clients.put_nowait(client)
            latencies.append(time.perf_counter() - started)
            if response.content:  # a method call in the webhook's answer: Telegram runs it
                kind = response.headers.get("content-type", "")
                await api.webhook_answer(response.status_code, kind, response.content)
            if response.status_code != 200:
                failures += 1
                errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1

        started = time.perf_counter()
        cpu0 = time.process_time()
        await run_learners(learners, concurrency, one_step)
        wall = time.perf_counter() - started
        load_cpu = time.process_time() - cpu0
    finally:
        while not clients.empty():
            await clients.get_nowait().aclose()
    return {
        "latencies": latencies,
        "failures": failures,
        "errors": errors,
        "wall": wall,
        "load_cpu": load_cpu,
    }


async def run_target(target: str, args, log_dir: Path, recording: dict | None) -> dict:
    """One bot: start it, warm it up, time the load, stop it."""
    standin = standin_class()()
    api_url = await standin.start()
    if target == "hocai-sqlite":
        db_ctx = sqlite_database(migrate=False)
    elif target == "hocai-postgres":
        db_ctx = pg_database("hocai_bench_webhook", migrate=False)
    else:
        db_ctx = contextlib.nullcontext(None)
    try:
        async with contextlib.AsyncExitStack() as stack:
            url = await stack.enter_async_context(db_ctx) if target.startswith("hocai") else None
            if url and args.prefill:
                took = await prefill(url, args.prefill)
                print(f"  {target}: {args.prefill:,} learners added in {took:.0f} s", flush=True)
            bot = BotProcess(target, api_url, log_dir, url, args.profile)
            await bot.start()
            try:
                if recording is None:
                    warm = [TgLearner(900_000 + i, WARM_STEPS) for i in range(WARM_LEARNERS)]
                    cohort = [TgLearner(i, args.steps) for i in range(args.learners)]
                else:
                    warm = [Replay(u) for u in recording["warm"]]
                    cohort = [Replay(u) for u in recording["cohort"]]
                await drive(bot.port, standin, warm, args.concurrency)
                watcher = None
                if target == "hocai-postgres":
                    core = args.postgres_core if args.postgres_core >= 0 else None
                    watcher = PgWatcher(url, core)
                    await watcher.start()
                calls0 = len(standin.calls)
                bot_cpu0 = cpu_seconds(bot.pid)
                result = await drive(bot.port, standin, cohort, args.concurrency)
                bot_cpu = cpu_seconds(bot.pid) - bot_cpu0
                pg_cpu = await watcher.stop() if watcher else None
                calls = standin.calls[calls0:]
            finally:
                bot.stop()
                if args.keep_logs:
                    Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
                    (Path(args.keep_logs) / bot.log_path.name).write_bytes(
                        bot.log_path.read_bytes()
                    )
    finally:
        await standin.stop()
    n = len(result["latencies"])
    per_method: dict[str, int] = {}
    for c in calls:
        per_method[c.method] = per_method.get(c.method, 0) + 1
    refused: dict[str, int] = {}
    for c in calls:
        if c.status != 200:
            key = f"{c.method}: {c.status} {c.description[:80]}"
            refused[key] = refused.get(key, 0) + 1
    out = {
        "target": target,
        "updates": n,
        "failures": result["failures"],
        "failure_kinds": result["errors"],
        "seconds": round(result["wall"], 2),
        "updates_per_s": round(n / result["wall"], 1),
        **latency_summary(result["latencies"]),
        "bot_cpu_ms_per_update": round(bot_cpu / n * 1000, 3),
        "bot_core_busy": round(bot_cpu / result["wall"], 2),
        "load_core_busy": round(result["load_cpu"] / result["wall"], 2),
        "postgres_cpu_ms_per_update": round(pg_cpu / n * 1000, 3) if watcher else None,
        "postgres_processes": watcher.processes if watcher else None,
        "api_calls_per_update": round(len(calls) / n, 2),
        # the Bot API requests the bot made itself (not the calls in a webhook's answer)
        "http_calls_per_update": round(
            sum(c.content_type != "webhook-answer" for c in calls) / n, 2
        ),
        "api_calls": per_method,
        "api_calls_refused": refused,
        "log_lines": bot.log_lines(),
    }
    if recording is None:
        out["_recording"] = {
            "warm": [w.recorded for w in warm],
            "cohort": [c.recorded for c in cohort],
        }
    return out


async def main_async(args) -> None:
    pinned = pin({LOAD_CORE})
    m = machine()
    targets = [t.strip() for t in args.targets.split(",")]
    if "hocai-postgres" in targets:
        m["postgres"] = await pg_version()
        if m["postgres"] is None:
            sys.exit("Postgres is unreachable (BENCH_DATABASE_URL / TEST_DATABASE_URL)")
    m["pinning"] = (
        f"bots on core {BOT_CORE}, load generator and stand-in on core(s) {cores_of()}"
        + (f", Postgres backends on core {args.postgres_core}" if args.postgres_core >= 0 else "")
        if pinned
        else "not pinned (fewer than 2 cores)"
    )
    print(f"machine: {describe(m)}\npinning: {m['pinning']}", flush=True)
    # hocai first: its run records the updates that the echo bots then get.
    order = [t for t in targets if t.startswith("hocai")] + [
        t for t in targets if not t.startswith("hocai")
    ]
    if not any(t.startswith("hocai") for t in order):
        sys.exit("at least one hocai target is needed (its run makes the load)")
    results: dict[str, dict] = {}
    recording = None
    with tempfile.TemporaryDirectory(prefix="hocai-bench-webhook-") as tmp:
        for target in order:
            replay = None if target.startswith("hocai") else recording
            r = await run_target(target, args, Path(tmp), replay)
            if "_recording" in r:
                rec = r.pop("_recording")
                recording = recording or rec
            results[target] = r
            print(
                f"  {target}: {r['updates_per_s']:,.0f} updates/s, p50 {r['p50_ms']} ms, "
                f"p99 {r['p99_ms']} ms, bot core {r['bot_core_busy']:.0%} busy, "
                f"load core {r['load_core_busy']:.0%} busy, failures {r['failures']}",
                flush=True,
            )
    echo = results.get("echo") or results.get("echo-uvicorn")
    for r in results.values():
        r["ratio_vs_echo"] = round(r["updates_per_s"] / echo["updates_per_s"], 3) if echo else None
        # The same ratio from CPU time: what one core carries, whatever else runs beside.
        r["updates_per_cpu_s"] = round(1000 / r["bot_cpu_ms_per_update"], 1)
        r["cpu_ratio_vs_echo"] = (
            round(echo["bot_cpu_ms_per_update"] / r["bot_cpu_ms_per_update"], 3) if echo else None
        )
    headers = [
        "bot",
        "updates/s",
        "ratio vs echo",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "bot CPU ms/update",
        "updates per CPU-second (ratio)",
        "Postgres CPU ms/update",
        "Bot API calls/update (made by the bot)",
        "failures",
    ]
    rows = [
        [
            t,
            f"{r['updates_per_s']:,.0f}",
            f"{r['ratio_vs_echo']:.2f}" if r["ratio_vs_echo"] is not None else "–",
            r["p50_ms"],
            r["p95_ms"],
            r["p99_ms"],
            r["bot_cpu_ms_per_update"],
            f"{r['updates_per_cpu_s']:,.0f} ({r['cpu_ratio_vs_echo']:.2f})"
            if r["cpu_ratio_vs_echo"] is not None
            else f"{r['updates_per_cpu_s']:,.0f}",
            r["postgres_cpu_ms_per_update"] if r["postgres_cpu_ms_per_update"] is not None else "–",
            f"{r['api_calls_per_update']} ({r['http_calls_per_update']})",
            r["failures"] + sum(r["api_calls_refused"].values()),
        ]
        for t, r in results.items()
    ]
    print()
    print(table(headers, rows))
    path = save(
        args.out,
        {
            "benchmark": "webhook",
            "command": "bench/webhook.py " + " ".join(sys.argv[1:]),
            "machine": m,
            "load": {
                "learners": args.learners,
                "updates_per_learner": args.steps,
                "concurrency": args.concurrency,
                "warm_up": f"{WARM_LEARNERS} learners x {WARM_STEPS} updates, not timed",
                "learners_already_in_the_database": args.prefill,
            },
            "targets": {"sqlite": 0.6, "postgres": 0.5},
            "results": results,
        },
    )
    print(f"\nwrote {path}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learners", type=int, default=1000)
    p.add_argument("--steps", type=int, default=20, help="updates per learner")
    p.add_argument("--concurrency", type=int, default=64, help="learners in flight")
    p.add_argument(
        "--targets",
        default="hocai-sqlite,hocai-postgres,echo,echo-uvicorn",
        help="comma-separated: hocai-sqlite, hocai-postgres, echo, echo-uvicorn",
    )
    p.add_argument(
        "--postgres-core",
        type=int,
        default=LOAD_CORE,
        help="pin the benchmark database's Postgres backends to this core (-1: leave them)",
    )
    p.add_argument(
        "--prefill",
        type=int,
        default=0,
        metavar="N",
        help="add N learners to each hocai database before the run (how the cost grows)",
    )
    p.add_argument("--out", default="webhook", help="results file name under bench/results/")
    p.add_argument("--keep-logs", metavar="DIR", help="copy each bot's log to this folder")
    p.add_argument(
        "--profile",
        metavar="DIR",
        help="run each bot under py-spy; its samples go to DIR/<bot>.txt (collapsed stacks)",
    )
    # internal: run one of the echo bots (a child process of the benchmark)
    p.add_argument("--serve", choices=["echo-aiohttp", "echo-uvicorn"], help=argparse.SUPPRESS)
    p.add_argument("--api", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        import logging

        logging.basicConfig(level=logging.INFO)  # as aiogram's examples do
        sys.path.insert(0, str(ROOT))
        if args.serve == "echo-aiohttp":
            serve_echo_aiohttp(args.api, args.port)
        else:
            serve_echo_uvicorn(args.api, args.port)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
