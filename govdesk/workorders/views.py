"""Server-rendered work-order pages. Each view parses a form, calls one service or selector, and renders.

Service errors become a message on the page with the service's status code (400 / 403 / 404 / 409), never a 500.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govdesk.cases.attachments import CheckedFile, attachments_check
from govdesk.cases.models import Attachment, ExtensionRequest, ExtensionStatus
from govdesk.catalog.selectors import dispatch_unit_suggest
from govdesk.common import clock
from govdesk.common.errors import ApplicationError, PermissionDenied, ValidationFailed
from govdesk.common.masking import mask_id_number, mask_name, mask_phone
from govdesk.common.pages import application_error_page, client_ip, error_page, staff_page
from govdesk.org.models import Role

from . import selectors, services
from .forms import (
    ACTION_FORMS,
    ActionForm,
    DispatchForm,
    IntakeForm,
    OrderFilterForm,
    ReviewReturnForm,
    category_paths,
    unit_choices,
)
from .models import Channel, WorkOrder, WorkOrderReturn
from .permissions import (
    actor_unit_ids,
    workorder_can_reveal,
    workorder_can_view,
    workorder_check_role,
    workorder_check_transition_actor,
    workorder_refusal_is_not_found,
)
from .states import TRANSITIONS, Action, Status, actions_from

CENTRE = (Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR)
UNIT = (Role.HANDLER, Role.UNIT_ADMIN)
INTAKE_ROLES = (Role.OPERATOR, Role.DISPATCHER)
# Leaders see the list read-only (the statistics' drill-downs); see permissions.READ_ALL_ROLE_CODES.
LIST_ROLES = (*CENTRE, *UNIT, Role.CITIZEN, Role.LEADER)
QUEUE_PAGE_SIZE = 30
LIST_PAGE_SIZE = 25


# --- helpers ------------------------------------------------------------------------------------------------------


def _files(request: HttpRequest, field: str = "attachments") -> list[CheckedFile]:
    """Uploaded files checked by content; ValidationFailed names the bad one. Oversized files are not read whole."""
    limit = cast("int", settings.GOVDESK["ATTACHMENT_MAX_BYTES"])
    uploads = request.FILES.getlist(field)
    return attachments_check([(f.name or "file", f.read(limit + 1)) for f in uploads])


def _add_errors(form: Any, error: ValidationFailed) -> None:
    for field, field_messages in (error.fields or {"": [error.message]}).items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _find_order(request: HttpRequest, number: str) -> WorkOrder | HttpResponse:
    """The order if this user may see it; 404 if there is none, 403 if it exists but is not theirs (a citizen gets
    the same 404: workorder_refusal_is_not_found)."""
    order = selectors.workorder_get(user=request.user, number=number)
    if order is not None:
        return order
    if not workorder_refusal_is_not_found(request.user) and WorkOrder.objects.filter(number=number).exists():
        return error_page(request, _("You may not see this work order."), 403)
    return error_page(request, _("No work order with number %(n)s.") % {"n": number}, 404)


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


def _form_ids(order: WorkOrder, action: Action) -> str:
    """Distinct element ids when a page holds the same form for many orders."""
    return f"id_{order.number}_{action.value.replace('-', '_')}_%s"


def _dispatch_initial(order: WorkOrder, suggested: Any) -> dict[str, str]:
    """The dispatch form prefilled: the catalogue's unit, and the order's category for the dispatcher to confirm."""
    initial = {"category": order.category.path} if order.category_id else {}
    if suggested is not None:
        initial["unit"] = suggested.code
    return initial


def actions_available(user: Any, order: WorkOrder) -> list[Action]:
    """The actions this user may take on this order now: the table, the role and scope, and the cheap guards.

    This only decides which forms to show; the service checks everything again when the form is sent.
    """
    available: list[Action] = []
    now = clock.now()
    for action in actions_from(order.status):
        if action not in services.ACTION_SERVICES:
            continue
        row = TRANSITIONS[(Status(order.status), action)]
        try:
            workorder_check_transition_actor(user, order, row)
        except PermissionDenied:
            continue
        if action is Action.ANSWER and not order.request_type.allows_direct_answer:
            continue
        if action is Action.RETURN and order.sign_due_at is not None and now > order.sign_due_at:
            continue
        pending_extension = ExtensionRequest.objects.filter(case=order, status=ExtensionStatus.PENDING).exists()
        if action is Action.REVIEW_EXTENSION and not pending_extension:
            continue
        if action is Action.REQUEST_EXTENSION and (pending_extension or (order.due_at and now >= order.due_at)):
            continue
        if action is Action.REOPEN and order.master_id is not None:
            continue
        available.append(action)
    return available


def _personal(user: Any, order: WorkOrder, revealed: dict[str, str]) -> dict[str, Any]:
    """Personal data as this viewer may see it: masked unless just revealed (audited) by the reveal view."""
    sees_identity = user.has_role(Role.OPERATOR, Role.DISPATCHER) or not order.confidential
    return {
        "name": order.citizen_name if sees_identity else mask_name(order.citizen_name),
        "phone": revealed.get("citizen_phone") or mask_phone(order.citizen_phone),
        "phone_revealed": "citizen_phone" in revealed,
        "id_number": revealed.get("citizen_id_number") or mask_id_number(order.citizen_id_number),
        "id_revealed": "citizen_id_number" in revealed,
        "can_reveal_phone": bool(order.citizen_phone) and workorder_can_reveal(user, order, "citizen_phone"),
        "can_reveal_id": bool(order.citizen_id_number) and workorder_can_reveal(user, order, "citizen_id_number"),
    }


def _detail(
    request: HttpRequest,
    order: WorkOrder,
    *,
    bound: ActionForm | None = None,
    error: str = "",
    revealed: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    units = unit_choices()
    forms: list[ActionForm] = []
    for action in actions_available(user, order):
        if bound is not None and bound.action is action:
            forms.append(bound)
            continue
        form_class = ACTION_FORMS[action]
        kwargs: dict[str, Any] = {"auto_id": _form_ids(order, action)}
        if action in (Action.DISPATCH, Action.REVIEW_RETURN):
            kwargs["units"] = units
            suggested = dispatch_unit_suggest(category=order.category, address=order.address)
            if action is Action.DISPATCH:
                kwargs["initial"] = _dispatch_initial(order, suggested)
        forms.append(form_class(**kwargs))
    if bound is not None and bound not in forms:
        forms.append(bound)
    context = {
        "order": order,
        "personal": _personal(user, order, revealed or {}),
        "timeline": selectors.workorder_timeline(order=order),
        "attachments": Attachment.objects.filter(case_id=order.pk),
        "assignments": order.assignments.select_related("unit").order_by("-is_active", "role", "assigned_at"),
        "returns": WorkOrderReturn.objects.filter(order=order).select_related("unit"),
        "extensions": ExtensionRequest.objects.filter(case_id=order.pk).select_related("unit"),
        "children": order.children.all().only("number", "title", "status"),
        "action_forms": forms,
        "error": error,
        "error_status": status if status >= 400 else None,
        # The dispatch form's category field lists the leaves.
        "category_paths": category_paths() if any(f.action is Action.DISPATCH for f in forms) else [],
    }
    return render(request, "workorders/detail.html", context, status=status)


# --- operator console ---------------------------------------------------------------------------------------------


@staff_page(*INTAKE_ROLES)
@require_http_methods(["GET", "POST"])
def console(request: HttpRequest) -> HttpResponse:
    """受理: register a call from the keyboard; the caller's earlier orders appear beside the form."""
    status = 200
    if request.method == "POST":
        form = IntakeForm(request.POST, request.FILES)
        if form.is_valid():
            files: list[CheckedFile] = []
            try:
                files = _files(request)
            except ValidationFailed as exc:
                _add_errors(form, exc)
                # Report the intake's own problems at the same time.
                try:
                    services.workorder_intake_clean(form.intake_data(channel=Channel.PHONE))
                except ValidationFailed as intake_exc:
                    _add_errors(form, intake_exc)
            if form.is_valid():
                try:
                    order = services.workorder_register(
                        actor=request.user,
                        data=form.intake_data(channel=Channel.PHONE),
                        files=files,
                        ip_address=client_ip(request),
                    )
                except ValidationFailed as exc:
                    _add_errors(form, exc)
                except ApplicationError as exc:
                    return application_error_page(request, exc)
                else:
                    # Post/redirect/get: a reload cannot register the call twice, and the form is empty again.
                    return HttpResponseRedirect(f"{reverse('workorders:console')}?registered={order.number}")
        status = 400
    else:
        form = IntakeForm()
    registered = None
    answer_form = None
    number = request.GET.get("registered", "")
    if number and request.method == "GET":
        registered = selectors.workorder_get(user=request.user, number=number)
        if registered is not None and Action.ANSWER in actions_available(request.user, registered):
            answer_form = ACTION_FORMS[Action.ANSWER](auto_id=_form_ids(registered, Action.ANSWER))
    context = {
        "form": form,
        "category_paths": category_paths(),
        "registered": registered,
        "answer_form": answer_form,
    }
    return render(request, "workorders/console.html", context, status=status)


