"""Reads behind the application ledger (办件台账): who may export it, its filters, its rows as a viewer may see them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.models import Channel as ApplicationChannel
from govdesk.applications.models import StatusChoices as ApplicationStatusChoices
from govdesk.applications.permissions import acting_unit_ids
from govdesk.applications.selectors import application_list
from govdesk.applications.states import Status as ApplicationStatus
from govdesk.cases.models import CaseEvent, CaseSuspension
from govdesk.common import clock
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.common.masking import mask_id_number, mask_name, mask_phone
from govdesk.matters.models import Matter
from govdesk.org.models import Role, Unit

from . import labels
from .selectors import CHUNK_SIZE

# Who may export applications: exactly who may open /applications/ (applications.views.PAGE_ROLES); each sees the
# applications the list shows them (a unit's handler those of their unit's matters).
APPLICATION_EXPORT_ROLES = (Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN, Role.SUPERVISOR, Role.LEADER)
APPLICATION_EXPORT_PARAMS = ("date_from", "date_to", "status", "unit", "matter", "channel")
# The roles that see an applicant's phone and ID numbers in full on request (applications.permissions
# .application_can_reveal): the window, which checks identities, and the deciding unit. Read-only roles never do.
APPLICATION_REVEAL_ROLES = (Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN)


def application_export_check_role(user: Any) -> None:
    if not user.has_role(*APPLICATION_EXPORT_ROLES):
        raise PermissionDenied(_("Your role may not export the application list."))


def application_filter_labels() -> dict[str, str]:
    return {
        "date_from": _("Submitted from"),
        "date_to": _("Submitted until"),
        "status": _("Status"),
        "unit": _("Unit"),
        "matter": _("Matter code"),
        "channel": _("Channel"),
    }


def application_export_form(user: Any) -> dict[str, Any]:
    """The choices of the ledger's filter form on the exports page: a unit's staff are offered their own units and
    matters (the others would export nothing), the window and read-only roles every unit that has matters."""
    matters = Matter.objects.order_by("code")
    if not user.has_role(Role.WINDOW_CLERK, Role.SUPERVISOR, Role.LEADER):
        matters = matters.filter(unit_id__in=sorted(acting_unit_ids(user)))
    units = Unit.objects.filter(pk__in=matters.values("unit_id")).order_by("code")
    return {
        "statuses": ApplicationStatusChoices.choices,
        "channels": ApplicationChannel.choices,
        "units": list(units.values_list("code", "name")),
        "matters": list(matters.values_list("code", "name")),
    }


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def application_export_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The application ledger's filters, every one checked (a bad value is a 400 naming the filter, never ignored):
    submitted from/until (YYYY-MM-DD, inclusive), status (one, or several separated by commas), the deciding unit's
    code, the matter's code, the channel."""
    raw = {key: str(params.get(key, "") or "").strip() for key in APPLICATION_EXPORT_PARAMS}
    filters: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in ("date_from", "date_to"):
        if raw[key]:
            day = _iso_date(raw[key])
            if day is None:
                errors[key] = [_("Give the date as YYYY-MM-DD.")]
            else:
                filters[key] = day
    if "date_from" in filters and "date_to" in filters and filters["date_from"] > filters["date_to"]:
        errors["date_to"] = [_("The end date is before the start date.")]
    if raw["status"]:
        statuses = [s.strip() for s in raw["status"].split(",") if s.strip()]
        unknown = [s for s in statuses if s not in {m.value for m in ApplicationStatus}]
        if unknown or not statuses:
            errors["status"] = [_("Unknown value: %(value)s") % {"value": ", ".join(unknown) or raw["status"]}]
        else:
            filters["status"] = ",".join(statuses)
    if raw["channel"]:
        if raw["channel"] not in ApplicationChannel.values:
            errors["channel"] = [_("Unknown value: %(value)s") % {"value": raw["channel"]}]
        else:
            filters["channel"] = raw["channel"]
    for key, model in (("unit", Unit), ("matter", Matter)):
        if raw[key]:
            if len(raw[key]) > 64 or not model.objects.filter(code=raw[key]).exists():
                errors[key] = [_("Unknown value: %(value)s") % {"value": raw[key][:64]}]
            else:
                filters[key] = raw[key]
    if errors:
        labels_of = application_filter_labels()
        problems = "; ".join(
            _("%(filter)s: %(problem)s") % {"filter": labels_of[key], "problem": messages[0]}
            for key, messages in errors.items()
        )
        raise ValidationFailed(_("Some filters are not valid: %(problems)s") % {"problems": problems}, fields=errors)
    return filters


