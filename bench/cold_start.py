"""Cold-start benchmark: wall time from spawning `hocai chat` until its first prompt (the
greeting) is on stdout, with a fresh SQLite file and with an existing one; median of
several runs.

    .venv/bin/python bench/cold_start.py
    .venv/bin/python bench/cold_start.py --runs 15

The chat reads a pipe (so stdin is not a terminal): it greets at once, then waits for a
line. The clock stops when the greeting's first words arrive; stdin is then closed and the
process exits on its own. Each run is a new process (nothing cached in memory but the
operating system's file cache, which is warm after the first run: one untimed run goes
first). Prints a table and writes bench/results/cold_start.json.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, describe, machine, save, table  # noqa: E402

GREETING = "Xin chào!".encode()  # the first words of the onboarding greeting
TARGET_S = 1.5


def one_run(db_file: Path) -> float:
    path = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path),  # this checkout's code, whatever is installed
        "DATABASE_URL": f"sqlite+aiosqlite:///{db_file}",
        "TELEGRAM_BOT_TOKEN": "",
        "ZALO_BOT_TOKEN": "",
        "OPENAI_API_KEY": "",
    }
    hocai = Path(sys.executable).with_name("hocai")
    cmd = [str(hocai), "chat"] if hocai.exists() else [sys.executable, "-m", "bot", "chat"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=db_file.parent,  # no .env there: the environment above is all it reads
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen = b""
    while GREETING not in seen:
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            err = proc.stderr.read().decode(errors="replace")
            sys.exit(f"hocai chat ended before greeting:\n{seen.decode(errors='replace')}\n{err}")
        seen += chunk
    elapsed = time.perf_counter() - started
    proc.stdin.close()
    proc.stdout.read()
    proc.wait(timeout=30)
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=9, help="timed runs per case")
    p.add_argument("--out", default="cold_start", help="results file name under bench/results/")
    args = p.parse_args()
    m = machine()
    print(f"machine: {describe(m)}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="hocai-bench-cold-") as tmp:
        tmp = Path(tmp)
        one_run(tmp / "warm-up.db")  # the file cache: Python, the packages, the lessons
        fresh = [one_run(tmp / f"fresh-{i}.db") for i in range(args.runs)]
        existing_db = tmp / "existing.db"
        one_run(existing_db)
        existing = [one_run(existing_db) for _ in range(args.runs)]
    for case, times in (("fresh SQLite file", fresh), ("existing SQLite file", existing)):
        results.append(
            {
                "case": case,
                "runs": len(times),
                "median_s": round(statistics.median(times), 3),
                "min_s": round(min(times), 3),
                "max_s": round(max(times), 3),
                "all_s": [round(t, 3) for t in times],
            }
        )
    rows = [
        [r["case"], r["runs"], r["median_s"], r["min_s"], r["max_s"], f"≤{TARGET_S}"]
        for r in results
    ]
    print()
    print(table(["case", "runs", "median s", "min s", "max s", "target s"], rows))
    path = save(
        args.out,
        {
            "benchmark": "cold_start",
            "command": "bench/cold_start.py " + " ".join(sys.argv[1:]),
            "machine": m,
            "what": "spawn `hocai chat` (stdin a pipe) until the greeting is on stdout",
            "target_s": TARGET_S,
            "results": results,
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