@staff_page(*INTAKE_ROLES)
@require_POST
def console_history(request: HttpRequest) -> HttpResponse:
    """The caller's earlier orders, as an HTML fragment the console fetches when the phone is typed. POST, so the
    number stays out of the URL and therefore out of every access log."""
    phone = request.POST.get("phone", "")[:30]
    orders = list(selectors.workorder_by_phone(user=request.user, phone=phone))
    return render(request, "workorders/_history.html", {"orders": orders, "phone": phone})


# --- queues -------------------------------------------------------------------------------------------------------


def _page(request: HttpRequest, items: Any, size: int) -> Any:
    return Paginator(items, size).get_page(request.GET.get("page"))


@staff_page(Role.DISPATCHER)
@require_GET
def dispatch_queue(request: HttpRequest) -> HttpResponse:
    """派单: new orders and returns to review, urgent first, each with the catalogue's suggested unit."""
    page = _page(request, selectors.workorder_dispatch_queue(user=request.user), QUEUE_PAGE_SIZE)
    units = unit_choices()
    proposals = selectors.workorder_category_proposals([o.pk for o in page.object_list if o.status == Status.NEW])
    rows = []
    for order in page.object_list:
        suggested = dispatch_unit_suggest(category=order.category, address=order.address)
        row: dict[str, Any] = {"order": order, "suggested": suggested}
        if order.status == Status.NEW:
            # The system filed it (a citizen's own submission): the category is a proposal for the dispatcher.
            row["category_proposal"] = proposals.get(order.pk)
            initial = _dispatch_initial(order, suggested)
            row["form"] = DispatchForm(initial=initial, units=units, auto_id=_form_ids(order, Action.DISPATCH))
        else:
            row["pending_return"] = order.returns.filter(status="pending").select_related("unit").last()
            row["form"] = ReviewReturnForm(units=units, auto_id=_form_ids(order, Action.REVIEW_RETURN))
        rows.append(row)
    context = {"page": page, "rows": rows, "category_paths": category_paths() if rows else []}
    return render(request, "workorders/dispatch_queue.html", context)


