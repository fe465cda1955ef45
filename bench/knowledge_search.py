"""Knowledge search at scale: build time, memory and query latency of `knowledge.core.search` over 50,000 articles.

    .venv/bin/python bench/knowledge_search.py                      # 50,000 articles, 1,000 queries
    .venv/bin/python bench/knowledge_search.py --articles 5000 --queries 200

No database: the pure index the Django side caches per process. Articles are generated from the shipped real
message/reply pairs (`govdesk/dispatch/data/messages_replies.csv.gz`): a title is a real citizen's title with its
place changed, an answer two or three real official replies' sentences recombined, with dates, numbers and places
varied, and a validity window (a tenth expired, so the date filter works at every query). Queries are real
citizen messages (`messages_labeled.csv.gz`: title + body, the first 20-200 characters, as an operator's console
sends them while the caller speaks), one at a time after a warm-up. Also timed: the rebuild after one article
changes (the per-document analyses are reused, as `knowledge.search` does when a publication changes the stamp).
Writes bench/results/knowledge-search-<time>.json.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import platform
import random
import re
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
DATA = ROOT / "govdesk" / "dispatch" / "data"

from govdesk.knowledge.core.search import KnowledgeIndex, SearchDocument  # noqa: E402

PLACES = [f"A{n}区" for n in range(1, 10)] + [f"{c}县" for c in "BCDEFGHIJ"]
STREETS = ["桂花坪街道", "洋湖街道", "西城街道", "永宁路", "滨河北路", "凤山小区", "金星路", "梅溪湖", "星沙", "望城坡"]
SENTENCE_RE = re.compile(r"[^。！？]+[。！？]?")
PLACE_RE = re.compile(r"[A-Z]\d*[市区县]")


def _rows(name: str) -> list[dict[str, str]]:
    with gzip.open(DATA / name, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def articles(n: int, seed: int = 15) -> list[SearchDocument]:
    rng = random.Random(seed)
    pairs = _rows("messages_replies.csv.gz")
    sentences = [s for r in pairs for s in SENTENCE_RE.findall(r["reply"]) if 8 <= len(s) <= 200]
    today = date.today()  # noqa: DTZ011
    docs = []
    for i in range(n):
        pair = rng.choice(pairs)
        place = rng.choice(PLACES)
        title = PLACE_RE.sub(place, pair["title"], count=1)
        if rng.random() < 0.3:
            title = f"{rng.choice(STREETS)}{title}"
        own = SENTENCE_RE.findall(pair["reply"])
        body_parts = own[: rng.randint(2, max(2, len(own)))] + rng.sample(sentences, rng.randint(0, 3))
        body = "".join(body_parts)
        body = re.sub(
            r"\d{4}年\d{1,2}月\d{1,2}日",
            f"{rng.randint(2019, 2026)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
            body,
        )
        body = PLACE_RE.sub(place, body)[:4000]
        valid_from = today - timedelta(days=rng.randint(1, 900))
        expired = rng.random() < 0.1
        valid_to = (
            today - timedelta(days=rng.randint(1, 60))
            if expired
            else (None if rng.random() < 0.5 else today + timedelta(days=rng.randint(30, 700)))
        )
        tags = tuple(rng.sample(["物业", "供水", "交通", "社保", "教育", "环境", "住房", "医疗"], rng.randint(0, 3)))
        docs.append(SearchDocument(f"article:{i + 1}", "article", title, body, tags, valid_from, valid_to))
    return docs


def queries(n: int, seed: int = 16) -> list[str]:
    rng = random.Random(seed)
    messages = _rows("messages_labeled.csv.gz")
    out = []
    for row in rng.sample(messages, min(n, len(messages))):
        text = f"{row['title']} {row['body']}".strip()
        out.append(text[: rng.randint(20, 200)])
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--limit", type=int, default=5, help="hits per query, as the console asks")
    args = parser.parse_args()
    loadavg = Path("/proc/loadavg").read_text().strip() if Path("/proc/loadavg").exists() else "n/a"
    print(f"loadavg at start: {loadavg}")
    docs = articles(args.articles)
    texts = queries(args.queries)
    chars = sum(len(d.title) + len(d.body) for d in docs)
    print(f"{len(docs):,} articles ({chars / len(docs):.0f} characters on average), {len(texts):,} queries")
    KnowledgeIndex.build(docs[:2])  # jieba's dictionary and the synonyms load once per process: not the build's cost
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    index = KnowledgeIndex.build(docs)
    build_seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    matrix = index._matrix
    matrix_mb = (matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes) / 2**20
    print(f"build: {build_seconds:.1f} s; matrix {matrix.shape[0]:,} x {matrix.shape[1]:,}, {matrix.nnz:,} non-zeros")
    print(f"memory: matrix {matrix_mb:.0f} MiB; peak RSS grew {(rss_after - rss_before) / 1024:.0f} MiB")
    changed = list(docs)
    changed[len(changed) // 2] = SearchDocument(
        changed[len(changed) // 2].key, "article", "新发布：停水期间如何取水", "停水期间请到小区门口的临时供水点取水。"
    )
    started = time.perf_counter()
    KnowledgeIndex.build(changed, reuse=index)
    rebuild_seconds = time.perf_counter() - started
    print(f"rebuild after one article changed (analyses reused): {rebuild_seconds:.2f} s")
    for text in texts[:20]:
        index.search(text, limit=args.limit)
    # Wall time is what the operator waits; CPU time is the same query without the other processes of a shared
    # machine taking the core away mid-query (on 2 busy cores the difference is the scheduler's slices).
    latencies, cpu_times, hit_counts = [], [], []
    today = date.today()  # noqa: DTZ011
    for text in texts:
        started, cpu_started = time.perf_counter(), time.process_time()
        hits = index.search(text, limit=args.limit, today=today)
        latencies.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu_started) * 1000)
        hit_counts.append(len(hits))
    result = {
        "articles": len(docs),
        "queries": len(texts),
        "limit": args.limit,
        "build_seconds": round(build_seconds, 2),
        "rebuild_one_changed_seconds": round(rebuild_seconds, 3),
        "matrix_nnz": int(matrix.nnz),
        "matrix_mib": round(matrix_mb, 1),
        "rss_growth_mib": round((rss_after - rss_before) / 1024),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
        "cpu_p50_ms": round(percentile(cpu_times, 50), 2),
        "cpu_p95_ms": round(percentile(cpu_times, 95), 2),
        "cpu_p99_ms": round(percentile(cpu_times, 99), 2),
        "loadavg_at_end": Path("/proc/loadavg").read_text().strip() if Path("/proc/loadavg").exists() else "n/a",
        "mean_hits": round(statistics.mean(hit_counts), 2),
        "loadavg_at_start": loadavg,
        "python": platform.python_version(),
    }
    print(
        f"query latency: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
        f"max {result['max_ms']} ms; {result['mean_hits']} hits per query on average"
    )
    print(
        f"query CPU time: p50 {result['cpu_p50_ms']} ms, p95 {result['cpu_p95_ms']} ms, p99 {result['cpu_p99_ms']} ms"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    (RESULTS / f"knowledge-search-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