def application_export_queryset(*, user: Any, filters: dict[str, Any]) -> QuerySet[Any]:
    """The applications `user` may see (the list's visibility), filtered, with what each row needs in the same query:
    the suspensions' working days and the decision (approved or denied, kept after delivery)."""
    queryset = application_list(
        user=user, filters={k: v for k, v in filters.items() if k in ("status", "unit", "matter", "channel")}
    )
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        queryset = queryset.filter(created_at__gte=datetime.combine(filters["date_from"], time.min, tzinfo=tz))
    if filters.get("date_to"):
        end = datetime.combine(filters["date_to"] + timedelta(days=1), time.min, tzinfo=tz)
        queryset = queryset.filter(created_at__lt=end)
    suspended = (
        CaseSuspension.objects.filter(case_id=OuterRef("pk"))
        .order_by()
        .values("case_id")
        .annotate(days=Sum("working_days"))
        .values("days")
    )
    decision = (
        CaseEvent.objects.filter(
            case_id=OuterRef("pk"), to_status__in=[ApplicationStatus.APPROVED, ApplicationStatus.DENIED]
        )
        .order_by("-occurred_at", "-id")
        .values("to_status")[:1]
    )
    return queryset.annotate(
        suspended_days=Coalesce(Subquery(suspended), Value(0)), decision=Subquery(decision)
    ).order_by("created_at", "id")


def _decided_on_time(application: Any, now: datetime) -> bool | str | None:
    if application.decided_at is not None:
        deadline = application.decision_due_at
        return None if deadline is None else application.decided_at <= deadline
    if application.is_open and application.due_at is not None and application.due_at < now:
        return labels.OVERDUE_OPEN
    return None


def application_export_rows(*, user: Any, queryset: QuerySet[Any], unmask: bool = False) -> Iterator[list[Any]]:
    """One row per application in the column order of labels.APPLICATION_HEADERS.

    The applicant's phone and ID numbers are masked unless `unmask` was asked for and the role may see them (the
    window and the deciding unit; supervisors and leaders read masked data only); names in full only for those roles.
    """
    reveals = bool(user.has_role(*APPLICATION_REVEAL_ROLES))
    full = unmask and reveals
    now = clock.now()
    for application in queryset.iterator(chunk_size=CHUNK_SIZE):
        on_time = _decided_on_time(application, now)
        decided = application.decision_due_at if application.decided_at is not None else application.due_at
        status = application.status
        result = application.decision if status != ApplicationStatus.REFUSED else status
        yield [
            application.number,
            application.matter.code,
            application.matter_version.name,
            application.primary_unit.name if application.primary_unit else "",
            labels.APPLICATION_CHANNEL.get(application.channel, application.channel),
            application.applicant_name if reveals else mask_name(application.applicant_name),
            application.applicant_phone if full else mask_phone(application.applicant_phone),
            application.applicant_id_number if full else mask_id_number(application.applicant_id_number),
            labels.APPLICATION_STATUS.get(status, status),
            application.created_at,
            application.accepted_at,
            decided if application.accepted_at is not None else None,
            application.decided_at,
            on_time if isinstance(on_time, str) else labels.ON_TIME[on_time],
            application.delivered_at,
            application.suspended_days,
            labels.APPLICATION_RESULT.get(result or "", ""),
        ]
