"""Category classifier benchmark: one suggestion's latency (tokenising included), batch throughput, artifact size
and, with --train, the training time. No database; the classifier core only.

    .venv/bin/python manage.py dispatch_train                 # the artifact (var/models/dispatch-classifier.joblib)
    .venv/bin/python bench/dispatch_classifier.py             # messages: the shipped held-out split (911)
    .venv/bin/python bench/dispatch_classifier.py --synthetic 5000 --jobs 2 --train

Messages come from the held-out split shipped in govdesk/dispatch/data/ (real raw and whitespace-stripped citizen
messages) or, with --synthetic N, from a generator of citizen-like messages of realistic length (titles ~20
characters, bodies ~200, some up to 2,000). Latency is measured one message at a time after a warm-up; throughput
classifies all messages in one batch (--jobs 2 splits the batch over two processes). Writes bench/results/
dispatch_classifier.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

from govdesk.dispatch.core.classifier import Classifier, Message, artifact_load, train  # noqa: E402

PLACES = ["A市", "A3区", "滨河北路", "永宁路", "西城街道", "凤山小区", "E5县", "政府大楼"]
PROBLEMS = [
    "路灯不亮", "井盖破损", "噪音扰民", "拖欠工资", "社保断缴", "学校乱收费", "公交车晚点", "出租车拒载",
    "餐馆油烟", "医院收费不合理", "物业乱收费", "垃圾无人清运", "河道污水排放", "景区门票太贵",
]  # fmt: skip
FILLER = "希望有关部门尽快调查处理，给我们一个答复。这个问题已经反映过多次，一直没有解决，群众意见很大。"


def synthetic(n: int, seed: int = 7) -> list[Message]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        place, problem = rng.choice(PLACES), rng.choice(PROBLEMS)
        body = f"尊敬的领导：您好！{place}{problem}的问题，" + FILLER * rng.choice([1, 2, 3, 4, 6, 40])
        out.append(Message(title=f"关于{place}{problem}的问题", body=body, label=""))
    return out


def shipped() -> list[Message]:
    import csv
    import gzip

    path = ROOT / "govdesk" / "dispatch" / "data" / "messages_holdout.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return [Message(r["title"], r["body"], r["label"], r["form"]) for r in csv.DictReader(fh)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


_worker_model: Classifier | None = None


def _worker_init(path: str) -> None:
    global _worker_model
    _worker_model = artifact_load(Path(path))
    _worker_model.predict_proba(["预热"], ["预热"])


def _worker_batch(chunk: list[tuple[str, str]]) -> int:
    assert _worker_model is not None
    return len(_worker_model.predict_proba([t for t, _b in chunk], [b for _t, b in chunk]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "var" / "models" / "dispatch-classifier.joblib")
    parser.add_argument("--synthetic", type=int, default=0, help="generate N messages instead of the shipped split")
    parser.add_argument("--jobs", type=int, default=1, help="processes for the batch run (default 1)")
    parser.add_argument("--train", action="store_true", help="also time training on the shipped labelled data")
    args = parser.parse_args()

    result: dict[str, Any] = {"python": platform.python_version(), "cpus": os.cpu_count(), "jobs": args.jobs}
    if args.train:
        import csv
        import gzip

        labelled = ROOT / "govdesk" / "dispatch" / "data" / "messages_labeled.csv.gz"
        with gzip.open(labelled, "rt", encoding="utf-8") as fh:
            rows = [Message(r["title"], r["body"], r["label"], r["form"]) for r in csv.DictReader(fh)]
        held = {(m.title, "".join(m.body.split())) for m in shipped()}
        rows = [m for m in rows if (m.title, "".join(m.body.split())) not in held]
        started = time.perf_counter()
        train(rows, cv_folds=5, progress=lambda m: print("  train:", m, flush=True))
        result["train_seconds_with_5fold_cv"] = round(time.perf_counter() - started, 1)
        print(f"training on {len(rows)} messages (5-fold CV included): {result['train_seconds_with_5fold_cv']} s")

    started = time.perf_counter()
    model = artifact_load(args.model)
    result["load_seconds"] = round(time.perf_counter() - started, 2)
    result["artifact_mb"] = round(args.model.stat().st_size / 1e6, 1)
    result["model_version"] = model.version
    messages = synthetic(args.synthetic) if args.synthetic else shipped()
    result["messages"] = len(messages)
    result["source"] = f"synthetic {args.synthetic}" if args.synthetic else "shipped held-out split"
    result["mean_chars"] = round(statistics.mean(len(m.title) + len(m.body) for m in messages))

    for m in messages[:50]:  # warm-up: jieba's dictionary, numpy paths
        model.top(m.title, m.body)
    latencies = []
    for m in messages:
        t0 = time.perf_counter()
        model.top(m.title, m.body)
        latencies.append((time.perf_counter() - t0) * 1000)
    result["latency_ms"] = {
        "p50": round(percentile(latencies, 50), 2),
        "p95": round(percentile(latencies, 95), 2),
        "p99": round(percentile(latencies, 99), 2),
        "max": round(max(latencies), 2),
    }
    print(f"one suggestion ({len(messages)} messages): {result['latency_ms']}")

    pairs = [(m.title, m.body) for m in messages]
    if args.jobs > 1:
        size = (len(pairs) + args.jobs - 1) // args.jobs
        chunks = [pairs[i : i + size] for i in range(0, len(pairs), size)]
        with ProcessPoolExecutor(args.jobs, initializer=_worker_init, initargs=(str(args.model),)) as pool:
            list(pool.map(_worker_batch, [[p] for p in pairs[: args.jobs]]))  # workers loaded and warm
            t0 = time.perf_counter()
            done = sum(pool.map(_worker_batch, chunks))
            elapsed = time.perf_counter() - t0
    else:
        t0 = time.perf_counter()
        done = len(model.predict_proba([t for t, _b in pairs], [b for _t, b in pairs]))
        elapsed = time.perf_counter() - t0
    result["batch_messages_per_second"] = round(done / elapsed)
    print(f"batch: {done} messages in {elapsed:.2f} s = {result['batch_messages_per_second']} messages/s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dispatch_classifier.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
