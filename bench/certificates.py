"""Certificate generation: time per learner (PDF + PNG) and for a batch, peak memory.

    .venv/bin/python bench/certificates.py --count 10000 --out /tmp/certs

Renders the files as the app does (bot/certificates/render.py), names of varying length
with Vietnamese diacritics, one process. Writes the files to --out (a temporary folder
by default, removed at the end) and prints per-file timings and the peak RSS.
"""

import argparse
import random
import resource
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bot.certificates.render import View, render_pdf, render_png
from bot.certificates.service import new_code

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đỗ", "Vũ", "Đặng", "Bùi", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Thu", "Minh", "Ngọc", "Đức", "Quỳnh"]
GIVEN = ["An", "Bình", "Hằng", "Lan", "Dũng", "Tuấn", "Hương", "Thủy", "Khánh Linh"]
TRACKS = ["Người dân", "Cán bộ, công chức, viên chức", "Nông dân trồng chè"]


def views(n: int, rng: random.Random):
    for i in range(n):
        name = " ".join(
            [rng.choice(FAMILY), *rng.sample(MIDDLE, rng.randint(1, 2)), rng.choice(GIVEN)]
        )
        code = new_code()
        yield View(
            name,
            rng.choice(TRACKS),
            rng.randint(12, 15),
            15,
            f"2026-{i + 1:06d}",
            code,
            date(2026, 12, 3),
            f"https://hocai.example.vn/verify/{code}",
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="hocai-certs-"))
    out.mkdir(parents=True, exist_ok=True)
    pdf_t, png_t, sizes = [], [], [0, 0]
    started = time.perf_counter()
    for v in views(args.count, random.Random(18)):
        t0 = time.perf_counter()
        pdf = render_pdf(v)
        t1 = time.perf_counter()
        png = render_png(v)
        t2 = time.perf_counter()
        (out / f"{v.number}.pdf").write_bytes(pdf)
        (out / f"{v.number}.png").write_bytes(png)
        pdf_t.append(t1 - t0)
        png_t.append(t2 - t1)
        sizes[0] += len(pdf)
        sizes[1] += len(png)
        if len(pdf_t) % 1000 == 0:  # progress, so that a stopped run still tells
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"  {len(pdf_t)} in {time.perf_counter() - started:.0f} s, peak RSS {rss:.0f} MB",
                flush=True,
            )
    total = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def ms(values, q):
        return (
            statistics.quantiles(values, n=100)[q - 1] * 1000
            if len(values) > 1
            else values[0] * 1000
        )

    n = args.count
    print(f"certificates: {n}, batch {total:.1f} s ({n / total:.1f}/s), peak RSS {peak_mb:.0f} MB")
    print(
        f"PDF ms p50 {ms(pdf_t, 50):.0f} p95 {ms(pdf_t, 95):.0f}; "
        f"PNG ms p50 {ms(png_t, 50):.0f} p95 {ms(png_t, 95):.0f}"
    )
    print(f"mean size PDF {sizes[0] / n / 1024:.0f} KiB, PNG {sizes[1] / n / 1024:.0f} KiB")
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
