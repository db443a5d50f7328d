"""Real `hocai serve` / `hocai worker` / `hocai run` processes for the production tests.

Each process is `python -m bot ROLE` on its own loopback port, started in a temporary
folder (no .env is read) with its settings in the environment, its stderr (JSON log
lines) in a file. The Telegram stand-in runs in the test process; the processes reach it
through TELEGRAM_API_BASE. Every wait is bounded; `Cluster.close()` (called from the
fixture's finally) ends whatever is still running.
"""

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.standins.telegram_api import TOKEN

ROOT = Path(__file__).resolve().parents[2]
SECRET = "prod-test-secret_0123456789"
# Settings of the developer's shell that must not leak into the processes under test.
SCRUB = (
    "DATABASE_URL",
    "TELEGRAM_",
    "ZALO_",
    "OPENAI_",
    "LLM_",
    "WEB_",
    "LOG_",
    "OUTBOX_",
    "LEADER_",
    "SHUTDOWN_",
    "SECRET_KEY",
    "ADMIN_",
    "PROMPTS_DIR",
    "LESSONS_DIR",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_until(
    condition: Callable[[], object], what: str, limit: float = 30.0, every: float = 0.05
) -> float:
    """Poll until condition() is truthy; fail after `limit` seconds. Returns the wait."""
    started = time.monotonic()
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.monotonic() - started
        if time.monotonic() - started > limit:
            raise AssertionError(f"gave up after {limit:.0f} s waiting for: {what}")
        await asyncio.sleep(every)


@dataclass
class Proc:
    name: str
    role: str
    port: int
    popen: subprocess.Popen
    log_path: Path
    out_path: Path
    env: dict = field(repr=False, default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[str]:
        return [line for line in self.logs().splitlines() if line.strip()]

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log_lines()[-n:])

    def signal(self, sig: int) -> None:
        if self.alive:
            self.popen.send_signal(sig)

    async def wait_exit(self, limit: float) -> int:
        await wait_until(lambda: not self.alive, f"{self.name} to exit", limit)
        return self.popen.returncode

    async def get(self, path: str, timeout: float = 5.0) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.url, timeout=timeout) as http:
            return await http.get(path)

    async def health(self) -> dict:
        return (await self.get("/healthz")).json()


class Cluster:
    def __init__(self, tmp_path: Path, database_url: str, api_url: str, **common: str):
        self.tmp = tmp_path
        self.database_url = database_url
        self.api_url = api_url
        self.common = common
        self.procs: list[Proc] = []

    def env(self, port: int, **extra: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUB)}
        env.update(
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
            DATABASE_URL=self.database_url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=self.api_url,
            TELEGRAM_MODE="webhook",
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            WEB_HOST="127.0.0.1",
            WEB_PORT=str(port),
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
            SECRET_KEY="prod-test-signing-key-0123456789",
            SCHEDULER_TICK_SECONDS="1",
            QUIET_HOURS="00:00-00:00",  # reminders at any hour of the test
            LEADER_POLL_SECONDS="1",
            LEADER_CHECK_SECONDS="1",
            OUTBOX_LEASE_SECONDS="3",
            SHUTDOWN_GRACE_SECONDS="10",
            TELEGRAM_RATE="20",
        )
        env.update(self.common)
        env.update(extra)
        return env

    def start(self, role: str, name: str, **extra: str) -> Proc:
        port = free_port()
        env = self.env(port, **extra)
        workdir = self.tmp / name
        workdir.mkdir(parents=True, exist_ok=True)
        log_path, out_path = workdir / "stderr.log", workdir / "stdout.log"
        with open(log_path, "wb") as err, open(out_path, "wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "bot", role],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        proc = Proc(name, role, port, popen, log_path, out_path, env)
        self.procs.append(proc)
        return proc

    async def ready(self, *procs: Proc, limit: float = 90.0) -> None:
        """Wait until every process answers /readyz with 200."""

        async def is_ready(p: Proc) -> bool:
            if not p.alive:
                raise AssertionError(f"{p.name} exited ({p.popen.returncode}):\n{p.tail()}")
            try:
                return (await p.get("/readyz", timeout=2)).status_code == 200
            except httpx.HTTPError:
                return False

        for p in procs:
            await wait_until(lambda p=p: is_ready(p), f"{p.name} ready", limit, every=0.2)

    async def leader(self, workers: list[Proc], limit: float = 30.0) -> Proc:
        """The worker that reports itself leader (waits for one)."""
        found: list[Proc] = []

        async def one() -> bool:
            found.clear()
            for w in workers:
                if w.alive:
                    with contextlib.suppress(httpx.HTTPError, ValueError):
                        if (await w.health()).get("worker") == "leader":
                            found.append(w)
            return len(found) == 1

        await wait_until(one, "one leader among the workers", limit, every=0.2)
        return found[0]

    async def aclose(self, limit: float = 20.0) -> None:
        """SIGTERM every process still running, SIGKILL what is left after `limit`."""
        for p in self.procs:
            p.signal(signal.SIGTERM)
        deadline = time.monotonic() + limit
        while any(p.alive for p in self.procs) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for p in self.procs:
            if p.alive:
                p.popen.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.popen.wait(timeout=10)


def json_lines(proc: Proc) -> list[dict]:
    """Every stderr line parsed; a line that is not a JSON object fails the test."""
    out = []
    for line in proc.log_lines():
        try:
            record = json.loads(line)
        except ValueError as e:
            raise AssertionError(f"{proc.name}: not a JSON log line: {line[:300]!r}") from e
        assert isinstance(record, dict) and {"ts", "level", "logger", "msg"} <= set(record), line
        out.append(record)
    return out


def webhook_post(http: httpx.AsyncClient, proc: Proc, update: dict):
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    return http.post(f"{proc.url}/telegram/webhook", json=update, headers=headers)
