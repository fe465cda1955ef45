"""Reads for the Open311 server: public services, public requests, tokens and API keys.

What the public may read: services are the active, public leaf categories. Requests are the work orders filed under a
public category, from every channel, except those of confidential reporters (保密). Nothing else is listed, and no
personal data is ever read out (see mappers.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from govdesk.cases.models import CaseEvent
from govdesk.catalog.models import Category, CategoryAttribute
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status

from .models import ApiKey, Submission

# Open311 has two statuses; a merged duplicate is done with as far as the citizen's app is concerned.
OPEN311_OPEN = frozenset({Status.NEW, Status.DISPATCHED, Status.HANDLING, Status.RETURNED, Status.REPLIED})
OPEN311_CLOSED = frozenset({Status.CLOSED, Status.CANCELLED, Status.MERGED})
MAX_RESULTS = 1000


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key whose SHA-256 matches `raw`, or None."""
    if not raw:
        return None
    return ApiKey.objects.filter(key_hash=key_hash(raw), is_active=True).first()


def api_key_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("owner_unit", "owner_user").order_by("name")


# --- services -----------------------------------------------------------------------------------------------------


def _services() -> QuerySet[Category]:
    return (
        Category.objects.filter(public=True, is_active=True)
        .filter(~Exists(Category.objects.filter(parent=OuterRef("pk"))))
        .annotate(has_attributes=Exists(CategoryAttribute.objects.filter(category=OuterRef("pk"), is_active=True)))
    )


def service_list() -> list[Category]:
    """Every public service, in the catalogue's order."""
    return list(_services().order_by("sort_order", "path"))


def service_get(service_code: str) -> Category | None:
    """The public service with this code (the category's id), or None."""
    if not service_code.isascii() or not service_code.isdigit() or len(service_code) > 18:
        return None
    return _services().filter(pk=int(service_code)).first()


def service_attributes(category: Category) -> list[CategoryAttribute]:
    return list(CategoryAttribute.objects.filter(category=category, is_active=True).order_by("order", "code"))


def service_is_batch(category: Category) -> bool:
    """Batch services answer a POST with a token; the order is registered in the background.

    `GOVDESK["OPEN311_BATCH_SERVICES"]`: category paths (each covers its subtree), or "*" for every service.
    """
    configured: Any = settings.GOVDESK.get("OPEN311_BATCH_SERVICES", ()) or ()
    if "*" in configured:
        return True
    return any(path in configured for path in category.ancestor_paths())


# --- requests -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """GET requests, checked. `ids` overrides everything else (the spec)."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[int, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = frozenset()
    offset: int = 0
    limit: int = MAX_RESULTS
    extensions: bool = False


def _public_orders(*, extensions: bool) -> QuerySet[WorkOrder]:
    latest_note = (
        CaseEvent.objects.filter(case_id=OuterRef("pk"), is_public=True)
        .exclude(note="")
        .order_by("-occurred_at", "-id")
        .values("note")[:1]
    )
    qs = (
        WorkOrder.objects.filter(category__public=True, confidential=False)
        .select_related("category", "primary_unit", "master", "open311_submission")
        .annotate(latest_public_note=Subquery(latest_note))
    )
    if extensions:
        public_events = CaseEvent.objects.filter(is_public=True).order_by("occurred_at", "id")
        qs = qs.prefetch_related(Prefetch("events", queryset=public_events, to_attr="public_events"))
    return qs


def request_list(query: RequestQuery) -> list[WorkOrder]:
    """Public requests, newest first: by number when `ids` is given, else by service, period and status."""
    qs = _public_orders(extensions=query.extensions)
    if query.ids:
        qs = qs.filter(number__in=query.ids)
    else:
        if query.service_codes:
            qs = qs.filter(category_id__in=query.service_codes)
        if query.start is not None:
            qs = qs.filter(created_at__gte=query.start)
        if query.end is not None:
            qs = qs.filter(created_at__lte=query.end)
        if query.statuses:
            wanted: set[str] = set()
            if "open" in query.statuses:
                wanted |= OPEN311_OPEN
            if "closed" in query.statuses:
                wanted |= OPEN311_CLOSED
            qs = qs.filter(status__in=sorted(wanted))
    qs = qs.order_by("-created_at", "-id")
    return list(qs[query.offset : query.offset + query.limit])


def request_get(service_request_id: str, *, extensions: bool = False) -> WorkOrder | None:
    if len(service_request_id) > 32:
        return None
    return _public_orders(extensions=extensions).filter(number=service_request_id).first()


def submission_by_token(token: str) -> Submission | None:
    if not token or len(token) > 64:
        return None
    return Submission.objects.select_related("order").filter(token=token).first()


def request_is_public(order: WorkOrder) -> bool:
    return bool(order.category.public and not order.confidential)
