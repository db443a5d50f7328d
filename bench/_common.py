"""Helpers shared by the benchmarks: the machine, throwaway databases, percentiles,
tables, results JSON, CPU pinning and the scripted learner that drives the load."""

import asyncio
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
PG_DEFAULT = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def pg_base_url() -> str:
    """Where to create the benchmark's own database (the server's `postgres` db by default)."""
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL", PG_DEFAULT)


# --- the machine -----------------------------------------------------------------------


def machine() -> dict:
    cpu, mem_gib = "?", 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_gib = round(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024)
    commit = "?"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        commit += "+dirty" if dirty else ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        "load_average": os.getloadavg(),
        "commit": commit,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def describe(m: dict) -> str:
    la = ", ".join(f"{x:.2f}" for x in m["load_average"])
    pg = f", PostgreSQL {m['postgres']}" if m.get("postgres") else ""
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, Python {m['python']}"
        f"{pg}; load average before the run {la}; commit {m['commit']}"
    )


# --- databases ---------------------------------------------------------------------------


async def pg_version(base: str | None = None) -> str | None:
    import asyncpg

    from tests.support.pg import admin_dsn

    try:
        conn = await asyncpg.connect(admin_dsn(base or pg_base_url()), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None
    try:
        return await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def pg_database(prefix: str, migrate: bool = True) -> AsyncIterator[str]:
    """A fresh Postgres database for this run (migrated to head); dropped at the end."""
    from tests.support.pg import throwaway_database

    async with throwaway_database(pg_base_url(), prefix, migrate) as url:
        yield url


@contextlib.asynccontextmanager
async def sqlite_database(migrate: bool = True) -> AsyncIterator[str]:
    """A fresh SQLite file in a temporary folder (migrated to head); removed at the end."""
    from storage import db

    with tempfile.TemporaryDirectory(prefix="hocai-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'hocai.db'}"
        if migrate:
            engine = db.make_engine(url)
            try:
                await db.upgrade(engine)
            finally:
                await engine.dispose()
        yield url


class PgWatcher:
    """Follows the Postgres server processes of one database (a connection pool opens and
    closes them): pins each to `core` (if given) and adds up their CPU time between
    start() and stop(). Scans /proc every `interval` seconds."""

    def __init__(self, url: str, core: int | None = None, interval: float = 0.2):
        from sqlalchemy.engine import make_url

        self.needle = f" {make_url(url).database} ".encode()
        self.core, self.interval = core, interval
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.skip: set[int] = set()
        self._task: asyncio.Task | None = None
        self._started = False

    def _scan(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if pid in self.skip:
                continue
            if pid not in self.last:
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if not cmdline.startswith(b"postgres: ") or self.needle not in cmdline:
                    self.skip.add(pid)
                    continue
                if self.core is not None:
                    pin({self.core}, pid)
                # A process born after start() counts from zero.
                self.base[pid] = cpu_seconds(pid) if not self._started else 0.0
            now = cpu_seconds(pid)
            if now:
                self.last[pid] = now

    async def _loop(self) -> None:
        while True:
            self._scan()
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        self._scan()
        self.base = {pid: self.last.get(pid, 0.0) for pid in self.last}
        self._started = True
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> float:
        """CPU seconds the database's server processes used since start()."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._scan()
        return sum(max(0.0, self.last[p] - self.base.get(p, 0.0)) for p in self.last)

    @property
    def processes(self) -> int:
        return len(self.last)


# --- CPU ---------------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def pin(cores: set[int], pid: int = 0) -> bool:
    """Pin a process (this one by default) to these cores, where the machine has them."""
    have = os.cpu_count() or 1
    wanted = {c for c in cores if c < have}
    if not wanted or len(wanted) == have or not hasattr(os, "sched_setaffinity"):
        return False
    try:
        os.sched_setaffinity(pid, wanted)
    except OSError:
        return False
    return True


def cores_of(pid: int = 0) -> list[int]:
    return sorted(os.sched_getaffinity(pid)) if hasattr(os, "sched_getaffinity") else []


# --- numbers -----------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def latency_summary(seconds: list[float]) -> dict:
    s = sorted(seconds)
    return {
        "p50_ms": round(percentile(s, 50) * 1000, 2),
        "p95_ms": round(percentile(s, 95) * 1000, 2),
        "p99_ms": round(percentile(s, 99) * 1000, 2),
        "max_ms": round(s[-1] * 1000, 2) if s else None,
    }


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table (what docs/PERFORMANCE.md shows)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


# --- the scripted learner -------------------------------------------------------------------

GROUP_LABELS = (
    "Người dân",
    "Cán bộ, công chức, viên chức",
    "Chủ doanh nghiệp, HTX, hộ kinh doanh",
    "Nông dân trồng chè",
    "Học sinh, sinh viên",
)
QUESTIONS = (
    "AI là gì?",
    "chatgpt co mien phi khong",
    "Làm sao viết câu lệnh cho AI tốt hơn?",
    "AI có lấy dữ liệu cá nhân của tôi không?",
    "Dùng AI để chăm sóc chè thế nào?",
    "deepfake la gi",
    "Có nên tin hết những gì AI nói không?",
)
ONBOARDING_STEPS = 6
FORWARD = ("Học ngay", "Quay lại bài", "Tiếp", "Làm câu hỏi", "Bài tiếp", "Học tiếp")


def commune_names() -> list[str]:
    """What learners type for their commune: names without 'Xã'/'Phường', some without
    diacritics."""
    from bot import communes

    return [c.name.split(" ", 1)[1] for c in communes.all_communes()]


class Learner:
    """One scripted learner: onboarding (/start, consent, group, commune typed, the
    commune picked, unit skipped), then lessons (cards, quiz answers) with a free question
    or two on the way. `next_step(labels)` gets the labels of the buttons the bot's last
    replies offered and returns ("text", str) or ("press", label)."""

    def __init__(self, index: int, steps: int, seed: int = 20251126):
        self.index = index
        self.steps = steps
        self.done = 0
        self.rng = random.Random(seed * 1_000_003 + index)
        names = commune_names()
        name = names[index % len(names)]
        if index % 2:  # half of them type it without diacritics
            from bot.textutil import fold

            name = fold(name)
        self.commune = name
        self.group = GROUP_LABELS[index % len(GROUP_LABELS)]
        # Free questions at two points after onboarding (about 1 update in 10).
        self.ask_at = {ONBOARDING_STEPS + 4 + index % 3, ONBOARDING_STEPS + 10 + index % 4}

    @property
    def finished(self) -> bool:
        return self.done >= self.steps

    def next_step(self, labels: list[str]) -> tuple[str, str]:
        step = self.done
        self.done += 1
        if step == 0:
            return "text", "/start"
        if step == 1:
            return "press", "Đồng ý"
        if step == 2:
            return "press", self.group
        if step == 3:
            return "text", self.commune
        if step == 4:
            return "press", labels[0] if labels else "?"
        if step == 5 and "Bỏ qua" in labels:
            return "press", "Bỏ qua"
        if step in self.ask_at:
            return "text", self.rng.choice(QUESTIONS)
        if labels and all(len(label) == 1 for label in labels):  # quiz options A-D
            return "press", self.rng.choice(labels)
        for wanted in FORWARD:
            for label in labels:
                if label.startswith(wanted):
                    return "press", label
        if labels:
            return "press", labels[0]
        return "text", "/hoc"


async def run_learners(learners: list, concurrency: int, one_step) -> None:
    """Drive the learners, `concurrency` in flight, each learner's next step only after
    its previous one was answered; learners take turns (round robin), as people do."""
    queue: asyncio.Queue = asyncio.Queue()
    for learner in learners:
        queue.put_nowait(learner)

    async def worker() -> None:
        while True:
            try:
                learner = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await one_step(learner)
            if not learner.finished:
                queue.put_nowait(learner)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
