"""Category classifier throughput in ONE process: messages per second in batches (`Classifier.predict_batch`) and one
message at a time (`Classifier.top`, what a suggestion costs), with the load average at the start. No database.

    .venv/bin/python manage.py dispatch_train                 # the artifact (var/models/dispatch-classifier.joblib)
    .venv/bin/python bench/dispatch_throughput.py             # 4,000 real messages (held-out split, repeated)
    .venv/bin/python bench/dispatch_throughput.py --messages 10000 --single 1000 --model PATH

Messages are the shipped held-out split's (real raw and whitespace-stripped citizen messages, mean 411 characters),
repeated to --messages. Rates are given per wall-clock second and per CPU second of this process: on a shared machine
the first depends on the other work, the second much less. Prints one JSON object as its last line and writes
bench/results/dispatch_throughput.json.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from govdesk.dispatch.core.classifier import artifact_load  # noqa: E402

HOLDOUT = ROOT / "govdesk" / "dispatch" / "data" / "messages_holdout.csv.gz"
DEFAULT_MODEL = ROOT / "var" / "models" / "dispatch-classifier.joblib"


def messages(n: int) -> tuple[list[str], list[str]]:
    with gzip.open(HOLDOUT, "rt", encoding="utf-8", newline="") as fh:
        rows = [(r["title"], r["body"]) for r in csv.DictReader(fh)]
    picked = [rows[i % len(rows)] for i in range(n)]
    return [t for t, _b in picked], [b for _t, b in picked]


def timed(work: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, default=Path(os.environ.get("GOVDESK_DISPATCH_MODEL_PATH", DEFAULT_MODEL))
    )
    parser.add_argument("--messages", type=int, default=4000, help="messages classified in batches")
    parser.add_argument("--single", type=int, default=500, help="messages classified one at a time")
    args = parser.parse_args()
    load_at_start = os.getloadavg()
    started = time.perf_counter()
    model = artifact_load(args.model)
    load_seconds = time.perf_counter() - started
    titles, bodies = messages(max(args.messages, args.single))
    model.predict_batch(titles[:100], bodies[:100])  # warm-up: jieba's dictionary, lazy tables

    batch_wall, batch_cpu = timed(lambda: model.predict_batch(titles[: args.messages], bodies[: args.messages]))

    def one_at_a_time() -> None:
        for title, body in zip(titles[: args.single], bodies[: args.single], strict=True):
            model.top(title, body)

    single_wall, single_cpu = timed(one_at_a_time)
    result = {
        "model_version": model.version,
        "n_train": model.n_train,
        "load_average_at_start": [round(x, 2) for x in load_at_start],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "model_load_seconds": round(load_seconds, 2),
        "batch": {
            "messages": args.messages,
            "per_second_wall": round(args.messages / batch_wall),
            "per_cpu_second": round(args.messages / batch_cpu),
        },
        "one_at_a_time": {
            "messages": args.single,
            "per_second_wall": round(args.single / single_wall),
            "per_cpu_second": round(args.single / single_cpu),
            "mean_ms_wall": round(1000 * single_wall / args.single, 2),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dispatch_throughput.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
