"""Move the encrypted personal data to the current field key, and optionally recompute the blind indexes."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.common import crypto
from govdesk.common.fields import RekeyCount, personal_data_rekey


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted phone, ID number and other personal field that is not under the first key of "
        "GOVDESK_FIELD_KEYS, in batches, with progress; --blind-indexes also recomputes every blind index with "
        "GOVDESK_BLIND_INDEX_KEY (after changing that key). Counts only unless --commit. Idempotent: run it again "
        "after an interruption. See docs/deployment.md, personal data at rest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--commit", action="store_true", help="write the changes (default: count only)")
        parser.add_argument(
            "--blind-indexes", action="store_true", help="also recompute the blind indexes (after a new index key)"
        )
        parser.add_argument("--batch", type=int, default=500, help="rows per batch and transaction (default 500)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        try:
            keys = crypto.field_keys()
        except Exception as exc:  # ImproperlyConfigured: say what is wrong, not a traceback
            raise CommandError(str(exc)) from exc
        started = time.monotonic()
        commit = options["commit"]
        self.stdout.write(f"current key: {keys.current_id}; keys that decrypt: {', '.join(keys.keys)}")

        def progress(count: RekeyCount) -> None:
            self.stdout.write(
                f"\r{count.model}: {count.rows:,}/{count.total:,} rows, {count.reencrypted:,} values "
                f"{'re-encrypted' if commit else 'to re-encrypt'}, {count.reindexed:,} indexes "
                f"{'recomputed' if commit else 'to recompute'}",
                ending="",
            )
            self.stdout.flush()

        results = personal_data_rekey(
            commit=commit, blind_indexes=options["blind_indexes"], batch=options["batch"], progress=progress
        )
        self.stdout.write("")
        for count in results:
            self.stdout.write(
                f"{count.model}: {count.rows:,} rows, {count.reencrypted:,} values "
                f"{'re-encrypted' if commit else 'to re-encrypt'}, {count.reindexed:,} indexes "
                f"{'recomputed' if commit else 'to recompute'}"
            )
        elapsed = f"{time.monotonic() - started:.1f} s"
        if commit:
            self.stdout.write(self.style.SUCCESS(f"done in {elapsed}"))
        else:
            self.stdout.write(f"dry run in {elapsed}: nothing written; run again with --commit")
