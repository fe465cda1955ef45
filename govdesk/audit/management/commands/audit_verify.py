from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govdesk.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain, archived segments and online table as one chain; exit non-zero naming "
        "the first broken event or segment."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at event #{report.broken_event_id} ({report.reason}); "
                f"{report.checked} events before it are intact"
            )
        archived = f" ({report.archived} of them in {report.segments} archive segments)" if report.segments else ""
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} events verified{archived}"))
