"""Reads of package applications, always through the viewer's visibility filter (permissions.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from govdesk.applications.models import Application
from govdesk.cases.models import CaseEvent
from govdesk.common import clock
from govdesk.common.errors import PermissionDenied

from .models import PackageApplication, PackageMaterialReceipt, PackageNotice, PackagePart
from .permissions import (
    package_can_see_all,
    package_can_urge,
    package_check_actor,
    package_visibility_q,
)
from .states import TRANSITIONS, Action, Status, actions_from

LIST_RELATED = ("package", "package_version", "primary_unit")

STATUS_LABELS = {
    Status.SUBMITTED: _("Awaiting acceptance"),
    Status.CORRECTION: _("Awaiting missing materials"),
    Status.REFUSED: _("Not accepted"),
    Status.HANDLING: _("Being handled"),
    Status.DECIDED: _("All parts decided, awaiting delivery"),
    Status.CLOSED: _("Closed"),
}


def package_status_label(status: str) -> str:
    """The status in words (in the active language)."""
    try:
        return str(STATUS_LABELS[Status(status)])
    except ValueError:
        return status


def package_application_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[PackageApplication]:
    """Package applications the user may see, newest first. Filters: `status` (comma-separated), `package` (a
    package code), `late` (True: some part overdue, or the package past its promised total)."""
    f = filters or {}
    qs = PackageApplication.objects.filter(package_visibility_q(user)).distinct().select_related(*LIST_RELATED)
    if f.get("status"):
        qs = qs.filter(status__in=[s for s in str(f["status"]).split(",") if s])
    if f.get("package"):
        qs = qs.filter(package__code=f["package"])
    if f.get("late"):
        late_part = PackagePart.objects.filter(package_application=OuterRef("pk"), application__is_overdue=True)
        qs = qs.filter(Exists(late_part) | Q(is_open=True, due_at__lt=clock.now()))
    return qs.order_by("-created_at", "-id")


def package_application_get(*, user: Any, number: str) -> PackageApplication | None:
    """The package application `number` if the user may see it (the whole of it, or a part's unit its summary)."""
    return (
        PackageApplication.objects.filter(package_visibility_q(user), number=number)
        .distinct()
        .select_related(*LIST_RELATED, "package_version__lead_unit", "applicant")
        .first()
    )


def package_application_of(*, application: Application) -> PackageApplication | None:
    """The package an application is a part of, or None (a part's page links back to its package)."""
    part = PackagePart.objects.filter(application=application).select_related("package_application").first()
    return part.package_application if part is not None else None


def package_application_materials(*, package_application: PackageApplication) -> QuerySet[PackageMaterialReceipt]:
    """The merged checklist: each merged material once."""
    return package_application.materials.select_related("attachment").order_by("order", "id")


def package_missing_codes(receipts: list[PackageMaterialReceipt]) -> list[str]:
    """Required merged materials not (or no longer) received: what the one correction notice lists."""
    return [m.code for m in receipts if m.required and not m.received]


def package_application_parts(*, package_application: PackageApplication) -> QuerySet[PackagePart]:
    """The parts, in the package's order, each with its application (None while waiting or if cancelled)."""
    return package_application.parts.select_related(
        "matter",
        "matter__unit",
        "item",
        "item__matter",
        "application",
        "application__primary_unit",
        "application__matter_version",
    ).order_by("order", "id")


def package_application_notices(*, package_application: PackageApplication) -> QuerySet[PackageNotice]:
    return package_application.notices.order_by("issued_at", "id")


def package_application_timeline(
    *, package_application: PackageApplication, public_only: bool = False
) -> QuerySet[CaseEvent]:
    qs = CaseEvent.objects.filter(case_id=package_application.pk).select_related("actor", "actor_unit")
    qs = qs.order_by("occurred_at", "id")
    return qs.filter(is_public=True) if public_only else qs


def package_application_actions(*, user: Any, package_application: PackageApplication) -> list[Action]:
    """What the table, the user's role and their relation to the package allow now; guards (materials complete)
    are checked when the action is taken, so a listed action may still answer 409."""
    allowed = []
    for action in actions_from(package_application.status):
        try:
            package_check_actor(user, package_application, TRANSITIONS[(Status(package_application.status), action)])
        except PermissionDenied:
            continue
        allowed.append(action)
    return allowed


def package_application_can_urge(*, user: Any, package_application: PackageApplication) -> bool:
    """Whether the user may urge the package's parts (the lead unit's members)."""
    return package_can_urge(user, package_application)


def package_application_sees_all(*, user: Any, package_application: PackageApplication) -> bool:
    """False for a part's own unit, which sees the package's summary only (no form answers, no materials)."""
    return package_can_see_all(user, package_application)
