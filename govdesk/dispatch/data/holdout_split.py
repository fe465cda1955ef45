"""How `messages_holdout.csv.gz` was made (run once; kept so the split can be checked and reproduced).

A stratified 15% of `messages_labeled.csv.gz` (strata: label × form, so raw-form rows are in it), seed 20250.
`dispatch_train --exclude-holdout` (the measurement model) never trains on these rows: it drops every labelled row whose
title and body (ignoring whitespace) are those of a held-out row (the whitespace-stripped rows have no id). The shipped
model (plain `dispatch_train`) learns from them too.

    .venv/bin/python govdesk/dispatch/data/holdout_split.py
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
FIELDS = ["id", "title", "body", "label", "form"]


def main() -> None:
    with gzip.open(HERE / "messages_labeled.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    strata = [f"{r['label']}|{r['form']}" for r in rows]
    _train, held = train_test_split(rows, test_size=0.15, stratify=strata, random_state=20250)
    with gzip.open(HERE / "messages_holdout.csv.gz", "wt", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows({k: r[k] for k in FIELDS} for r in held)
    print(f"{len(held)} of {len(rows)} rows held out ({sum(r['form'] == 'raw' for r in held)} raw)")


if __name__ == "__main__":
    main()
