"""`manage.py dispatch_evaluate --csv FILE [--model PATH]`: score the trained classifier on labelled messages it has
never seen. Never trains on FILE. The LAST line printed is one JSON object (macro_f1, accuracy, n, per_class…).

When messages of FILE are among the model's training rows (the default model learns from the shipped held-out split
too), a warning on stderr says how many: those scores overstate how the model does on new messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.dispatch import selectors
from govdesk.dispatch.core.classifier import ModelUnavailable, artifact_load, evaluate


class Command(BaseCommand):
    help = "Evaluate the category classifier on a CSV with columns title, body, label (.csv or .csv.gz)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", type=Path, required=True, help="labelled messages: columns title, body, label")
        parser.add_argument("--model", type=Path, help="artifact path (default: GOVDESK['DISPATCH_MODEL_PATH'])")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            messages = selectors.messages_from_csv(options["csv"])
        except selectors.CsvProblem as exc:
            raise CommandError(str(exc)) from exc
        unlabelled = sum(1 for m in messages if not m.label)
        messages = [m for m in messages if m.label]
        if not messages:
            raise CommandError(f"{options['csv']}: no labelled rows")
        path = options["model"] or selectors.dispatch_model_path()
        try:
            model = artifact_load(path)
        except ModelUnavailable as exc:
            raise CommandError(f"{exc}: run `manage.py dispatch_train` first") from exc
        unknown = sorted({m.label for m in messages} - set(model.labels))
        if unknown:
            self.stderr.write(f"labels the model does not know (always counted wrong): {', '.join(unknown)}")
        if unlabelled:
            self.stderr.write(f"{unlabelled} rows without a label skipped")
        seen = model.trained_on(messages)
        if seen:
            hint = ""
            if model.metrics.get("holdout_excluded") is False:
                hint = " (this model learnt from the held-out split: train with `dispatch_train --exclude-holdout`)"
            self.stderr.write(
                f"warning: {seen} of {len(messages)} messages are among the model's training messages, so these "
                f"scores overstate how it does on new messages{hint}"
            )
        result = evaluate(model, messages)
        self.stdout.write(
            f"model {model.version} on {result['n']} messages: macro-F1 {result['macro_f1']:.4f}, "
            f"accuracy {result['accuracy']:.4f}"
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False, sort_keys=True))
