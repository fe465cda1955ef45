"""Move audit events older than the online period (GOVDESK_AUDIT_ONLINE_DAYS, ≥ 180) to verified archive segments."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from govdesk.audit.archive import SEGMENT_EVENTS, ArchiveError, audit_archive, audit_archive_dir, audit_archive_plan


class Command(BaseCommand):
    help = (
        "Archive audit events older than the online period to gzip segments with manifests; a dry run unless "
        "--commit (then each segment is written, fsynced and verified before exactly its rows are deleted)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--commit", action="store_true", help="write the segments and delete the archived rows")
        parser.add_argument("--segment-events", type=int, default=SEGMENT_EVENTS, help="events per segment file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["segment_events"] < 1:
            raise CommandError("--segment-events must be at least 1")
        try:
            if not options["commit"]:
                plan = audit_archive_plan(segment_events=options["segment_events"])
                self.stdout.write(f"events before {plan.cutoff_iso} would move to {audit_archive_dir()}:")
                for s in plan.segments:
                    self.stdout.write(
                        f"  events #{s.first_id}–#{s.last_id} ({s.count}), {s.first_occurred_at} – {s.last_occurred_at}"
                    )
                self.stdout.write(f"dry run: {plan.count} events in {len(plan.segments)} segments; --commit to archive")
                return
            result = audit_archive(segment_events=options["segment_events"], progress=self.stdout.write)
        except ArchiveError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(self.style.SUCCESS(f"archived {result.events} events in {result.segments} segments"))
