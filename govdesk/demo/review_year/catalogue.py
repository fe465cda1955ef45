"""The packages (一件事) the demo district had in service in its demo year.

The review counts a package as in service during a year when its first published version was created by the year's
end (`govdesk.review.figures.packages_in_service`). The shipped catalogue is imported when the demo is seeded, so its
versions carry that day's date; the demo year dates the publication of IN_SERVICE of them (the construction stages'
first, then by code) within the reform's two years before the year's end, as the district published them. Only this
demo path does it: the shipped catalogue is not changed for anybody else.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from govdesk.packages.models import Package, PackageVersion
from govdesk.review.figures import packages_in_service

IN_SERVICE = 100
PROJECT_TYPES = Path(__file__).resolve().parents[2] / "projects" / "data" / "project_types.json"


def _construction_packages() -> list[str]:
    flows = json.loads(PROJECT_TYPES.read_text(encoding="utf-8")).get("project_types", [])
    return sorted({str(stage["package"]) for flow in flows for stage in flow.get("stages", []) if stage.get("package")})


@transaction.atomic
def packages_date(year: int, *, seed: int) -> int:
    """Date the publication of packages until IN_SERVICE are in service during `year`; returns how many were dated
    (0 when enough already are)."""
    have = set(packages_in_service(year).values_list("code", flat=True))
    wanted = IN_SERVICE - len(have)
    if wanted <= 0:
        return 0
    candidates = Package.objects.filter(is_active=True, current_version__isnull=False).exclude(code__in=have)
    construction = set(_construction_packages())
    codes = sorted(candidates.values_list("code", flat=True), key=lambda code: (code not in construction, code))
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    tz = timezone.get_default_timezone()
    start = datetime(year - 1, 1, 4, 9, tzinfo=tz)
    span = (datetime(year, 12, 20, 17, tzinfo=tz) - start).total_seconds()
    dated = codes[:wanted]
    for code in dated:
        published = start + timedelta(seconds=rng.uniform(0, span) if code not in construction else 0)
        # A queryset update: a version's creation date is never set by a save (auto_now_add).
        PackageVersion.objects.filter(package__code=code).update(created_at=published)
    return len(dated)


def packages_of_year(year: int) -> list[Package]:
    """The packages in service during `year`, with a current version to apply under."""
    return list(packages_in_service(year).filter(current_version__isnull=False))
