"""`manage.py dispatch_train [--exclude-holdout] [--include-orders] [--without-tokenized] [--out PATH] [--if-missing]
[--cv-folds N]`: train the category classifier, print its cross-validated scores and the training time, and write the
versioned artifact.

By default it learns from every labelled message, the held-out split included; `--exclude-holdout` trains the
measurement model that `dispatch_evaluate --csv govdesk/dispatch/data/messages_holdout.csv.gz` scores fairly."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.dispatch import selectors, services
from govdesk.dispatch.core.classifier import ModelUnavailable, artifact_load


class Command(BaseCommand):
    help = "Train the category classifier on the shipped labelled messages (and optionally the platform's orders)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--include-orders", action="store_true", help="also learn from closed orders and corrections"
        )
        parser.add_argument(
            "--exclude-holdout",
            action="store_true",
            help="leave out the held-out split (messages_holdout.csv.gz), to measure the model on it afterwards",
        )
        parser.add_argument(
            "--without-tokenized",
            action="store_true",
            help="leave out the shipped pre-tokenised messages (messages_labeled_tokenized.csv.gz)",
        )
        parser.add_argument("--out", type=Path, help="artifact path (default: GOVDESK['DISPATCH_MODEL_PATH'])")
        parser.add_argument("--if-missing", action="store_true", help="do nothing when a usable model is already there")
        parser.add_argument("--cv-folds", type=int, default=5, help="cross-validation folds (0 skips it; default 5)")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"] or selectors.dispatch_model_path()
        if options["if_missing"]:
            try:
                model = artifact_load(out)
            except ModelUnavailable as exc:
                self.stdout.write(f"dispatch model: {exc}; training one")
            else:
                self.stdout.write(f"dispatch model {model.version} present: not retraining")
                return
        folds = options["cv_folds"]
        if folds == 1 or folds < 0:
            raise CommandError("--cv-folds must be 0 (skip) or at least 2")
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f} s] {message}")
            self.stdout.flush()

        try:
            trained = services.dispatch_model_train(
                include_orders=options["include_orders"],
                out=out,
                cv_folds=folds,
                with_tokenized=not options["without_tokenized"],
                exclude_holdout=options["exclude_holdout"],
                progress=progress,
            )
        except (ValueError, OSError, selectors.CsvProblem) as exc:
            raise CommandError(f"training failed: {exc}") from exc
        model = trained.model
        cv = model.metrics.get("cv")
        if cv:
            for part in ("all", "raw"):
                if part in cv:
                    s = cv[part]
                    self.stdout.write(
                        f"cross-validated ({cv['folds']} folds, {part}, n={s['n']}): "
                        f"macro-F1 {s['macro_f1']:.4f}, accuracy {s['accuracy']:.4f}"
                    )
        self.stdout.write(
            f"model {model.version}: {model.n_train} messages, {len(model.labels)} labels, "
            f"{model.metrics['n_features']} features, trained in {time.monotonic() - started:.1f} s"
        )
        self.stdout.write(f"wrote {trained.path} ({trained.size_bytes / 1e6:.1f} MB)")
        self.stdout.write(json.dumps({"version": model.version, "fingerprint": model.fingerprint}, ensure_ascii=False))
