"""Rebuild the demo data files from the citizen-message data set (2020 Teddy Cup, problem C).

    python govdesk/demo/data/extract.py SOURCE_DIR

SOURCE_DIR holds `messages_labeled.csv` and `messages_replies.csv` (see data/README.md of the project's shared data).
Writes `messages.csv.gz` and `replies.csv.gz` next to this file. Deterministic: the same input gives the same output.
Not used at run time; `seed_demo` reads only the two .gz files.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
MESSAGES = 3000
REPLIES = 1200
MAX_BODY = 1500


def _clean(text: str) -> str:
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs"})
    return kept.strip()


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending at a sentence end when there is one in the last third."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    stop = max(head.rfind(mark) for mark in "。！？!?")
    return head[: stop + 1] if stop > limit * 2 // 3 else head


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    # mtime=0 keeps the file byte-identical across rebuilds.
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(buffer.getvalue().encode("utf-8"))


def main(source: Path) -> None:
    rng = random.Random(20231)  # noqa: S311 - a reproducible sample, not a secret
    with (source / "messages_labeled.csv").open(encoding="utf-8") as f:
        labeled = [r for r in csv.DictReader(f) if r["title"].strip() and r["body"].strip()]
    raw = [r for r in labeled if r["form"] == "raw"]
    stripped = [r for r in labeled if r["form"] != "raw"]
    chosen = raw + rng.sample(stripped, MESSAGES - len(raw))
    rng.shuffle(chosen)
    _write(
        HERE / "messages.csv.gz",
        ["id", "title", "body", "label"],
        [[r["id"], _cut(_clean(r["title"]), 200), _cut(_clean(r["body"]), MAX_BODY), r["label"]] for r in chosen],
    )
    with (source / "messages_replies.csv").open(encoding="utf-8") as f:
        replies = [r for r in csv.DictReader(f) if len(r["reply"].strip()) >= 40]
    picked = rng.sample(replies, REPLIES)
    _write(HERE / "replies.csv.gz", ["id", "reply"], [[r["id"], _cut(_clean(r["reply"]), MAX_BODY)] for r in picked])
    print(f"wrote {len(chosen)} messages and {len(picked)} replies")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
