"""Reads behind the exports: the order list's filters, export rows as a viewer may see them, a month's report data."""

from __future__ import annotations

import calendar
import importlib
import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.catalog.models import Urgency
from govdesk.common import clock
from govdesk.common.errors import NotFound, PermissionDenied, ValidationFailed
from govdesk.common.masking import mask_name, mask_phone
from govdesk.evaluations.selectors import evaluation_rates
from govdesk.org.models import Role, Unit
from govdesk.workorders.forms import OrderFilterForm
from govdesk.workorders.models import Channel, WorkOrder
from govdesk.workorders.permissions import assigned_to_units
from govdesk.workorders.selectors import workorder_list

from . import labels
from .models import ExportJob, ExportKind

ORDER_EXPORT_MAX_ROWS = 100_000
CHUNK_SIZE = 2000
# Who may export the order list: exactly who may open it (workorders.views.LIST_ROLES).
ORDER_EXPORT_ROLES = (
    Role.OPERATOR,
    Role.DISPATCHER,
    Role.SUPERVISOR,
    Role.HANDLER,
    Role.UNIT_ADMIN,
    Role.CITIZEN,
    Role.LEADER,
)
# The statistics contract's dashboard roles (unit administrators are scoped to their unit by stats_filter_parse).
STATS_EXPORT_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER, Role.UNIT_ADMIN)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
HOTSPOT_MAX_ORDERS = 5000
TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"", "0", "false", "no", "off"}


# The query parameters an order export reads (the order list's filters and the drill-down ones), as a queued export
# keeps them to build the file later.
ORDER_EXPORT_PARAMS = (*OrderFilterForm.base_fields, "channel", "urgency", "overdue", "due_soon")
EXPORT_LIST_SIZE = 20


def export_jobs_of(*, user: Any) -> list[ExportJob]:
    """The user's own exports, newest first (nobody sees another person's exports: they hold personal data)."""
    return list(ExportJob.objects.filter(requested_by=user).order_by("-created_at")[:EXPORT_LIST_SIZE])


def export_job_get(*, user: Any, job_pk: str) -> ExportJob:
    job = ExportJob.objects.filter(pk=job_pk, requested_by=user).first() if _is_uuid(job_pk) else None
    if job is None:
        raise NotFound(_("No such export."))
    return job


def export_filter_labels(filters: Mapping[str, Any], kind: str = ExportKind.ORDERS) -> list[tuple[str, str]]:
    """A queued export's filters as (label, value) for its requester, labelled as its list labels them."""
    if kind == ExportKind.APPLICATIONS:
        from .ledger_selectors import application_filter_labels

        names = application_filter_labels()
        return [(str(names.get(k, k)), str(v)) for k, v in filters.items()]
    fields = OrderFilterForm.base_fields
    extra = {
        "channel": _("Channel"),
        "urgency": _("Urgency"),
        "overdue": _("Overdue only"),
        "due_soon": _("Due soon only"),
    }
    return [(str(fields[k].label) if k in fields else str(extra.get(k, k)), str(v)) for k, v in filters.items()]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def order_export_check_role(user: Any) -> None:
    if not user.has_role(*ORDER_EXPORT_ROLES):
        raise PermissionDenied(_("Your role may not export the order list."))


def stats_export_check_role(user: Any) -> None:
    if not user.has_role(*STATS_EXPORT_ROLES):
        raise PermissionDenied(_("Your role may not export statistics."))


