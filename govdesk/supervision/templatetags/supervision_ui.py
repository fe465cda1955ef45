"""Fragments other apps' pages include: the order's 督办 panel (order detail) and the unit's open 督办 (inbox)."""

from __future__ import annotations

from typing import Any

from django import template

from govdesk.common import clock
from govdesk.workorders.states import Action, transition_for

from .. import selectors
from ..forms import OpenCaseForm
from ..permissions import supervision_is_supervisor
from ..states import CaseStatus
from ..views import case_forms

register = template.Library()


@register.filter
def answer_overdue(sc: Any) -> bool:
    return bool(sc.status == CaseStatus.OPEN and sc.answer_due_at < clock.now())


@register.inclusion_tag("supervision/_order_panel.html", takes_context=True)
def supervision_panel(context: template.Context, order: Any) -> dict[str, Any]:
    """The order's 督办 with the forms the viewer may use (the unit's answer form among them)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    cases = selectors.supervision_cases_for_order(user=user, order=order) if user is not None else []
    rows = [{"case": sc, "forms": case_forms(user, sc)} for sc in cases]
    can_open = (
        supervision_is_supervisor(user)
        and transition_for(order.status, Action.SUPERVISE) is not None
        and not any(sc.status != CaseStatus.CLOSED for sc in cases)
    )
    return {
        "order": order,
        "rows": rows,
        "open_form": OpenCaseForm(initial={"order": order.number}, auto_id="id_panel_open_%s") if can_open else None,
        "csrf_token": context.get("csrf_token"),
        "here": request.get_full_path() if request is not None else "",
    }


@register.inclusion_tag("supervision/_inbox_panel.html", takes_context=True)
def supervision_inbox(context: template.Context) -> dict[str, Any]:
    """The unit's 督办 still to answer, above the unit inbox."""
    request = context.get("request")
    user = getattr(request, "user", None)
    cases = list(selectors.supervision_unit_cases(user=user)[:50]) if user is not None else []
    return {"cases": cases}