@staff_page(*UNIT)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The unit's orders: to sign, being handled, replied; deadlines highlighted."""
    page = _page(request, selectors.workorder_unit_inbox(user=request.user), QUEUE_PAGE_SIZE)
    own_units = actor_unit_ids(request.user)
    rows = []
    for order in page.object_list:
        is_primary = order.primary_unit_id in own_units
        rows.append({"order": order, "is_primary": is_primary})
    counts = {
        "to_sign": sum(1 for r in rows if r["order"].status == Status.DISPATCHED),
        "handling": sum(1 for r in rows if r["order"].status == Status.HANDLING),
        "replied": sum(1 for r in rows if r["order"].status == Status.REPLIED),
    }
    return render(request, "workorders/inbox.html", {"page": page, "rows": rows, "counts": counts})


@staff_page(Role.SUPERVISOR, Role.DISPATCHER)
@require_GET
def supervision(request: HttpRequest) -> HttpResponse:
    """督办: overdue and due-soon open orders, pending extension requests; urge and supervise."""
    user: Any = request.user
    now = clock.now()
    watched = (
        selectors.workorder_list(user=user).filter(is_open=True).exclude(status__in=[Status.MERGED, Status.REPLIED])
    )
    overdue = list(watched.filter(Q(is_overdue=True) | Q(due_at__lt=now)).order_by("due_at")[:100])
    overdue_ids = {o.pk for o in overdue}
    due_soon = [o for o in watched.filter(is_due_soon=True).order_by("due_at")[:100] if o.pk not in overdue_ids]
    visible = selectors.workorder_list(user=user).values("pk")
    extensions = list(
        ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING, case_id__in=visible)
        .select_related("case", "unit", "requested_by")
        .order_by("requested_at")
    )
    context = {
        "overdue": overdue,
        "due_soon": due_soon,
        "extensions": extensions,
        "can_supervise": user.has_role(Role.SUPERVISOR),
        "urge_statuses": [Status.DISPATCHED, Status.HANDLING, Status.RETURNED],
    }
    return render(request, "workorders/supervision.html", context)


