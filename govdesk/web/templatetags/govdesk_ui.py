"""Template filters for the work-order pages: labels that follow the interface language, deadline highlighting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from govdesk.cases.labels import CASE_EVENT_LABELS
from govdesk.common import clock
from govdesk.common.masking import mask_personal_data_in_text
from govdesk.workorders.forms import type_label
from govdesk.workorders.models import StatusChoices

register = template.Library()

ACTION_LABELS: dict[str, Any] = {
    **CASE_EVENT_LABELS,
    "register": _("Registered"),
    "dispatch": _("Dispatched"),
    "sign": _("Signed for"),
    "return": _("Returned"),
    "review-return": _("Return reviewed"),
    "request-extension": _("Extension requested"),
    "review-extension": _("Extension reviewed"),
    "reply": _("Replied"),
    "visit": _("Return visit"),
    "reopen": _("Reopened"),
    "merge": _("Merged into another order"),
    "merge-child": _("A duplicate was merged in"),
    "answer": _("Answered directly"),
    "cancel": _("Cancelled"),
    "close-with-master": _("Closed with its master order"),
}

STATUS_LABELS = dict(StatusChoices.choices)


@register.filter
def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@register.filter
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@register.filter
def request_type_label(request_type: Any) -> str:
    return type_label(request_type) if request_type is not None else ""


@register.filter
def deadline_state(order: Any) -> str:
    """'overdue', 'due-soon' or '' for an open order, from its deadline (the sweep's flags may lag a few minutes)."""
    if not getattr(order, "is_open", False):
        return ""
    due = getattr(order, "due_at", None)
    now = clock.now()
    if getattr(order, "is_overdue", False) or (due is not None and due < now):
        return "overdue"
    if getattr(order, "is_due_soon", False) or (due is not None and due - now < timedelta(days=1)):
        return "due-soon"
    return ""


@register.filter
def sign_overdue(order: Any) -> bool:
    due = getattr(order, "sign_due_at", None)
    return bool(
        getattr(order, "status", "") == "dispatched"
        and (getattr(order, "is_sign_overdue", False) or (due is not None and due < clock.now()))
    )


@register.filter
def public_text(text: str, order: Any = None) -> str:
    """Text shown on a public page: phone and ID numbers, e-mail addresses and the citizen's name masked."""
    name = getattr(order, "citizen_name", "") or ""
    return mask_personal_data_in_text(str(text or ""), names=(name,))
