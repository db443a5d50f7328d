"""Export benchmark: N demo learners on Postgres, exported to CSV and XLSX; wall time and
peak RSS of each export process. Targets (docs/PERFORMANCE.md): CSV ≤30 s, XLSX ≤120 s,
peak RSS ≤300 MB at 1,000,000 learners.

    .venv/bin/python bench/export.py --learners 1000000

Uses (and creates if missing) the database in --database-url; seeds demo learners up to
N with `hocai demo seed`; each export runs as its own `hocai export progress` process so
its peak RSS is its own (os.wait4).
"""

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hocai_bench"


async def _prepare(url: str) -> int:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    admin = (
        f"postgresql://{u.username or 'postgres'}@{u.host or '127.0.0.1'}:{u.port or 5432}/postgres"
    )
    conn = await asyncpg.connect(admin)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", u.database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{u.database}"')
    finally:
        await conn.close()
    sys.path.insert(0, str(ROOT))
    from storage import db

    engine = db.make_engine(url)
    try:
        await db.upgrade(engine)
        async with engine.connect() as c:
            from sqlalchemy import text

            n = (
                await c.execute(text("SELECT count(*) FROM learner WHERE channel='demo'"))
            ).scalar()
            version = (await c.execute(text("SHOW server_version"))).scalar()
    finally:
        await engine.dispose()
    print(f"postgres {version}; demo learners already there: {n}")
    return int(n)


def _run(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one child process."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if proc.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return seconds, usage.ru_maxrss / 1024, out.strip()


def _machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    except OSError:
        mem = 0
    return f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM, Python {platform.python_version()}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--learners", type=int, default=1_000_000)
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = p.parse_args()
    env = {**os.environ, "DATABASE_URL": args.database_url, "LOG_LEVEL": "WARNING"}
    hocai = [sys.executable, "-m", "bot"]

    have = asyncio.run(_prepare(args.database_url))
    if have < args.learners:
        seconds, rss, out = _run(
            [*hocai, "demo", "seed", "--learners", str(args.learners - have)], env
        )
        print(f"seed: {out} (wall {seconds:.0f} s, peak RSS {rss:.0f} MB)")
    print(f"machine: {_machine()}")
    print("| format | learners | time (s) | peak RSS (MB) | file size (MB) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("csv", "xlsx"):
            out_file = Path(tmp) / f"bench.{fmt}"
            cmd = [*hocai, "export", "progress", "--format", fmt, "--out", str(out_file)]
            seconds, rss, out = _run(cmd, env)
            rows = out.split()[0]
            size = out_file.stat().st_size / 1e6
            print(f"| {fmt} | {rows} | {seconds:.1f} | {rss:.0f} | {size:.0f} |")


if __name__ == "__main__":
    main()
