"""`manage.py restore FILE --yes`: replace the database with a backup's, then verify it (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.ops.services import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: it REPLACES the database, adds the attachments and the audit "
        "archive, then runs the audit and statistics verifications; exit status 1 if either fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument("--yes", action="store_true", help="confirm that the current database is to be replaced")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError(
                "restore replaces the whole database with the backup's; stop the server and the task worker, "
                "then run it again with --yes"
            )
        try:
            report = backup_restore(path=Path(options["file"]), progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc.message)) from exc
        for line in report.problems:
            self.stderr.write(line)
        if not report.ok:
            raise CommandError(f"restored, but the verification failed ({len(report.problems)} problems above)")
        self.stdout.write(self.style.SUCCESS(f"restored the backup of {report.manifest['created_at']} and verified it"))
