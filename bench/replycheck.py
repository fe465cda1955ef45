"""Reply-check benchmark: load the shipped model, then score real (message, reply) pairs one at a time.

    .venv/bin/python bench/replycheck.py [--pairs 1000] [--warmup 100]

Reports the model load time, the latency of one check (tokenizing the request and the reply included) as p50/p95/p99
after warm-up, and checks per second on one core. Pure Python, no database: the stored check adds one INSERT.
Writes a JSON summary to bench/results/.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()

    from govdesk.dispatch.core import replycheck as core

    data = ROOT / "govdesk" / "dispatch" / "data"
    with gzip.open(data / "messages_replies.csv.gz", "rt", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["reply"].strip()]
    started = time.perf_counter()
    model = core.model_load(data / "replycheck_model.json.gz")
    load_s = time.perf_counter() - started

    pairs = [(core.request_text(r["title"], r["body"]), r["reply"][: core.MAX_LENGTH]) for r in rows]
    for request, reply in pairs[: args.warmup]:
        core.reply_score(model, request=request, reply=reply)
    timings = []
    chosen = (pairs * (1 + args.pairs // len(pairs)))[args.warmup : args.warmup + args.pairs]
    total_started = time.perf_counter()
    for request, reply in chosen:
        t0 = time.perf_counter()
        core.reply_score(model, request=request, reply=reply)
        timings.append((time.perf_counter() - t0) * 1000)
    total_s = time.perf_counter() - total_started
    q = statistics.quantiles(timings, n=100)
    summary = {
        "benchmark": "replycheck",
        "pairs": len(chosen),
        "model_load_ms": round(load_s * 1000, 1),
        "model_bytes": (data / "replycheck_model.json.gz").stat().st_size,
        "p50_ms": round(q[49], 2),
        "p95_ms": round(q[94], 2),
        "p99_ms": round(q[98], 2),
        "max_ms": round(max(timings), 2),
        "checks_per_s": round(len(chosen) / total_s, 1),
        "mean_request_chars": round(statistics.mean(len(p[0]) for p in chosen)),
        "mean_reply_chars": round(statistics.mean(len(p[1]) for p in chosen)),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"replycheck-{stamp}.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
