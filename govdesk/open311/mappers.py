"""Mappers between GovDesk's domain and GeoReport v2 documents. No personal data leaves through here.

- service_code is the category's id (a string of digits): stable for the life of the deployment, URL-safe, and the
  category's name may change without breaking clients. `group` is the level-1 category's name.
- service_request_id is the work order's number; status is `open` or `closed` (closed = closed, cancelled or merged);
  status_notes is the reply (or the direct answer) once closed, else the latest public timeline note;
  agency_responsible is the primary unit's name; expected_datetime the completion deadline.
- Free text (description, notes) has mobile and ID numbers, e-mail addresses and the reporter's own name masked:
  citizens often write them into the text itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govdesk.catalog.models import AttributeDatatype, Category, CategoryAttribute
from govdesk.common.masking import mask_personal_data_in_text
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status

from .formats import Items
from .selectors import OPEN311_OPEN

LIST_DATATYPES = {AttributeDatatype.SINGLEVALUELIST, AttributeDatatype.MULTIVALUELIST}

# Timeline actions as a citizen's app shows them.
NOTE_SUMMARIES = {
    "register": gettext_noop("Request received"),
    "dispatch": gettext_noop("Sent to the responsible unit"),
    "sign": gettext_noop("Accepted by the responsible unit"),
    "review-return": gettext_noop("Reassigned"),
    "reply": gettext_noop("Replied"),
    "visit": gettext_noop("Return visit"),
    "answer": gettext_noop("Answered"),
    "merge": gettext_noop("Merged as a duplicate"),
    "close-with-master": gettext_noop("Closed with the master request"),
    "reopen": gettext_noop("Reopened"),
    "cancel": gettext_noop("Cancelled"),
}


def w3_datetime(value: datetime | None) -> str | None:
    """ISO 8601 with the time zone, in the deployment's zone: `2026-11-05T10:00:00+08:00`."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def scrub(text: str, *, name: str = "") -> str:
    """Free text without the personal data people type into it (the one scrubber of every public output)."""
    return mask_personal_data_in_text(text, names=(name,))


def _or_none(value: str) -> str | None:
    return value or None


def service_group(category: Category) -> str:
    return category.path.split("/")[0]


def service_to_dict(category: Category, *, batch: bool) -> dict[str, Any]:
    return {
        "service_code": str(category.pk),
        "service_name": category.name,
        "description": category.description or category.path.replace("/", " / "),
        "metadata": bool(getattr(category, "has_attributes", False)),
        "type": "batch" if batch else "realtime",
        "keywords": category.keywords,
        "group": service_group(category),
    }


def attribute_to_dict(attribute: CategoryAttribute, position: int) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "variable": attribute.variable,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": _or_none(attribute.datatype_description),
        # 1, 2, 3…: the spec wants unique positive positions; the catalogue's `order` only sorts.
        "order": position,
        "description": attribute.description,
    }
    if attribute.datatype in LIST_DATATYPES:
        doc["values"] = Items(
            "value",
            [{"key": str(v.get("key", "")), "name": str(v.get("name", ""))} for v in attribute.values or []],
        )
    return doc


def service_definition(category: Category, attributes: list[CategoryAttribute]) -> dict[str, Any]:
    return {
        "service_code": str(category.pk),
        "attributes": Items("attribute", [attribute_to_dict(a, i) for i, a in enumerate(attributes, start=1)]),
    }


def open311_status(order: WorkOrder) -> str:
    return "open" if order.status in OPEN311_OPEN else "closed"


def status_notes(order: WorkOrder) -> str:
    if order.status == Status.CLOSED and (order.reply or order.answer):
        text = order.reply or order.answer
    else:
        text = getattr(order, "latest_public_note", None) or ""
    return scrub(text, name=order.citizen_name)


def service_notice(order: WorkOrder) -> str:
    if order.status in OPEN311_OPEN and order.due_at is not None:
        return _("Expected to be completed by %(due)s.") % {
            "due": timezone.localtime(order.due_at).strftime("%Y-%m-%d %H:%M")
        }
    return ""


def _submission_media_url(order: WorkOrder) -> str:
    try:
        submission = order.open311_submission
    except WorkOrder.open311_submission.RelatedObjectDoesNotExist:
        return ""
    return str(submission.media_url or "")


def request_to_dict(order: WorkOrder, *, extensions: bool = False) -> dict[str, Any]:
    closed = order.status not in OPEN311_OPEN
    doc: dict[str, Any] = {
        "service_request_id": order.number,
        "status": open311_status(order),
        "status_notes": _or_none(status_notes(order)),
        "service_name": order.category.name,
        "service_code": str(order.category_id),
        "description": _or_none(scrub(order.content, name=order.citizen_name)),
        "agency_responsible": order.primary_unit.name if order.primary_unit_id and order.primary_unit else None,
        "service_notice": _or_none(service_notice(order)),
        "requested_datetime": w3_datetime(order.created_at),
        "updated_datetime": w3_datetime(order.closed_at if closed and order.closed_at else order.updated_at),
        "expected_datetime": w3_datetime(order.due_at),
        "address": _or_none(scrub(order.address, name=order.citizen_name)),
        "address_id": _or_none(order.address_id),
        "zipcode": None,
        "lat": float(order.latitude) if order.latitude is not None else None,
        "long": float(order.longitude) if order.longitude is not None else None,
        "media_url": _or_none(_submission_media_url(order)),
    }
    if extensions:
        master = order.master if order.master_id else None
        doc["extended_attributes"] = {
            "channel": order.channel,
            "duplicate": order.status == Status.MERGED or master is not None,
            "parent_service_request_id": master.number if master is not None else None,
        }
        events = getattr(order, "public_events", None)
        if events is None:
            events = list(order.events.filter(is_public=True).order_by("occurred_at", "id"))
        doc["notes"] = Items("note", [_note(order, e) for e in events])
    return doc


def _note(order: WorkOrder, event: Any) -> dict[str, Any]:
    summary = NOTE_SUMMARIES.get(event.action)
    return {
        "datetime": w3_datetime(event.occurred_at),
        "summary": _(summary) if summary else event.action,
        "description": _or_none(scrub(event.note, name=order.citizen_name)),
        "type": event.action,
    }
