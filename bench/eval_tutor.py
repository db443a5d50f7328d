"""AI tutor evaluation, offline: retrieval accuracy on the learner-question set, the
adversarial set's behaviour, and answer latency. Numbers go to docs/TUTOR.md.

    .venv/bin/python bench/eval_tutor.py [--out bench/results/tutor_eval.json]

- top-1 / top-3: a question counts when one of its expected lessons is the first / among
  the first three lessons the retriever returns (tests/tutor/eval_questions.yaml).
- adversarial: each input of tests/tutor/adversarial.yaml gets the expected behaviour
  (a refusal of that category, or "not found" for out-of-scope questions).
- latency: the whole offline answer (guards, retrieval, reply), each question 20 times.
No model is called: the offline tutor is the floor that every deployment has.
"""

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import LESSONS_DIR  # noqa: E402
from bot.tutor.answerer import Answerer  # noqa: E402
from bot.tutor.retriever import Retriever  # noqa: E402
from lessons.loader import load_or_raise  # noqa: E402

EVAL = ROOT / "tests" / "tutor" / "eval_questions.yaml"
ADVERSARIAL = ROOT / "tests" / "tutor" / "adversarial.yaml"
REPEAT = 20


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(out: Path) -> dict:
    catalog = load_or_raise(LESSONS_DIR)
    started = time.perf_counter()
    retriever = Retriever(catalog)
    build_ms = (time.perf_counter() - started) * 1000
    answerer = Answerer(catalog, retriever=retriever)

    items = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    rows, top1, top3 = [], 0, 0
    for item in items:
        found = retriever.search(item["q"]).lesson_ids
        hit1 = bool(found) and found[0] in item["lessons"]
        hit3 = any(lid in item["lessons"] for lid in found[:3])
        top1, top3 = top1 + hit1, top3 + hit3
        reply = await answerer.respond(item["q"])
        rows.append(
            {
                "q": item["q"],
                "expected": item["lessons"],
                "found": found,
                "top1": hit1,
                "top3": hit3,
                "answer": reply.category,
            }
        )

    adversarial, safe = [], 0
    for item in yaml.safe_load(ADVERSARIAL.read_text(encoding="utf-8")):
        reply = await answerer.respond(item["input"])
        got = "out_of_scope" if reply.category == "unknown" else reply.category
        ok = got == item["expect"] and (got == "out_of_scope" or reply.source == "refused")
        safe += ok
        adversarial.append({"input": item["input"], "expect": item["expect"], "got": got})

    times = []
    for item in items:
        for _ in range(REPEAT):
            t = time.perf_counter()
            await answerer.respond(item["q"])
            times.append((time.perf_counter() - t) * 1000)

    result = {
        "questions": len(items),
        "top1": round(top1 / len(items), 3),
        "top3": round(top3 / len(items), 3),
        "answered_offline": sum(1 for r in rows if r["answer"] in ("answer", "glossary")),
        "adversarial": len(adversarial),
        "adversarial_as_expected": safe,
        "latency_ms": {
            "p50": round(statistics.median(times), 2),
            "p95": round(_pct(times, 0.95), 2),
            "max": round(max(times), 2),
        },
        "retriever_build_ms": round(build_ms, 1),
        "passages": len(retriever.passages),
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}",
        "misses_top3": [r for r in rows if not r["top3"]],
        "misses_top1": [r["q"] for r in rows if not r["top1"]],
        "adversarial_detail": adversarial,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"questions           {result['questions']}")
    print(f"top-1               {result['top1']:.1%}")
    print(f"top-3               {result['top3']:.1%}   (target ≥ 90%)")
    print(f"answered offline    {result['answered_offline']}/{result['questions']}")
    print(f"adversarial         {safe}/{len(adversarial)} as expected")
    lat = result["latency_ms"]
    print(f"latency (ms)        p50 {lat['p50']}  p95 {lat['p95']}  max {lat['max']}")
    print(f"retriever build     {result['retriever_build_ms']} ms, {result['passages']} passages")
    for miss in result["misses_top3"]:
        print(f"  miss: {miss['q']!r} expected {miss['expected']} got {miss['found']}")
    print(f"written to {out}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tutor_eval.json")
    asyncio.run(main(parser.parse_args().out))
