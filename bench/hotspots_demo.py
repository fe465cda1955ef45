"""Hotspots on real messages: cluster messages_hot.csv.gz (4,252 citizen messages with likes) exactly as the product
does (govdesk.dispatch.core.hotspots) and print the top clusters with their likes, so one can judge whether the
clusters are the topics citizens cared about. No database.

    .venv/bin/python bench/hotspots_demo.py                       # current = 2019-07-01..2020-01-01, previous half-year
    .venv/bin/python bench/hotspots_demo.py --start 2019-01-01 --end 2020-01-01 --top 15
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from govdesk.dispatch.core.hotspots import HotDoc, hotspots_cluster  # noqa: E402

DATA = ROOT / "govdesk" / "dispatch" / "data" / "messages_hot.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--start", default="2019-07-01")
    parser.add_argument("--end", default="2020-01-01")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--cap", type=int, default=5000, help="most recent messages per period (the product's cap)")
    args = parser.parse_args()
    start, end = datetime.fromisoformat(args.start), datetime.fromisoformat(args.end)
    previous_start = start - (end - start)
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if previous_start.isoformat(" ") <= r["time"] < end.isoformat(" ")]
    rows.sort(key=lambda r: r["time"], reverse=True)
    current = [r for r in rows if r["time"] >= start.isoformat(" ")][: args.cap]
    previous = [r for r in rows if r["time"] < start.isoformat(" ")][: args.cap]
    docs = [
        HotDoc(
            key=r["id"],
            title=r["title"],
            content=r["body"],
            place="",
            created_at=datetime.fromisoformat(r["time"]),
            current=is_current,
        )
        for group, is_current in ((current, True), (previous, False))
        for r in group
    ]
    likes = {r["id"]: int(r["likes"] or 0) for r in rows}
    began = time.perf_counter()
    clusters = hotspots_cluster(docs, limit=args.top)
    seconds = time.perf_counter() - began
    print(f"{len(current)} messages {args.start}..{args.end}, {len(previous)} in the previous period: {seconds:.2f} s")
    total_likes = sum(likes[docs[i].key] for i in range(len(docs)) if docs[i].current)
    print(f"likes of all current messages: {total_likes}")
    for rank, c in enumerate(clusters, 1):
        cluster_likes = sum(likes[docs[i].key] for i in c.members)
        print(
            f"{rank:2}. size {c.size:3} (prev {c.previous_size:3}, growth {c.growth:+.2f}) likes {cluster_likes:5}  "
            f"{' · '.join(c.keywords)}"
        )
        for i in c.examples[:2]:
            print(f"      {docs[i].created_at:%Y-%m-%d} {docs[i].title[:60]}")


if __name__ == "__main__":
    main()
