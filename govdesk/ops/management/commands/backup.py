"""`manage.py backup --out FILE`: database, attachments and audit archive in one verified file (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.ops.services import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (a consistent snapshot, while the server runs), attachments and audit archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="the backup file to write (a gzip tar)")
        parser.add_argument("--no-media", action="store_true", help="leave the uploaded attachments out")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_create(
                out=Path(options["out"]), include_media=not options["no_media"], progress=self.stdout.write
            )
        except BackupError as exc:
            raise CommandError(str(exc.message)) from exc
        audit = result.manifest["audit"]
        self.stdout.write(
            self.style.SUCCESS(
                f"backup written: {result.path} (sha256 {result.sha256}; audit head {audit['count']} events)"
            )
        )
