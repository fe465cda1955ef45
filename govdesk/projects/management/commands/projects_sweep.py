from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from govdesk.projects.services import projects_sweep


class Command(BaseCommand):
    help = (
        "Refresh the stage and project clocks (working days used, deadlines) and the at-risk flags of projects under "
        "way. Run hourly (the huey worker does; cron or a systemd timer without it)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"projects refreshed: {projects_sweep()}")
