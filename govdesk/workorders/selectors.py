"""Reads of work orders, always through the viewer's visibility filter."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from govdesk.cases.models import CaseEvent
from govdesk.cases.selectors import due_soon_q, overdue_q
from govdesk.common import clock
from govdesk.common.crypto import blind_index, normalize_phone_for_index
from govdesk.org.models import Unit

from .models import WorkOrder
from .permissions import actor_unit_ids, assigned_to_units, workorder_visibility_q
from .states import Status

LIST_RELATED = ("request_type", "category", "primary_unit")
# The primary_unit filter's value for orders with no primary unit (the statistics' "Not dispatched" row).
PRIMARY_UNIT_NONE = "none"


def workorder_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[WorkOrder]:
    """Orders the user may see, newest first, filtered by status, unit, category, type, channel, dates and text."""
    f = filters or {}
    qs = WorkOrder.objects.filter(workorder_visibility_q(user)).select_related(*LIST_RELATED)
    if f.get("status"):
        qs = qs.filter(status__in=[s for s in str(f["status"]).split(",") if s])
    if f.get("unit"):
        qs = qs.filter(assigned_to_units(list(Unit.objects.filter(code=f["unit"]).values_list("pk", flat=True))))
    if f.get("primary_unit"):
        qs = qs.filter(_primary_unit_q(str(f["primary_unit"]), only=bool(f.get("primary_unit_only"))))
    if f.get("street"):
        # Exactly the orders the statistics count for this street: the street its fact row holds (stats.services
        # street_of), through the fact's related name, so workorders imports nothing from stats.
        street = Unit.objects.filter(code=f["street"]).values_list("pk", flat=True).first()
        qs = qs.filter(stats_fact__street_id=street) if street is not None else qs.none()
    if f.get("category"):
        raw = str(f["category"])
        # A path prefix of whole levels: "城乡建设" is that category and those below it, not "城乡建设局…".
        path = raw.strip("/")
        prefix = Q(category__path=path) | Q(category__path__startswith=path + "/")
        qs = qs.filter(category_id=int(raw)) if raw.isdigit() else qs.filter(prefix)
    if f.get("type"):
        qs = qs.filter(request_type__code=f["type"])
    if f.get("channel"):
        qs = qs.filter(channel=f["channel"])
    if f.get("urgency"):
        qs = qs.filter(urgency=f["urgency"])
    if f.get("created_from"):
        qs = qs.filter(created_at__gte=_day_start(f["created_from"]))
    if f.get("created_to"):
        qs = qs.filter(created_at__lt=_day_start(f["created_to"]) + timedelta(days=1))
    # Exact at this moment, as the dashboard counts them (the sweep's flags may lag by one run).
    if f.get("overdue"):
        qs = qs.filter(overdue_q(clock.now()))
    if f.get("due_soon"):
        qs = qs.filter(due_soon_q(clock.now()))
    if f.get("text"):
        text = str(f["text"]).strip()
        qs = qs.filter(
            Q(number=text) | Q(title__icontains=text) | Q(content__icontains=text) | Q(address__icontains=text)
        )
    return qs.order_by("-created_at", "-id")


def _primary_unit_q(code: str, *, only: bool = False) -> Q:
    """Orders whose primary (responsible) unit is this unit or one below it (`only`: this unit itself), as the
    statistics count a unit; "none": orders with no primary unit (not dispatched)."""
    if code == PRIMARY_UNIT_NONE:
        return Q(primary_unit__isnull=True)
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        return Q(pk__in=[])
    return Q(primary_unit_id=unit.pk) if only else Q(primary_unit_id__in=sorted(unit.descendant_ids()))


def _day_start(value: date | datetime | str) -> datetime:
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def workorder_get(*, user: Any, number: str) -> WorkOrder | None:
    return (
        WorkOrder.objects.filter(workorder_visibility_q(user), number=number)
        .select_related(*LIST_RELATED, "master", "citizen_user", "created_by")
        .first()
    )


def workorder_timeline(*, order: WorkOrder, public_only: bool = False) -> QuerySet[CaseEvent]:
    qs = CaseEvent.objects.filter(case=order).select_related("actor", "actor_unit").order_by("occurred_at", "id")
    return qs.filter(is_public=True) if public_only else qs


def workorder_category_proposals(case_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For each order whose category the system proposed at registration (`category_proposed` in the register
    event's data: a citizen's own submission), that data; one query, for the dispatch queue's page."""
    if not case_ids:
        return {}
    events = CaseEvent.objects.filter(case_id__in=case_ids, action="register").values_list("case_id", "data")
    return {case_id: data for case_id, data in events if isinstance(data, dict) and data.get("category_proposed")}


def workorder_by_phone(*, user: Any, phone: str, limit: int = 20) -> QuerySet[WorkOrder]:
    """The caller's earlier orders, for the operator console: an equality on the phone's indexed blind index (the
    phone itself is encrypted), so "138 0013 8000", "+86 13800138000" and "13800138000" find the same orders."""
    normalized = normalize_phone_for_index(phone)
    if len(normalized) < 7:
        return WorkOrder.objects.none()
    return workorder_list(user=user).filter(citizen_phone_index=blind_index("phone", normalized))[:limit]


def workorder_dispatch_queue(*, user: Any) -> QuerySet[WorkOrder]:
    """Waiting for the dispatcher: new orders and returns to review, urgent first, oldest first."""
    return workorder_list(user=user).filter(status__in=[Status.NEW, Status.RETURNED]).order_by("-urgency", "created_at")


def workorder_unit_inbox(*, user: Any) -> QuerySet[WorkOrder]:
    """The unit's open orders: to sign, being handled, replied."""
    units = actor_unit_ids(user)
    return (
        workorder_list(user=user)
        .filter(assigned_to_units(units))
        .filter(status__in=[Status.DISPATCHED, Status.HANDLING, Status.REPLIED])
        .order_by("due_at")
    )


def workorder_visit_queue(*, user: Any) -> QuerySet[WorkOrder]:
    return workorder_list(user=user).filter(status=Status.REPLIED).order_by("replied_at")


def workorder_public_track(*, number: str, phone_last4: str) -> WorkOrder | None:
    """Citizen tracking: the number and the last four digits of the phone given at intake must both match."""
    if not number or len(phone_last4) != 4 or not phone_last4.isdigit():
        return None
    order = WorkOrder.objects.filter(number=number.strip()).select_related("primary_unit", "request_type").first()
    if order is None or not order.citizen_phone or order.citizen_phone[-4:] != phone_last4:
        return None
    return order
