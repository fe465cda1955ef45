"""Reads of applications, always through the viewer's visibility filter."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from govdesk.cases.models import CaseEvent, CaseSuspension

from .models import Application, ApplicationMaterial, ApplicationNotice
from .permissions import acting_unit_ids, application_visibility_q
from .states import Status

LIST_RELATED = ("matter", "matter_version", "primary_unit")


def application_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Application]:
    """Applications the user may see, newest first, filtered by status, matter, unit and channel."""
    f = filters or {}
    qs = Application.objects.filter(application_visibility_q(user)).select_related(*LIST_RELATED)
    if f.get("status"):
        qs = qs.filter(status__in=[s for s in str(f["status"]).split(",") if s])
    if f.get("matter"):
        qs = qs.filter(matter__code=f["matter"])
    if f.get("unit"):
        qs = qs.filter(primary_unit__code=f["unit"])
    if f.get("channel"):
        qs = qs.filter(channel=f["channel"])
    return qs.order_by("-created_at", "-id")


def application_get(*, user: Any, number: str) -> Application | None:
    return (
        Application.objects.filter(application_visibility_q(user), number=number)
        .select_related(*LIST_RELATED, "matter_version__unit", "applicant")
        .first()
    )


def application_unit_inbox(*, user: Any) -> QuerySet[Application]:
    """The unit's applications to decide (being handled or suspended), the nearest deadline first."""
    return (
        application_list(user=user)
        .filter(primary_unit_id__in=sorted(acting_unit_ids(user)))
        .filter(status__in=[Status.HANDLING, Status.SUSPENDED])
        .order_by("due_at", "id")
    )


def application_materials(*, application: Application) -> QuerySet[ApplicationMaterial]:
    return application.materials.order_by("order", "id")


def application_missing_codes(materials: list[ApplicationMaterial]) -> list[str]:
    """Required materials not (or no longer) received: what a correction notice lists and acceptance waits for."""
    return [m.code for m in materials if m.required and not m.received]


def application_notices(*, application: Application) -> QuerySet[ApplicationNotice]:
    return application.notices.order_by("issued_at", "id")


def application_suspensions(*, application: Application) -> QuerySet[CaseSuspension]:
    return CaseSuspension.objects.filter(case_id=application.pk).order_by("started_at", "id")


def application_timeline(*, application: Application, public_only: bool = False) -> QuerySet[CaseEvent]:
    qs = CaseEvent.objects.filter(case_id=application.pk).select_related("actor", "actor_unit")
    qs = qs.order_by("occurred_at", "id")
    return qs.filter(is_public=True) if public_only else qs
