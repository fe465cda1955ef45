"""Fragments other apps' pages include: the case's 督办 panel (the work order's and the application's detail page), the
unit's open 督办 (inbox) and the registered kinds' overdue cases (the overdue and due-soon page); and the filters
supervision's own pages use to show every kind of case."""

from __future__ import annotations

from typing import Any

from django import template

from govdesk.applications.models import StatusChoices as ApplicationStatusChoices
from govdesk.cases.models import CaseKind
from govdesk.cases.services import case_kind_supervision_for
from govdesk.common import clock
from govdesk.workorders.models import StatusChoices as WorkOrderStatusChoices
from govdesk.workorders.states import Action, transition_for

from .. import selectors
from ..forms import OpenCaseForm, UrgeForm
from ..permissions import supervision_is_supervisor
from ..services import APPLICATION_SUPERVISE_STATUSES, APPLICATION_URGE_STATUSES
from ..states import CaseStatus
from ..views import case_detail_url, case_forms

register = template.Library()


@register.filter
def answer_overdue(sc: Any) -> bool:
    return bool(sc.status == CaseStatus.OPEN and sc.answer_due_at < clock.now())


@register.filter
def case_url(case: Any) -> str:
    """The detail page of a work order, an application or a registered kind's case ("" if its kind has none)."""
    return case_detail_url(case)


@register.filter
def case_kind_label(case: Any) -> str:
    return selectors.case_kind_text(case.kind)


@register.filter
def case_status_label(case: Any) -> str:
    """The status in the words of the case's own kind (an application's 办理中 is not a work order's)."""
    registered = case_kind_supervision_for(case.kind)
    if registered is not None:
        return registered.status_text(case.status)
    labels = ApplicationStatusChoices if case.kind == CaseKind.APPLICATION else WorkOrderStatusChoices
    return str(dict(labels.choices).get(case.status, case.status))


def _may_supervise(case: Any) -> bool:
    if case.kind == CaseKind.APPLICATION:
        return case.status in APPLICATION_SUPERVISE_STATUSES
    return transition_for(case.status, Action.SUPERVISE) is not None


@register.inclusion_tag("supervision/_order_panel.html", takes_context=True)
def supervision_panel(context: template.Context, order: Any) -> dict[str, Any]:
    """The case's 督办 with the forms the viewer may use (the unit's answer form among them). `order` is a work order
    or an application; an application's panel also lists its urges and, for supervisors, the urge form (a work
    order's urges are its own actions and count)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    cases = selectors.supervision_cases_for_order(user=user, order=order) if user is not None else []
    rows = [{"case": sc, "forms": case_forms(user, sc)} for sc in cases]
    is_supervisor = supervision_is_supervisor(user)
    can_open = is_supervisor and _may_supervise(order) and not any(sc.status != CaseStatus.CLOSED for sc in cases)
    is_application = order.kind == CaseKind.APPLICATION
    can_urge = is_application and is_supervisor and order.status in APPLICATION_URGE_STATUSES
    return {
        "order": order,
        "rows": rows,
        "open_form": OpenCaseForm(initial={"order": order.number}, auto_id="id_panel_open_%s") if can_open else None,
        "urges": selectors.supervision_case_urges(case=order) if is_application else [],
        "urge_form": UrgeForm(initial={"case": order.number}, auto_id="id_panel_urge_%s") if can_urge else None,
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


@register.inclusion_tag("supervision/_registered_due_panel.html", takes_context=True)
def supervision_registered_due_panel(context: template.Context) -> dict[str, Any]:
    """The overdue and due-soon cases of the registered kinds (units' reports, knowledge revisions), for supervisors,
    on the work orders' overdue page: supervision renders them, the work orders' view knows nothing of them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "cases": selectors.supervision_registered_due(user=user) if user is not None else [],
        "csrf_token": context.get("csrf_token"),
        "here": request.get_full_path() if request is not None else "",
    }