def order_export_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The order list's filters, as /orders/ reads them, but a bad value is a 400 instead of being ignored.

    Fields of OrderFilterForm are parsed by the form; the drill-down filters the list selector also understands
    (channel, urgency, overdue, due_soon) are checked here unless the form has learnt them.
    """
    form_keys = set(OrderFilterForm.base_fields)
    form = OrderFilterForm({k: params.get(k, "") for k in form_keys})
    if not form.is_valid():
        fields = {k: [str(m) for m in v] for k, v in form.errors.items()}
        raise _filters_invalid(fields)
    # An unticked checkbox (False) is no filter, as in the order list.
    filters = {k: v for k, v in form.cleaned_data.items() if v is not None and v != "" and v is not False}
    errors: dict[str, list[str]] = {}
    extra_choices = {"channel": set(Channel.values), "urgency": set(Urgency.values)}
    for key, allowed in extra_choices.items():
        value = str(params.get(key, "") or "")
        if key in form_keys or not value:
            continue
        if value not in allowed:
            errors[key] = [_("Unknown value: %(value)s") % {"value": value}]
        else:
            filters[key] = value
    for key in ("overdue", "due_soon"):
        # Stricter than a checkbox (which reads any text as "on"): a link with overdue=maybe is a mistake.
        value = str(params.get(key, "") or "").lower()
        filters.pop(key, None)
        if value in TRUE_VALUES:
            filters[key] = True
        elif value not in FALSE_VALUES:
            errors[key] = [_("Use 1 or 0.")]
    created_from, created_to = filters.get("created_from"), filters.get("created_to")
    if isinstance(created_from, date) and isinstance(created_to, date) and created_from > created_to:
        errors["created_to"] = [_("The end date is before the start date.")]
    if errors:
        raise _filters_invalid(errors)
    return filters


def _filters_invalid(fields: dict[str, list[str]]) -> ValidationFailed:
    """The error page shows only the message, so it names each filter (as the order list labels it) and its problem."""
    labels = [label for label, _value in export_filter_labels(dict.fromkeys(fields, ""))]
    problems = "; ".join(
        _("%(filter)s: %(problem)s") % {"filter": label, "problem": messages[0]}
        for label, messages in zip(labels, fields.values(), strict=True)
    )
    return ValidationFailed(_("Some filters are not valid: %(problems)s") % {"problems": problems}, fields=fields)


def order_export_queryset(*, user: Any, filters: dict[str, Any]) -> QuerySet[WorkOrder]:
    return workorder_list(user=user, filters=filters)


def _phone_visible(user: Any, order: WorkOrder) -> bool:
    """Mirror of workorders.permissions.workorder_can_reveal for rows the user can already see (no query per row)."""
    if user.has_role(Role.OPERATOR, Role.DISPATCHER):
        return True
    if order.confidential:
        return False
    if order.citizen_user_id is not None and order.citizen_user_id == user.pk:
        return True
    # Supervisors see every order; unit staff only see orders assigned to their units (the visibility filter).
    return bool(user.has_role(Role.SUPERVISOR, Role.HANDLER, Role.UNIT_ADMIN))


def order_export_rows(*, user: Any, queryset: QuerySet[WorkOrder], unmask: bool = False) -> Iterator[list[Any]]:
    """One row per order in the column order of labels.ORDER_HEADERS.

    Phones are masked unless `unmask` was asked for and this role may see the number (see workorder_can_reveal);
    names follow the order list (full only for the centre's intake staff).
    """
    sees_names = bool(user.has_role(Role.OPERATOR, Role.DISPATCHER))
    for order in queryset.iterator(chunk_size=CHUNK_SIZE):
        phone = order.citizen_phone if unmask and _phone_visible(user, order) else mask_phone(order.citizen_phone)
        yield [
            order.number,
            order.title,
            labels.STATUS.get(order.status, order.status),
            order.request_type.name,
            order.category.path,
            labels.CHANNEL.get(order.channel, order.channel),
            labels.URGENCY.get(order.urgency, order.urgency),
            order.created_at,
            order.sign_due_at,
            order.due_at,
            order.closed_at,
            order.primary_unit.name if order.primary_unit else "",
            order.citizen_name if sees_names else mask_name(order.citizen_name),
            phone,
            order.address,
            labels.YES_NO[bool(order.is_overdue)],
            order.return_count,
            order.visited_at,
            labels.RESOLVED.get(order.visit_resolved, "") if order.visit_resolved is not None else "",
            labels.SATISFACTION.get(order.visit_satisfaction, ""),
        ]


# --- the monthly report ---------------------------------------------------------------------------------------------


def month_parse(value: str) -> date:
    """`YYYY-MM` → the first day of that month; anything else, or a month after the current one, is a 400."""
    match = MONTH_RE.match((value or "").strip())
    if not match:
        raise ValidationFailed(
            _("The month must be written YYYY-MM, for example 2026-10."), fields={"month": ["YYYY-MM"]}
        )
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < 2000:
        raise ValidationFailed(_("There is no such month: %(month)s.") % {"month": value}, fields={"month": [value]})
    first = date(year, month, 1)
    today = timezone.localdate(clock.now())
    if first > today:
        raise ValidationFailed(
            _("The month %(month)s has not started yet.") % {"month": value}, fields={"month": [value]}
        )
    return first


def month_last_day(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


class DistrictReader:
    """Who the `monthly_report` command reads as: the whole district, read-only (the statistics' LEADER scope)."""

    is_authenticated = True
    is_anonymous = False
    pk = None
    id = None
    unit = None
    username = "monthly_report"
    roles = frozenset({Role.LEADER.value})

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def get_username(self) -> str:
        return self.username


def report_scope_q(user: Any) -> Q:
    """Orders behind a statistics report: the district for centre staff and leaders, a unit admin's own subtree."""
    if user.has_role(Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER):
        return Q()
    if user.has_role(Role.UNIT_ADMIN) and getattr(user, "unit", None) is not None:
        return Q(assigned_to_units(user.unit.descendant_ids()))
    return Q(pk__in=[])


def month_hotspots(*, user: Any, first: date, limit: int = 10) -> list[dict[str, Any]]:
    """The month's hotspots among the orders `user` may see (dispatch's clustering; the previous month for growth)."""
    from govdesk.dispatch.core import hotspots as core
    from govdesk.dispatch.hotspots import hotspot_docs
    from govdesk.workorders.states import Status

    def aware(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min))

    start, end = aware(first), aware(month_last_day(first) + timedelta(days=1))
    previous_start = aware(_previous_month(first))

    def period(lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        rows = (
            WorkOrder.objects.filter(report_scope_q(user), created_at__gte=lo, created_at__lt=hi)
            .exclude(status=Status.CANCELLED)
            .order_by("-created_at", "-pk")
            .annotate(body=Substr("content", 1, core.BODY_CHARS))
            .values("pk", "number", "title", "body", "address", "created_at")[:HOTSPOT_MAX_ORDERS]
        )
        return [dict(row) for row in rows]

    current = period(start, end)
    if not current:
        return []
    docs = hotspot_docs(current + period(previous_start, start), current_pks={row["pk"] for row in current})
    clusters = core.hotspots_cluster(docs, limit=limit)
    return [
        {
            "keywords": c.keywords,
            "place": c.place,
            "size": c.size,
            "previous_size": c.previous_size,
            "examples": [{"number": docs[i].key, "title": docs[i].title} for i in c.examples],
        }
        for c in clusters
    ]


def month_assessment(*, user: Any, first: date) -> list[dict[str, Any]] | None:
    """The assessment ranking if the assessment app provides it (None when absent); unit admins see their own rows."""
    # The assessment app may not provide its selectors yet: import by name, and leave the section out if absent.
    try:
        assessment_selectors = importlib.import_module("govdesk.assessment.selectors")
    except ImportError:
        return None
    assessment_month = getattr(assessment_selectors, "assessment_month", None)
    if assessment_month is None:
        return None
    rows = list(assessment_month(month=first))
    if user.has_role(Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER):
        return rows
    unit = getattr(user, "unit", None)
    if unit is None:
        return []
    codes = set(Unit.objects.filter(pk__in=unit.descendant_ids()).values_list("code", flat=True))
    return [row for row in rows if row.get("unit") in codes]


def month_applications(*, user: Any, first: date, last: date) -> dict[str, Any] | None:
    """The month's application overview from the statistics (the dashboard's figures, never a count of our own),
    scoped as the statistics scope `user`; None while the statistics do not provide it (the section waits)."""
    stats_selectors = importlib.import_module("govdesk.stats.selectors")
    parse = getattr(stats_selectors, "stats_application_filter_parse", None)
    overview = getattr(stats_selectors, "stats_application_overview", None)
    if parse is None or overview is None:
        return None
    flt = parse({"date_from": first.isoformat(), "date_to": last.isoformat()}, user)
    return dict(overview(user=user, flt=flt))


def month_packages(*, user: Any, first: date, last: date) -> dict[str, Any]:
    """The month's 一件事一次办 figures from the statistics (the dashboard's `?kind=package`), scoped as the
    statistics scope `user`."""
    from govdesk.stats.selectors import stats_package_filter_parse, stats_package_overview

    flt = stats_package_filter_parse({"date_from": first.isoformat(), "date_to": last.isoformat()}, user)
    return stats_package_overview(user=user, flt=flt)


def month_projects(*, first: date, last: date) -> dict[str, Any]:
    """The month's average approval time of construction projects (平均审批用时), per type and per stage, as the
    dashboard's `?kind=project` shows it: the district's figure, the same in every report."""
    from govdesk.projects.portfolio_selectors import project_average_times

    return project_average_times(start=first, end=last)


def month_evaluations(*, user: Any, first: date, last: date) -> dict[str, Any]:
    """好差评 of the month (ratings given in it): in total, per level, unit, matter, channel and case type. A unit
    administrator's report counts the ratings of their unit and the units below it."""
    unit_ids: set[int] | None = None
    if not user.has_role(Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER):
        unit = getattr(user, "unit", None)
        unit_ids = set(unit.descendant_ids()) if unit is not None else set()
    rates = evaluation_rates((first, last), unit_ids=unit_ids)
    return {
        "total": rates.total.as_dict(),
        "by_unit": [row.as_dict() for row in rates.by_unit],
        "by_matter": [row.as_dict() for row in rates.by_matter],
        "by_channel": [row.as_dict() for row in rates.by_channel],
        "by_kind": [row.as_dict() for row in rates.by_kind],
    }


def monthly_report_data(*, user: Any, month: str) -> dict[str, Any]:
    """Everything the monthly report shows, from the statistics selectors (same figures as the dashboard)."""
    from govdesk.stats.selectors import stats_filter_parse, stats_overview

    stats_export_check_role(user)
    first = month_parse(month)
    last = month_last_day(first)
    flt = stats_filter_parse({"date_from": first.isoformat(), "date_to": last.isoformat()}, user)
    overview = stats_overview(user=user, flt=flt)
    applications = month_applications(user=user, first=first, last=last)
    evaluations = month_evaluations(user=user, first=first, last=last)
    packages = month_packages(user=user, first=first, last=last)
    projects = month_projects(first=first, last=last)
    now = clock.now()
    return {
        "month": first,
        "month_label": f"{first.year}年{first.month}月",
        "month_code": first.strftime("%Y-%m"),
        "date_from": first,
        "date_to": last,
        "overview": overview,
        "closed": sum(int(row.get("closed") or 0) for row in overview.get("series", [])),
        "assessment": month_assessment(user=user, first=first),
        "hotspots": month_hotspots(user=user, first=first),
        "applications": applications,
        "evaluations": evaluations,
        "packages": packages,
        "projects": projects,
        "generated_at": now,
        # The cohort is the month's orders, but their later steps (replies, visits) count too: data as of now.
        "cut_off": now,
    }
