"""Fit the reply check's relevance model on the real replies, measure it on a held-out part, and ship it.

    python manage.py replycheck_build              # evaluate on 20 % held out, refit on all, write the artifact
    python manage.py replycheck_build --no-write   # only measure
    python manage.py replycheck_build --csv FILE   # another CSV with columns title, body, reply

The last line printed is one JSON object with the held-out metrics (AUC and accuracy of relevance, element coverage,
completeness distribution, share of weak real / pasted / degenerate replies).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.dispatch.core import replycheck as core
from govdesk.dispatch.replycheck import DATA_CSV, MODEL_PATH, reply_check_model_forget


def _read_rows(path: Path) -> tuple[list[dict[str, str]], bytes]:
    raw = path.read_bytes()
    text = gzip.decompress(raw).decode("utf-8") if path.suffix == ".gz" else raw.decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if (r.get("reply") or "").strip()]
    missing = {"title", "body", "reply"} - set(rows[0].keys() if rows else ())
    if not rows or missing:
        raise CommandError(f"{path.name}: need rows with columns title, body, reply (missing: {sorted(missing)})")
    return rows, raw


class Command(BaseCommand):
    help = "Fit, evaluate and write the reply check's relevance model (IDF + calibration) from the real replies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", type=Path, default=DATA_CSV, help="title, body, reply (gzip or plain CSV)")
        parser.add_argument("--output", type=Path, default=MODEL_PATH)
        parser.add_argument("--holdout", type=float, default=0.2, help="share of pairs held out for evaluation")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--threshold", type=float, default=core.DEFAULT_THRESHOLD)
        parser.add_argument("--no-write", action="store_true", help="measure only")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        path: Path = options["csv"]
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        rows, raw = _read_rows(path)
        if not 0 < options["holdout"] < 1:
            raise CommandError("--holdout must be between 0 and 1")
        self.stdout.write(f"{len(rows)} message/reply pairs from {path.name}; tokenizing…")
        requests = [core.request_text(r["title"], r["body"]) for r in rows]
        replies = [r["reply"] for r in rows]
        consultation = [bool(core.CONSULTATION_TITLE_RE.search(r["title"])) for r in rows]
        req_tokens: list[list[str]] = []
        rep_tokens: list[list[str]] = []
        for i, (request, reply) in enumerate(zip(requests, replies, strict=True), 1):
            req_tokens.append(core.relevance_tokens(request))
            rep_tokens.append(core.relevance_tokens(reply))
            if i % 500 == 0 or i == len(rows):
                self.stdout.write(f"  {i}/{len(rows)}")

        order = list(range(len(rows)))
        random.Random(options["seed"]).shuffle(order)  # noqa: S311 - sampling, not security
        cut = int(len(order) * (1 - options["holdout"]))
        train, test = order[:cut], order[cut:]
        self.stdout.write(f"fitting on {len(train)}, evaluating on {len(test)} held out…")
        held_model = core.relevance_model_fit_tokens(
            [req_tokens[i] for i in train], [rep_tokens[i] for i in train], seed=options["seed"]
        )
        metrics = core.reply_check_evaluate(
            held_model,
            requests=[requests[i] for i in test],
            replies=[replies[i] for i in test],
            consultation=[consultation[i] for i in test],
            request_tokens=[req_tokens[i] for i in test],
            reply_tokens=[rep_tokens[i] for i in test],
            threshold=options["threshold"],
        )
        for key in ("relevance_auc", "relevance_accuracy", "relevance_floor_accuracy", "weak_share_real"):
            self.stdout.write(f"  {key}: {metrics[key]}")
        self.stdout.write(f"  element coverage: {metrics['element_coverage']}")

        if not options["no_write"]:
            fp = core.fingerprint(raw)
            final = core.relevance_model_fit_tokens(req_tokens, rep_tokens, seed=options["seed"])
            model = core.RelevanceModel(
                idf=final.idf,
                default_idf=final.default_idf,
                slope=final.slope,
                intercept=final.intercept,
                version=f"rc1-{fp[:12]}",
                metrics={"holdout": metrics, "holdout_share": options["holdout"], "seed": options["seed"]},
            )
            core.model_save(
                model,
                options["output"],
                extra={"training_data": {"file": path.name, "sha256": fp, "pairs": len(rows)}},
            )
            reply_check_model_forget()
            size = options["output"].stat().st_size
            self.stdout.write(f"wrote {options['output'].name} ({size // 1024} KiB, {len(model.idf)} words)")
        self.stdout.write(f"done in {time.perf_counter() - started:.1f} s")
        self.stdout.write(json.dumps(metrics, ensure_ascii=False, sort_keys=True))
