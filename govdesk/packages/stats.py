"""The package's own statistics (一件事一次办): what the reform promises, measured.

The cohort is the package applications received (created) in the period, by local day (Asia/Shanghai), filtered by
the lead unit (with its subtree) and the package. Per package and per lead unit: received, accepted, decided,
closed; the parts decided by their own deadline; the packages decided within the promised total limit; the average
total working days from acceptance to the last decision against the sum of the parts' own working days had they
been applied for one after another (the saving); the hall visits and forms saved; cancelled parts.

Packages are few next to work orders and applications (a district receives hundreds a month, not hundreds of
thousands), so these are two plain queries over the package tables, summed here, with no rollup table.

Working days are counted as the calendar counts a time limit (`deadline_add_working_days`): the working days after
the day of acceptance up to and including the day of the decision, so "within N working days" and "by the deadline
N working days after acceptance" are the same thing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.calendar.core import WorkingCalendar
from govdesk.calendar.selectors import calendar_get
from govdesk.common.errors import PermissionDenied
from govdesk.org.models import Role, Unit

from .models import PackageApplication, PackagePart, PartState
from .states import Status

DISTRICT_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER)
STATS_ROLES = (*DISTRICT_ROLES, Role.UNIT_ADMIN)
COUNTERS = (
    "received",
    "accepted",
    "decided",
    "closed",
    "on_time",
    "with_limit",
    "parts",
    "parts_decided",
    "parts_on_time",
    "parts_cancelled",
    "visits_saved",
    "forms_saved",
)
# Sums of working days over the decided packages, turned into averages at the end.
_SUMS = ("total_days", "sequential_days")


def working_days_between(start: datetime, end: datetime, cal: WorkingCalendar) -> int:
    """Working days after the local day of `start` up to and including the local day of `end` (0 the same day)."""
    first, last = timezone.localtime(start, cal.tz).date(), timezone.localtime(end, cal.tz).date()
    count, day = 0, first + timedelta(days=1)
    while day <= last:
        count += cal.is_workday(day)
        day += timedelta(days=1)
    return count


def _bounds(date_from: date, date_to: date, cal: WorkingCalendar) -> tuple[datetime, datetime]:
    return (
        datetime.combine(date_from, time.min, tzinfo=cal.tz),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=cal.tz),
    )


def _scope(user: Any, unit_ids: Iterable[int] | None) -> frozenset[int] | None:
    """The lead units the user may count: everything for the district's roles, else their own unit's subtree."""
    if not (getattr(user, "is_authenticated", False) and user.has_role(*STATS_ROLES)):
        raise PermissionDenied(_("Your role does not allow viewing statistics."))
    wanted = frozenset(unit_ids) if unit_ids is not None else None
    if user.has_role(*DISTRICT_ROLES):
        return wanted
    own: Unit | None = getattr(user, "unit", None)
    if own is None:
        raise PermissionDenied(_("Your account has no unit."))
    own_ids = frozenset(own.descendant_ids())
    if wanted is not None and not wanted <= own_ids:
        raise PermissionDenied(_("You can see the statistics of your own unit only."))
    return wanted if wanted is not None else own_ids


def _empty() -> dict[str, int]:
    return dict.fromkeys((*COUNTERS, *_SUMS), 0)


def _finish(ident: dict[str, Any], c: dict[str, int]) -> dict[str, Any]:
    decided = c["decided"]
    row = {**ident, **{key: c[key] for key in COUNTERS}}
    row["parts_on_time_rate"] = round(c["parts_on_time"] / c["parts_decided"], 4) if c["parts_decided"] else None
    row["on_time_rate"] = round(c["on_time"] / c["with_limit"], 4) if c["with_limit"] else None
    row["avg_total_days"] = round(c["total_days"] / decided, 2) if decided else None
    row["avg_sequential_days"] = round(c["sequential_days"] / decided, 2) if decided else None
    row["avg_saved_days"] = round((c["sequential_days"] - c["total_days"]) / decided, 2) if decided else None
    return row


def package_stats_overview(
    *,
    user: Any,
    date_from: date,
    date_to: date,
    unit_ids: Iterable[int] | None = None,
    package_code: str | None = None,
) -> dict[str, Any]:
    """The package figures of the package applications received from `date_from` to `date_to` (inclusive, local
    days): `totals` and the rows `by_package` and `by_unit` (lead unit), each with the counters of COUNTERS, the two
    on-time rates (None with nothing to count) and the averages of total, sequential and saved working days (None
    without a decided package). `unit_ids`: lead units to count (None: all the user may see). Raises
    PermissionDenied (403) for a role without statistics or a unit outside a unit administrator's own."""
    scope = _scope(user, unit_ids)
    cal = calendar_get()
    start, end = _bounds(date_from, date_to, cal)
    packages = PackageApplication.objects.filter(created_at__gte=start, created_at__lt=end)
    if scope is not None:
        packages = packages.filter(package_version__lead_unit_id__in=scope)
    if package_code:
        packages = packages.filter(package__code=package_code)
    rows = list(
        packages.values(
            "pk",
            "status",
            "accepted_at",
            "decided_at",
            "package_id",
            "package__code",
            "package_version__name",
            "package_version__lead_unit_id",
            "package_version__lead_unit__code",
            "package_version__lead_unit__name",
            "package_version__promised_limit_days",
        ).order_by("pk")
    )
    parts_of: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for part in PackagePart.objects.filter(package_application_id__in=[r["pk"] for r in rows]).values(
        "package_application_id",
        "state",
        "application__matter_version__visits",
        "matter__current_version__visits",
        "application__accepted_at",
        "application__decided_at",
        "application__decision_due_at",
    ):
        parts_of[part["package_application_id"]].append(part)

    totals = _empty()
    by_package: dict[int, dict[str, int]] = defaultdict(_empty)
    by_unit: dict[int, dict[str, int]] = defaultdict(_empty)
    package_labels: dict[int, dict[str, Any]] = {}
    unit_labels: dict[int, dict[str, Any]] = {}
    for row in rows:
        c = _package_counters(row, parts_of.get(row["pk"], []), cal)
        unit_id = row["package_version__lead_unit_id"]
        package_labels.setdefault(
            row["package_id"],
            {
                "package": row["package__code"],
                "name": row["package_version__name"],
                "lead_unit": row["package_version__lead_unit__code"],
            },
        )
        unit_labels.setdefault(
            unit_id, {"unit": row["package_version__lead_unit__code"], "name": row["package_version__lead_unit__name"]}
        )
        for target in (totals, by_package[row["package_id"]], by_unit[unit_id]):
            for key, value in c.items():
                target[key] += value
    return {
        "kind": "package",
        "filters": {
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "unit_ids": sorted(scope) if scope is not None else None,
            "package": package_code or None,
        },
        "totals": _finish({}, totals),
        "by_package": sorted(
            (_finish(package_labels[pk], c) for pk, c in by_package.items()),
            key=lambda r: (-r["received"], r["package"]),
        ),
        "by_unit": sorted(
            (_finish(unit_labels[pk], c) for pk, c in by_unit.items()), key=lambda r: (-r["received"], r["unit"])
        ),
    }


