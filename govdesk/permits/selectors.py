"""Reads of the permit registry: who sees which permits, the public verification, the registry's chart."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext

from govdesk.applications.models import Application
from govdesk.applications.permissions import acting_unit_ids
from govdesk.common.masking import mask_name
from govdesk.org.models import Role
from govdesk.packages.models import PackageApplication

from .models import Permit, PermitStatus
from .services import NUMBER_MAX_LENGTH

READ_ALL_ROLE_CODES = {Role.SUPERVISOR.value, Role.LEADER.value, Role.WINDOW_CLERK.value}
UNIT_ROLE_CODES = {Role.HANDLER.value, Role.UNIT_ADMIN.value}
STAFF_ROLE_CODES = READ_ALL_ROLE_CODES | UNIT_ROLE_CODES
# Whoever needs to see a holder's full name: the window that hands the permit over and the issuing unit.
FULL_HOLDER_ROLE_CODES = {Role.WINDOW_CLERK.value, *UNIT_ROLE_CODES}

# Words that make a holder's name an organisation's (shown in full on the public page); anything else is taken for a
# person's name and masked: when unsure, mask.
_ORGANISATION_WORDS = re.compile(
    r"公司|有限|集团|企业|局|院|中心|委员会|合作社|厂|店|事务所|学校|医院|协会|银行|商行|工作室|研究所|基金会|"
    r"\b(ltd|co|inc|llc|corp|company|gmbh)\b",
    re.IGNORECASE,
)

DISPLAY_VALID = "valid"
DISPLAY_REVOKED = "revoked"
DISPLAY_ON_COMMITMENT = "on_commitment"


def permit_display_status(permit: Permit) -> str:
    """valid, revoked, or on_commitment (approved on the applicant's commitment, not yet verified by its unit)."""
    if permit.status == PermitStatus.REVOKED:
        return DISPLAY_REVOKED
    if permit.on_commitment and permit.verified_at is None:
        return DISPLAY_ON_COMMITMENT
    return DISPLAY_VALID


def holder_is_organisation(permit: Permit) -> bool:
    return permit.project_id is not None or bool(_ORGANISATION_WORDS.search(permit.holder_name))


def permit_holder_public(permit: Permit) -> str:
    """The holder as the public sees it: an organisation in full, a person's name masked (张**)."""
    return permit.holder_name if holder_is_organisation(permit) else mask_name(permit.holder_name)


def _own_case_ids(user: Any) -> Q:
    return Q(case_id__in=Application.objects.filter(applicant=user).values("pk")) | Q(
        case_id__in=PackageApplication.objects.filter(applicant=user).values("pk")
    )


def permit_holder_for(user: Any, permit: Permit) -> str:
    """The holder in full for the window, the issuing unit's staff and the holder's own account; masked otherwise.
    `permit` is one `user` may see (from `permit_list` / `permit_get`): a citizen sees only their own."""
    if user.has_role(*FULL_HOLDER_ROLE_CODES) and (
        user.has_role(Role.WINDOW_CLERK) or permit.unit_id in acting_unit_ids(user)
    ):
        return permit.holder_name
    if user.has_role(Role.CITIZEN):
        if not user.has_role(*STAFF_ROLE_CODES):
            return permit.holder_name  # no query per row: a citizen's list holds their own permits only
        if Permit.objects.filter(_own_case_ids(user), pk=permit.pk).exists():
            return permit.holder_name
    return permit_holder_public(permit)


def permit_visibility_q(user: Any) -> Q:
    """Supervisors, leaders and the service hall: every permit; unit staff: their units'; citizens: their own."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user.has_role(*READ_ALL_ROLE_CODES):
        return Q()
    q = Q(pk__in=[])
    if user.has_role(*UNIT_ROLE_CODES):
        units = acting_unit_ids(user)
        if units:
            q |= Q(unit_id__in=sorted(units))
    if user.has_role(Role.CITIZEN):
        q |= _own_case_ids(user)
    return q


def permit_list(*, user: Any, filters: Mapping[str, Any]) -> QuerySet[Permit]:
    """The permits `user` may see. filters: `project` (project code), `unit` (unit code), `number` (exact), `q` (part
    of a number or holder), `status` (valid, revoked, on_commitment), `order` ("due": commitment permits awaiting
    verification first, soonest due first)."""
    permits = Permit.objects.filter(permit_visibility_q(user)).select_related("unit", "project", "matter", "case")
    if filters.get("project"):
        permits = permits.filter(project__code=filters["project"])
    if filters.get("unit"):
        permits = permits.filter(unit__code=filters["unit"])
    if filters.get("number"):
        permits = permits.filter(number=filters["number"])
    if filters.get("q"):
        permits = permits.filter(Q(number__icontains=filters["q"]) | Q(holder_name__icontains=filters["q"]))
    status = filters.get("status")
    if status == DISPLAY_REVOKED:
        permits = permits.filter(status=PermitStatus.REVOKED)
    elif status == DISPLAY_ON_COMMITMENT:
        permits = permits.filter(status=PermitStatus.VALID, on_commitment=True, verified_at__isnull=True)
    elif status == DISPLAY_VALID:
        permits = permits.filter(status=PermitStatus.VALID).exclude(on_commitment=True, verified_at__isnull=True)
    if filters.get("order") == "due":
        awaiting = When(status=PermitStatus.VALID, on_commitment=True, verified_at__isnull=True, then=Value(0))
        permits = permits.annotate(
            awaiting_verification=SqlCase(awaiting, default=Value(1), output_field=IntegerField())
        ).order_by("awaiting_verification", "verify_due_at", "-issued_at", "-id")
    return permits


def permit_by_number(number: Any) -> Permit | None:
    """The permit the registry holds under `number`, or None (anything else, garbage included: never an error)."""
    if not isinstance(number, str):
        return None
    number = number.strip()
    if not number or len(number) > NUMBER_MAX_LENGTH or "\x00" in number:
        return None
    return Permit.objects.select_related("unit", "project", "matter").filter(number=number).first()


def permit_get(*, user: Any, number: str) -> Permit | None:
    """One permit `user` may see, by number, or None."""
    found = permit_by_number(number)
    if found is None or not Permit.objects.filter(permit_visibility_q(user), pk=found.pk).exists():
        return None
    return found


@dataclass(frozen=True)
class MonthlyCounts:
    months: list[str]  # "2026-11", oldest first
    units: list[str]  # unit names, most permits first
    counts: list[list[int]]  # counts[unit][month]


def permit_monthly_counts(*, permits: QuerySet[Permit], months: int = 12, top_units: int = 6) -> MonthlyCounts:
    """Permits issued per month per unit, over the last `months` months (the other units summed as one)."""
    today = timezone.localdate()
    first = today.replace(day=1)
    labels = []
    year, month = first.year, first.month
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    labels.reverse()
    start_year, start_month = (int(x) for x in labels[0].split("-"))
    start = datetime(start_year, start_month, 1, tzinfo=timezone.get_current_timezone())
    rows = (
        permits.order_by()
        .filter(issued_at__gte=start)
        .annotate(month=TruncMonth("issued_at"))
        .values("month", "unit__name")
        .annotate(n=Count("id"))
    )
    by_unit: dict[str, dict[str, int]] = {}
    for row in rows:
        label = timezone.localtime(row["month"]).strftime("%Y-%m")  # TruncMonth: aware, in the current zone
        counts_of = by_unit.setdefault(row["unit__name"], {})
        counts_of[label] = counts_of.get(label, 0) + row["n"]
    ranked = sorted(by_unit, key=lambda name: (-sum(by_unit[name].values()), name))
    units = ranked[:top_units]
    counts = [[by_unit[name].get(label, 0) for label in labels] for name in units]
    if len(ranked) > top_units:
        rest = [sum(by_unit[name].get(label, 0) for name in ranked[top_units:]) for label in labels]
        units.append(gettext("Other units"))
        counts.append(rest)
    return MonthlyCounts(months=labels, units=units, counts=counts)