@staff_page(*INTAKE_ROLES)
@require_GET
def visits(request: HttpRequest) -> HttpResponse:
    """回访: replied orders waiting for the call back."""
    page = _page(request, selectors.workorder_visit_queue(user=request.user), QUEUE_PAGE_SIZE)
    rows = [
        {"order": order, "form": ACTION_FORMS[Action.VISIT](auto_id=_form_ids(order, Action.VISIT))}
        for order in page.object_list
    ]
    return render(request, "workorders/visits.html", {"page": page, "rows": rows})


# --- list and detail ----------------------------------------------------------------------------------------------


@staff_page(*LIST_ROLES)
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    orders = selectors.workorder_list(user=request.user, filters=filters)
    # A filter that cannot be applied (a date out of range, an unknown status) shows its error and no orders: the
    # whole list under a filter the person believes applied would mislead.
    invalid = form.is_bound and not form.is_valid()
    page = _page(request, orders.none() if invalid else orders, LIST_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "category_paths": category_paths(),
        "unmask_export_max_rows": settings.GOVDESK["UNMASK_EXPORT_MAX_ROWS"],
    }
    return render(request, "workorders/list.html", context, status=400 if invalid else 200)


@staff_page()
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    found = _find_order(request, number)
    if isinstance(found, HttpResponse):
        return found
    return _detail(request, found)


@staff_page()
@require_POST
def order_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One lifecycle action: parse its form, call exactly the service ACTION_SERVICES names, show the outcome."""
    try:
        act = Action(action)
    except ValueError:
        raise Http404 from None
    if act not in services.ACTION_SERVICES:
        raise Http404
    found = _find_order(request, number)
    if isinstance(found, HttpResponse):
        return found
    order = found
    try:
        # A role that may never take this action (a leader reading the order) is refused before its form is read.
        workorder_check_role(request.user, act)
    except PermissionDenied as exc:
        return _detail(request, order, error=str(exc.message), status=exc.status_code)
    form = ACTION_FORMS[act](request.POST, request.FILES, auto_id=_form_ids(order, act))
    if not form.is_valid():
        return _detail(request, order, bound=form, error=_("Please correct the errors below."), status=400)
    kwargs = form.service_kwargs()
    try:
        if act is Action.REPLY:
            kwargs["files"] = _files(request)
        services.ACTION_SERVICES[act](order=order.number, actor=request.user, **kwargs)
    except ValidationFailed as exc:
        _add_errors(form, exc)
        return _detail(request, order, bound=form, error=str(exc.message), status=exc.status_code)
    except ApplicationError as exc:
        fresh = selectors.workorder_get(user=request.user, number=number)
        if fresh is None:
            return application_error_page(request, exc)
        return _detail(request, fresh, error=str(exc.message), status=exc.status_code)
    messages.success(request, _("%(action)s: done for order %(n)s.") % {"action": form.label, "n": order.number})
    return redirect(_next_url(request, reverse("workorders:detail", args=[order.number])))


@staff_page()
@require_POST
def order_reveal(request: HttpRequest, number: str) -> HttpResponse:
    """显示完整号码: one personal field unmasked for this page view only; the service audits every attempt."""
    found = _find_order(request, number)
    if isinstance(found, HttpResponse):
        return found
    field = request.POST.get("field", "")
    try:
        value = services.workorder_pii_reveal(
            order=found, actor=request.user, field=field, ip_address=client_ip(request)
        )
    except ApplicationError as exc:
        return _detail(request, found, error=str(exc.message), status=exc.status_code)
    return _detail(request, found, revealed={field: value})


@staff_page()
@require_GET
def attachment_download(request: HttpRequest, number: str, pk: int) -> HttpResponseBase:
    found = _find_order(request, number)
    if isinstance(found, HttpResponse):
        return found
    attachment = Attachment.objects.filter(case_id=found.pk, pk=pk).first()
    if attachment is None or not workorder_can_view(request.user, found):
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