def _package_counters(row: Mapping[str, Any], parts: list[Mapping[str, Any]], cal: WorkingCalendar) -> dict[str, int]:
    c = _empty()
    c["received"] = 1
    accepted_at, decided_at = row["accepted_at"], row["decided_at"]
    if accepted_at is None:
        return c
    c["accepted"] = 1
    c["closed"] = int(row["status"] == Status.CLOSED)
    c["parts"] = len(parts)
    # Applied for separately, each bundled matter is its own form and its own visits to the hall; packaged, one.
    c["forms_saved"] = max(len(parts) - 1, 0)
    # A part never started counts the visits of the matter's current rules.
    visits = sum(p["application__matter_version__visits"] or p["matter__current_version__visits"] or 1 for p in parts)
    c["visits_saved"] = max(visits - 1, 0)
    c["parts_cancelled"] = sum(p["state"] == PartState.CANCELLED for p in parts)
    sequential = 0
    for part in parts:
        part_decided, part_due = part["application__decided_at"], part["application__decision_due_at"]
        if part_decided is None:
            continue
        c["parts_decided"] += 1
        c["parts_on_time"] += int(part_due is None or part_decided <= part_due)
        sequential += working_days_between(part["application__accepted_at"] or accepted_at, part_decided, cal)
    if decided_at is None:
        return c
    c["decided"] = 1
    total = working_days_between(accepted_at, decided_at, cal)
    c["total_days"], c["sequential_days"] = total, sequential
    limit = row["package_version__promised_limit_days"]
    if limit:
        c["with_limit"] = 1
        c["on_time"] = int(total <= limit)
    return c
