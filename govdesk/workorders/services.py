"""Every write to a work order. One service per action: lock, check the table and guards, write, record, return.

Each public service runs in one transaction that also appends the timeline event and the audit event, so a failure
anywhere leaves nothing half-written. The timeline event is also what the apps above hear (`case_event_record` calls
their listeners in this transaction): smart dispatch writes duplicate signatures on "register" and queues its tasks
after commit on "register", "dispatch" and "reply" (`dispatch/subscribers.py`); workorders never imports them.

Permission failures raise PermissionDenied (403); actions the current status does not allow raise InvalidTransition
(409); bad input raises ValidationFailed (400).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append, audit_batch
from govdesk.calendar.core import deadline_add, deadline_add_working_days
from govdesk.calendar.selectors import calendar_get, calendar_years_without_data
from govdesk.cases.attachments import CheckedFile
from govdesk.cases.models import Attachment, CaseEvent, CaseKind, ExtensionRequest, ExtensionStatus
from govdesk.cases.services import case_attachments_add, case_event_record, case_units_assign
from govdesk.catalog.models import Category, RequestType, Urgency
from govdesk.catalog.selectors import category_find, category_is_leaf, request_type_by_code, time_limit_policy_for
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.common.inputs import FieldErrors, text_field, text_input
from govdesk.common.services import counter_next, counter_take
from govdesk.common.validators import (
    normalize_phone,
    validate_id_number,
    validate_phone,
)
from govdesk.org.models import Role, Unit

from .hooks import action_service_for
from .models import CONTENT_MAX_LENGTH, Channel, Satisfaction, WorkOrder, WorkOrderReturn
from .permissions import (
    workorder_can_reveal,
    workorder_can_view,
    workorder_check_role,
    workorder_check_transition_actor,
    workorder_refusal_is_not_found,
)
from .states import OPEN_STATUSES, Action, Status, Transition, transition_for

NOTE_MAX_LENGTH = 2000


# --- input checks shared by every channel -------------------------------------------------------------------------


def _note(value: Any, field: str = "note", *, required: bool = False) -> str:
    return text_input(value, field, required=required, max_length=NOTE_MAX_LENGTH)


def _coordinate(errors: FieldErrors, field: str, value: Any, bound: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.add(field, _("Must be a number."))
        return None
    if not number.is_finite() or abs(number) > bound:
        errors.add(field, _("Must be between -%(b)d and %(b)d.") % {"b": bound})
        return None
    return number.quantize(Decimal("0.000001"))


@dataclass(frozen=True)
class Intake:
    channel: str
    request_type: RequestType
    category: Category
    urgency: str
    title: str
    content: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    citizen_name: str
    citizen_phone: str
    citizen_id_number: str
    confidential: bool
    # Machine channels (Open311): the address register's id, answers to the category's questions, who submitted.
    address_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def workorder_intake_clean(data: dict[str, Any]) -> Intake:
    """Check an intake from any channel; raise ValidationFailed listing every problem at once."""
    errors = FieldErrors()
    channel = data.get("channel") or Channel.PHONE
    if channel not in Channel.values:
        errors.add("channel", _("Unknown channel."))
    request_type = data.get("request_type")
    if not isinstance(request_type, RequestType):
        request_type = request_type_by_code(str(request_type or ""))
        if request_type is None:
            errors.add("request_type", _("Choose a request type."))
    category = data.get("category")
    if not isinstance(category, Category):
        category = None
        raw = data.get("category")
        if isinstance(raw, int | str) and not isinstance(raw, bool) and raw != "":
            category = category_find(raw)
    if category is None:
        errors.add("category", _("Choose a category from the list."))
    elif not category_is_leaf(category):
        errors.add("category", _("Choose the most specific category (a leaf of the tree)."))
    urgency = data.get("urgency") or Urgency.NORMAL
    if urgency not in Urgency.values:
        errors.add("urgency", _("Urgency must be normal or urgent."))
    title = text_field(errors, "title", data.get("title"), required=True, max_length=200)
    content = text_field(
        errors, "content", data.get("content"), required=True, max_length=CONTENT_MAX_LENGTH, multiline=True
    )
    address = text_field(errors, "address", data.get("address"), required=False, max_length=200)
    latitude = _coordinate(errors, "latitude", data.get("latitude"), 90)
    longitude = _coordinate(errors, "longitude", data.get("longitude"), 180)
    if (
        (latitude is None) != (longitude is None)
        and "latitude" not in errors.fields
        and "longitude" not in errors.fields
    ):
        errors.add("latitude", _("Give both latitude and longitude, or neither."))
    citizen_name = text_field(errors, "citizen_name", data.get("citizen_name"), required=False, max_length=50)
    phone = normalize_phone(
        text_field(errors, "citizen_phone", data.get("citizen_phone"), required=False, max_length=20)
    )
    if phone:
        errors.check("citizen_phone", validate_phone, phone)
    id_number = text_field(
        errors, "citizen_id_number", data.get("citizen_id_number"), required=False, max_length=18
    ).upper()
    if id_number:
        errors.check("citizen_id_number", validate_id_number, id_number)
    confidential = data.get("confidential", False)
    if not isinstance(confidential, bool):
        errors.add("confidential", _("Must be true or false."))
    address_id = text_field(errors, "address_id", data.get("address_id"), required=False, max_length=100)
    source = text_field(errors, "source", data.get("source"), required=False, max_length=100)
    # The answers are checked against the category's questions by the channel that asked them (open311).
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, dict):
        errors.add("attributes", _("Must be a mapping of question codes to answers."))
    errors.raise_if_any()
    assert isinstance(request_type, RequestType) and category is not None
    return Intake(
        channel=channel,
        request_type=request_type,
        category=category,
        urgency=urgency,
        title=title,
        content=content,
        address=address,
        latitude=latitude,
        longitude=longitude,
        citizen_name=citizen_name,
        citizen_phone=phone,
        citizen_id_number=id_number,
        confidential=bool(confidential),
        address_id=address_id,
        attributes=dict(attributes),
        source=source,
    )


# --- deadlines ----------------------------------------------------------------------------------------------------


def _deadlines(order: WorkOrder, start: datetime) -> tuple[datetime, datetime]:
    """Sign-for and completion deadlines from the policy that fits the order, counted from `start`."""
    policy = time_limit_policy_for(request_type=order.request_type, urgency=order.urgency, category=order.category)
    cal = calendar_get()
    sign = deadline_add(start, float(policy.sign_amount), policy.sign_unit, cal)
    finish = deadline_add(start, float(policy.finish_amount), policy.finish_unit, cal)
    calendar_years_without_data(sorted(set(sign.years_without_data + finish.years_without_data)))
    return sign.due_at, finish.due_at


# --- the transition skeleton --------------------------------------------------------------------------------------


def _locked(order: WorkOrder | str) -> WorkOrder:
    number = order if isinstance(order, str) else order.number
    locked = (
        WorkOrder.objects.select_for_update(of=("self", "case_ptr"))
        .select_related("request_type", "category")
        .filter(number=number)
        .first()
    )
    if locked is None:
        raise NotFound(_("No work order with number %(n)s.") % {"n": number})
    return locked


def _begin(order: WorkOrder | str, actor: Any, action: Action) -> tuple[WorkOrder, Transition]:
    """Lock the order and check, in this order: visibility and role (403), status (409), role here and scope (403)."""
    workorder_check_role(actor, action)
    locked = _locked(order)
    if not workorder_can_view(actor, locked):
        raise PermissionDenied(_("You cannot see this work order."))
    row = transition_for(locked.status, action)
    if row is None:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the order is “%(status)s”.")
            % {"action": action.value, "status": locked.get_status_display()}
        )
    workorder_check_transition_actor(actor, locked, row)
    return locked, row


def _guard(ok: bool, message: str) -> None:
    if not ok:
        raise InvalidTransition(message)


def _move(
    order: WorkOrder,
    row: Transition,
    target: Status,
    *,
    actor: Any,
    note: str = "",
    is_public: bool = False,
    data: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
    ip_address: str | None = None,
) -> WorkOrder:
    """Write the new status and the changed fields, then record the event. The table must allow `target`."""
    assert target in row.targets, f"{row.action} from {row.source} cannot lead to {target}"
    from_status = order.status
    order.status = target
    order.is_open = target in OPEN_STATUSES
    order.updated_at = clock.now()
    changed = {"status", "is_open", "updated_at", *fields}
    if not order.is_open:
        # Closed orders carry no deadline flags (lateness is read from closed_at against due_at, not from a flag).
        order.is_due_soon = order.is_sign_overdue = order.is_overdue = False
        changed |= {"is_due_soon", "is_sign_overdue", "is_overdue"}
    order.save(update_fields=sorted(changed))
    case_event_record(
        case=order,
        action=row.action.value,
        actor=actor,
        from_status=from_status,
        to_status=target,
        note=note,
        is_public=is_public,
        data=data,
        ip_address=ip_address,
    )
    return order


# 协办 units of one order: a handful in practice; the cap keeps a request's work (and its audit row) bounded.
CO_UNITS_MAX = 20


def _unit(value: Unit | str | int | None, field: str) -> Unit:
    unit: Unit | None
    if isinstance(value, Unit):
        unit = value
    elif value in (None, ""):
        raise ValidationFailed(_("Choose a unit."), fields={field: [_("Choose a unit.")]})
    else:
        unit = Unit.objects.filter(code=str(value)).first()
    if unit is None or not unit.is_active or not unit.accepts_orders:
        message = _("Unknown unit, or a unit that does not take work orders.")
        raise ValidationFailed(message, fields={field: [message]})
    return unit


def _co_units_count_check(values: Sequence[Unit | str | int], field: str) -> None:
    """Before any lookup: a list longer than CO_UNITS_MAX is refused without a query per unit in it."""
    if len(values) > CO_UNITS_MAX:
        message = _("At most %(n)d co-units (now %(len)d).") % {"n": CO_UNITS_MAX, "len": len(values)}
        raise ValidationFailed(message, fields={field: [message]})


def _units(values: Sequence[Unit | str | int], field: str) -> list[Unit]:
    """The co-units in the order given, duplicates dropped, looked up in one query (their count was checked)."""
    _co_units_count_check(values, field)
    codes = list(dict.fromkeys(str(v) for v in values if not isinstance(v, Unit) and v not in (None, "")))
    by_code = {u.code: u for u in Unit.objects.filter(code__in=codes)} if codes else {}
    units: dict[int, Unit] = {}
    for value in values:
        unit = value if isinstance(value, Unit) else by_code.get(str(value)) if value not in (None, "") else None
        if unit is None or not unit.is_active or not unit.accepts_orders:
            message = _("Unknown unit, or a unit that does not take work orders.")
            raise ValidationFailed(message, fields={field: [message]})
        units.setdefault(unit.pk, unit)
    return list(units.values())


# --- intake -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A new order with what registering it wrote, so a caller can answer without reading it all back."""

    order: WorkOrder
    event: CaseEvent
    attachments: list[Attachment]


def workorder_register(
    *,
    actor: Any,
    data: dict[str, Any],
    files: Sequence[CheckedFile] = (),
    citizen_user: Any = None,
    ip_address: str | None = None,
    category_proposal: Mapping[str, Any] | None = None,
) -> WorkOrder:
    """受理: register a call, a web form or an API request as a new order awaiting dispatch.

    `category_proposal`: the category was chosen by the system, not by a person (the public submit page); what it
    holds (confidence, topic, ...) goes into the register event's data with `category_proposed: true`, and the
    dispatch queue marks the category as a proposal for the dispatcher to decide.
    """
    return workorder_register_recorded(
        actor=actor,
        data=data,
        files=files,
        citizen_user=citizen_user,
        ip_address=ip_address,
        category_proposal=category_proposal,
    ).order


def workorder_register_recorded(
    *,
    actor: Any,
    data: dict[str, Any],
    files: Sequence[CheckedFile] = (),
    citizen_user: Any = None,
    ip_address: str | None = None,
    category_proposal: Mapping[str, Any] | None = None,
) -> Registration:
    """`workorder_register`, also returning the timeline event and the attachments it wrote."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        if not actor.has_role(Role.OPERATOR, Role.DISPATCHER, Role.CITIZEN):
            raise PermissionDenied(_("Your role does not allow registering work orders."))
    intake = workorder_intake_clean(data)
    now = clock.now()
    day = timezone.localtime(now).strftime("%Y%m%d")
    # Taken before the registration's transaction where it can be (`counter_take`): the day's counter is then not
    # held while the order, its timeline, signatures and facts are written. The audit events are chained at the end
    # (`audit_batch`), so the chain's head is held only for its own statements and the commit.
    key = f"workorder:{day}"
    taken = counter_take(key=key)
    with transaction.atomic(), audit_batch():
        number = f"{day}{taken if taken is not None else counter_next(key=key):06d}"
        order = WorkOrder(
            kind=CaseKind.WORKORDER,
            number=number,
            status=Status.NEW,
            is_open=True,
            created_at=now,
            updated_at=now,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            citizen_user=citizen_user,
            **intake.__dict__,
        )
        order.sign_due_at, order.due_at = _deadlines(order, now)
        # Until dispatch there is no unit to sign; the sign-for clock starts at dispatch.
        order.sign_due_at = None
        order.save(force_insert=True)
        attachments = case_attachments_add(case=order, files=files, actor=actor) if files else []
        event = case_event_record(
            case=order,
            action="register",
            actor=actor,
            to_status=Status.NEW,
            is_public=True,
            note=_("Registered via %(channel)s.") % {"channel": order.get_channel_display()},
            data={
                "channel": order.channel,
                "attachments": len(files),
                **({**category_proposal, "category_proposed": True} if category_proposal is not None else {}),
            },
            ip_address=ip_address,
        )
    return Registration(order=order, event=event, attachments=attachments)


# --- centre actions ------------------------------------------------------------------------------------------------


def _leaf(value: Category | str | int, field: str) -> Category:
    """A leaf category by object, id or path; ValidationFailed naming `field` otherwise."""
    category: Category | None = value if isinstance(value, Category) else None
    if category is None and isinstance(value, int | str) and not isinstance(value, bool):
        category = category_find(value)
    if category is None:
        raise ValidationFailed(
            _("Choose a category from the list."), fields={field: [_("Choose a category from the list.")]}
        )
    if not category_is_leaf(category):
        message = _("Choose the most specific category (a leaf of the tree).")
        raise ValidationFailed(message, fields={field: [message]})
    return category


def _category_change(order: WorkOrder, category: Category, actor: Any) -> dict[str, str]:
    """File the order under the dispatcher's category: the completion deadline follows it only when another
    time-limit policy applies (still counted from registration); audited. Returns the event data to record."""
    before = order.category
    policy_before = time_limit_policy_for(request_type=order.request_type, urgency=order.urgency, category=before)
    order.category = category
    policy_after = time_limit_policy_for(request_type=order.request_type, urgency=order.urgency, category=category)
    if policy_after.pk != policy_before.pk:
        _sign, order.due_at = _deadlines(order, order.created_at)
    audit_append(
        action=f"{CaseKind.WORKORDER}.category_change",
        actor=actor,
        object_type=CaseKind.WORKORDER,
        object_id=order.number,
        # The states are the category ids (the column is short); the note has the paths.
        from_state=str(before.pk) if before else "",
        to_state=str(category.pk),
        note=f"{before.path if before else ''} → {category.path}"[:500],
    )
    return {"category_from": before.path if before else "", "category_to": category.path}


@transaction.atomic
def workorder_dispatch(
    *,
    order: WorkOrder | str,
    actor: Any,
    unit: Unit | str,
    co_units: Sequence[Unit | str] = (),
    note: str = "",
    category: Category | str | int | None = None,
) -> WorkOrder:
    """派单: send to a primary unit (主办) and optional co-units (协办); the sign-for clock starts.

    `category` (a leaf: object, id or path; empty = keep) is the dispatcher's decision on the order's category, e.g.
    over the system's proposal for a citizen's own submission; a change is recorded in the dispatch event's data
    (`category_from`, `category_to`) and audited.
    """
    note = _note(note)
    # Sizes, then role and state, then the units: a request that cannot succeed costs no query per unit.
    _co_units_count_check(co_units, "co_units")
    order, row = _begin(order, actor, Action.DISPATCH)
    primary = _unit(unit, "unit")
    co = _units(co_units, "co_units")
    current = order.category
    decided: Category | None = None
    # The order's own category (the form is prefilled with it) is kept as it is, even if retired from the tree since.
    if category is not None and category != "" and not (current is not None and category in (current, current.path)):
        decided = _leaf(category, "category")
    data: dict[str, Any] = {"unit": primary.code, "co_units": [u.code for u in co]}
    fields = ["primary_unit", "sign_due_at", "dispatched_at", "signed_at"]
    if decided is not None and decided.pk != order.category_id:
        data.update(_category_change(order, decided, actor))
        fields += ["category", "due_at"]
    now = clock.now()
    case_units_assign(case=order, primary=primary, co_units=co)
    order.sign_due_at, _finish = _deadlines(order, now)
    order.dispatched_at = now
    order.signed_at = None
    return _move(order, row, Status.DISPATCHED, actor=actor, note=note, is_public=True, data=data, fields=fields)


@transaction.atomic
def workorder_answer(
    *, order: WorkOrder | str, actor: Any, answer: str, cited: Mapping[str, Any] | None = None
) -> WorkOrder:
    """直接办结: the operator answers a consultation at once, from the knowledge base. `cited`: the knowledge
    article the answer came from ({"article": code, "version": n, "title": …}, given by the knowledge base's answer
    service), kept on the answer's timeline event."""
    # An answer is the reply to the caller: the reply's limit, so an article's whole answer fits.
    answer = text_input(answer, "answer", required=True, max_length=CONTENT_MAX_LENGTH)
    order, row = _begin(order, actor, Action.ANSWER)
    _guard(order.request_type.allows_direct_answer, _("Only consultations can be answered directly."))
    order.answer = answer
    order.closed_at = clock.now()
    _move(
        order,
        row,
        Status.CLOSED,
        actor=actor,
        note=answer,
        is_public=True,
        data={"cited": dict(cited)} if cited else None,
        fields=["answer", "closed_at"],
    )
    # The master's result closes its merged duplicates, however the master closes (DOMAIN.md §2, 并单).
    _close_children(order, actor)
    return order


def workorder_answer_open(
    *, order: WorkOrder | str, actor: Any, answer: str, article: int | str | None = None
) -> WorkOrder:
    """直接办结 from the order's actions: the service the knowledge base provides (`hooks.action_service_provide`)
    answers, citing the knowledge article `article` (its id or code) when one is given; without that service, the
    plain answer (and an article cannot be cited)."""
    cites = article is not None and not (isinstance(article, str) and not article.strip())
    provided = action_service_for(Action.ANSWER)
    if provided is None:
        if cites:
            message = _("The knowledge base is not available: answer without citing an article.")
            raise ValidationFailed(message, fields={"article": [message]})
        return workorder_answer(order=order, actor=actor, answer=answer)
    extra = {"article": article} if cites else {}
    result: WorkOrder = provided(order=order, actor=actor, answer=answer, **extra)
    return result


@transaction.atomic
def workorder_review_return(
    *,
    order: WorkOrder | str,
    actor: Any,
    approve: bool,
    unit: Unit | str | None = None,
    co_units: Sequence[Unit | str] = (),
    note: str = "",
) -> WorkOrder:
    """Decide a return: approve and re-dispatch (改派) to another unit, or reject and send it back."""
    note = _note(note)
    _co_units_count_check(co_units, "co_units")
    order, row = _begin(order, actor, Action.REVIEW_RETURN)
    new_unit = _unit(unit, "unit") if approve else None
    co = _units(co_units, "co_units") if approve else []
    pending = order.returns.filter(status="pending").order_by("-returned_at").first()
    _guard(pending is not None, _("There is no return to review."))
    assert pending is not None
    now = clock.now()
    pending.reviewed_by, pending.reviewed_at, pending.review_note = actor, now, note
    fields = ["sign_due_at", "dispatched_at", "signed_at"]
    if approve:
        assert new_unit is not None
        if new_unit.pk == pending.unit_id:
            message = _("Approving a return means choosing a different unit.")
            raise ValidationFailed(message, fields={"unit": [message]})
        pending.status = "approved"
        case_units_assign(case=order, primary=new_unit, co_units=co)
        # The new unit gets the full time limit, counted from the re-dispatch.
        order.sign_due_at, order.due_at = _deadlines(order, now)
        fields += ["primary_unit", "due_at"]
        data = {"decision": "approved", "unit": new_unit.code, "co_units": [u.code for u in co]}
    else:
        pending.status = "rejected"
        order.sign_due_at, _finish = _deadlines(order, now)
        data = {"decision": "rejected", "unit": pending.unit.code}
    pending.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    order.dispatched_at, order.signed_at = now, None
    return _move(order, row, Status.DISPATCHED, actor=actor, note=note, data=data, fields=fields)


@transaction.atomic
def workorder_review_extension(*, order: WorkOrder | str, actor: Any, approve: bool, note: str = "") -> WorkOrder:
    note = _note(note)
    order, row = _begin(order, actor, Action.REVIEW_EXTENSION)
    pending = ExtensionRequest.objects.select_for_update().filter(case=order, status=ExtensionStatus.PENDING).first()
    _guard(pending is not None, _("There is no extension request to review."))
    assert pending is not None
    now = clock.now()
    pending.reviewed_by, pending.reviewed_at, pending.review_note = actor, now, note
    fields: list[str] = []
    if approve:
        pending.status = ExtensionStatus.APPROVED
        pending.previous_due_at = order.due_at
        base = order.due_at or now
        order.due_at = deadline_add_working_days(base, pending.working_days, calendar_get()).due_at
        pending.new_due_at = order.due_at
        fields.append("due_at")
    else:
        pending.status = ExtensionStatus.REJECTED
    pending.save()
    data = {"decision": pending.status, "working_days": pending.working_days}
    if approve and order.due_at:
        data["new_due_at"] = order.due_at.isoformat()
    return _move(order, row, Status(order.status), actor=actor, note=note, data=data, fields=fields)


@transaction.atomic
def workorder_visit(
    *, order: WorkOrder | str, actor: Any, resolved: bool, satisfaction: str, note: str = ""
) -> WorkOrder:
    """回访: resolved and not dissatisfied closes the order (and its merged duplicates); otherwise 重办."""
    note = _note(note)
    if satisfaction not in Satisfaction.values:
        message = _("Choose satisfied, basically satisfied or unsatisfied.")
        raise ValidationFailed(message, fields={"satisfaction": [message]})
    if not isinstance(resolved, bool):
        raise ValidationFailed(
            _("Say whether the problem was resolved."), fields={"resolved": [_("Must be true or false.")]}
        )
    order, row = _begin(order, actor, Action.VISIT)
    now = clock.now()
    order.visit_resolved, order.visit_satisfaction, order.visited_at = resolved, satisfaction, now
    fields = ["visit_resolved", "visit_satisfaction", "visited_at"]
    data = {"resolved": resolved, "satisfaction": satisfaction}
    if resolved and satisfaction != Satisfaction.UNSATISFIED:
        order.closed_at = now
        _move(
            order, row, Status.CLOSED, actor=actor, note=note, is_public=True, data=data, fields=[*fields, "closed_at"]
        )
        _close_children(order, actor)
        return order
    order.reopen_count += 1
    order.replied_at = None
    order.signed_at = order.signed_at or now
    _sign, order.due_at = _deadlines(order, now)
    return _move(
        order,
        row,
        Status.HANDLING,
        actor=actor,
        note=note,
        is_public=True,
        data={**data, "reopened": True},
        fields=[*fields, "reopen_count", "replied_at", "due_at"],
    )


def _close_children(master: WorkOrder, actor: Any) -> None:
    now = clock.now()
    for child in WorkOrder.objects.select_for_update(of=("self", "case_ptr")).filter(
        master=master, status=Status.MERGED
    ):
        row = transition_for(child.status, Action.CLOSE_WITH_MASTER)
        assert row is not None
        child.closed_at = now
        _move(
            child,
            row,
            Status.CLOSED,
            actor=actor,
            is_public=True,
            fields=["closed_at"],
            note=_("Closed with the master order %(n)s.") % {"n": master.number},
            data={"master": master.number},
        )


@transaction.atomic
def workorder_reopen(*, order: WorkOrder | str, actor: Any, reason: str) -> WorkOrder:
    """重办 after closing (e.g. the citizen calls again): back to the unit, or to dispatch if it never had one."""
    reason = _note(reason, "reason", required=True)
    order, row = _begin(order, actor, Action.REOPEN)
    _guard(order.master_id is None, _("A merged duplicate reopens with its master order."))
    now = clock.now()
    order.reopen_count += 1
    order.closed_at = None
    order.visit_resolved, order.visit_satisfaction, order.visited_at = None, "", None
    fields = ["reopen_count", "closed_at", "visit_resolved", "visit_satisfaction", "visited_at", "due_at"]
    _sign, order.due_at = _deadlines(order, now)
    target = Status.HANDLING if order.primary_unit_id else Status.NEW
    return _move(order, row, target, actor=actor, note=reason, is_public=True, fields=fields)


@transaction.atomic
def workorder_merge(*, order: WorkOrder | str, actor: Any, master: WorkOrder | str, note: str = "") -> WorkOrder:
    """并单: `order` is a duplicate of `master`; it closes when the master closes."""
    note = _note(note)
    master_number = master if isinstance(master, str) else master.number
    order, row = _begin(order, actor, Action.MERGE)
    if master_number == order.number:
        raise ValidationFailed(
            _("An order cannot be merged into itself."), fields={"master": [_("Choose another order.")]}
        )
    target_master = WorkOrder.objects.select_for_update(of=("self", "case_ptr")).filter(number=master_number).first()
    if target_master is None:
        message = _("No work order with number %(n)s.") % {"n": master_number}
        raise ValidationFailed(message, fields={"master": [message]})
    _guard(
        target_master.status in OPEN_STATUSES and target_master.status != Status.MERGED,
        _("The master order must be open and not itself merged."),
    )
    _guard(not order.children.exists(), _("This order is a master of other orders; merge the other way round."))
    order.master = target_master
    _move(
        order,
        row,
        Status.MERGED,
        actor=actor,
        note=note,
        is_public=True,
        data={"master": target_master.number},
        fields=["master"],
    )
    case_event_record(
        case=target_master,
        action="merge-child",
        actor=actor,
        note=note,
        data={"child": order.number},
        from_status=target_master.status,
        to_status=target_master.status,
    )
    return order


@transaction.atomic
def workorder_urge(*, order: WorkOrder | str, actor: Any, note: str = "") -> WorkOrder:
    """催办: remind the unit; counted."""
    note = _note(note)
    order, row = _begin(order, actor, Action.URGE)
    order.urge_count += 1
    return _move(order, row, Status(order.status), actor=actor, note=note, fields=["urge_count"])


@transaction.atomic
def workorder_supervise(*, order: WorkOrder | str, actor: Any, note: str) -> WorkOrder:
    """督办: a supervisor's note on the order."""
    note = _note(note, required=True)
    order, row = _begin(order, actor, Action.SUPERVISE)
    return _move(order, row, Status(order.status), actor=actor, note=note)


def workorder_supervise_open(*, order: WorkOrder | str, actor: Any, note: str) -> WorkOrder:
    """督办 from the order's actions: the service supervision provides (`hooks.action_service_provide`) opens a
    supervision case or adds the note to the open one, recording the "supervise" event through `workorder_supervise`;
    without it, the supervisor's note alone."""
    provided = action_service_for(Action.SUPERVISE)
    service = provided if provided is not None else workorder_supervise
    result: WorkOrder = service(order=order, actor=actor, note=note)
    return result


@transaction.atomic
def workorder_cancel(*, order: WorkOrder | str, actor: Any, reason: str) -> WorkOrder:
    reason = _note(reason, "reason", required=True)
    order, row = _begin(order, actor, Action.CANCEL)
    _guard(
        not order.children.filter(status=Status.MERGED).exists(),
        _("Orders are merged into this one; cancel or re-assign them first."),
    )
    order.closed_at = clock.now()
    return _move(order, row, Status.CANCELLED, actor=actor, note=reason, is_public=True, fields=["closed_at"])


@transaction.atomic
def workorder_note(*, order: WorkOrder | str, actor: Any, note: str) -> WorkOrder:
    """办理过程 / 协办意见: a note by a unit involved or by the centre."""
    note = _note(note, required=True)
    order, row = _begin(order, actor, Action.NOTE)
    return _move(order, row, Status(order.status), actor=actor, note=note)


# --- unit actions --------------------------------------------------------------------------------------------------


@transaction.atomic
def workorder_sign(*, order: WorkOrder | str, actor: Any) -> WorkOrder:
    """签收: the primary unit confirms it has taken the order."""
    order, row = _begin(order, actor, Action.SIGN)
    now = clock.now()
    order.signed_at = now
    order.assignments.filter(is_active=True, role="primary").update(signed_at=now)
    return _move(order, row, Status.HANDLING, actor=actor, is_public=True, fields=["signed_at"])


@transaction.atomic
def workorder_return(*, order: WorkOrder | str, actor: Any, reason: str, legal_basis: str) -> WorkOrder:
    """退单: not this unit's matter; within the sign-for limit, with the reason and legal basis."""
    reason = _note(reason, "reason", required=True)
    legal_basis = _note(legal_basis, "legal_basis", required=True)
    order, row = _begin(order, actor, Action.RETURN)
    now = clock.now()
    _guard(
        order.sign_due_at is None or now <= order.sign_due_at,
        _("The sign-for limit has passed, so the order can no longer be returned; contact the dispatcher."),
    )
    assert order.primary_unit is not None
    WorkOrderReturn.objects.create(
        order=order, unit=order.primary_unit, returned_by=actor, returned_at=now, reason=reason, legal_basis=legal_basis
    )
    order.return_count += 1
    return _move(
        order,
        row,
        Status.RETURNED,
        actor=actor,
        note=reason,
        data={"legal_basis": legal_basis},
        fields=["return_count"],
    )


@transaction.atomic
def workorder_request_extension(*, order: WorkOrder | str, actor: Any, working_days: int, reason: str) -> WorkOrder:
    """延期申请: before the deadline, with a reason; the centre reviews it."""
    reason = _note(reason, "reason", required=True)
    if isinstance(working_days, bool) or not isinstance(working_days, int) or not 1 <= working_days <= 30:
        message = _("Ask for 1 to 30 working days.")
        raise ValidationFailed(message, fields={"working_days": [message]})
    order, row = _begin(order, actor, Action.REQUEST_EXTENSION)
    now = clock.now()
    _guard(
        not ExtensionRequest.objects.filter(case=order, status=ExtensionStatus.PENDING).exists(),
        _("An extension request is already waiting for review."),
    )
    _guard(
        order.due_at is None or now < order.due_at, _("The deadline has passed; an extension must be asked before it.")
    )
    assert order.primary_unit is not None
    ExtensionRequest.objects.create(
        case=order,
        unit=order.primary_unit,
        requested_by=actor,
        requested_at=now,
        working_days=working_days,
        reason=reason,
    )
    return _move(order, row, Status(order.status), actor=actor, note=reason, data={"working_days": working_days})


@transaction.atomic
def workorder_reply(*, order: WorkOrder | str, actor: Any, reply: str, files: Sequence[CheckedFile] = ()) -> WorkOrder:
    """答复: what was verified, what was done, the result, a contact. The centre then calls back."""
    errors = FieldErrors()
    reply = text_field(errors, "reply", reply, required=True, max_length=CONTENT_MAX_LENGTH, multiline=True)
    errors.raise_if_any()
    order, row = _begin(order, actor, Action.REPLY)
    order.reply, order.replied_at = reply, clock.now()
    if files:
        case_attachments_add(case=order, files=files, actor=actor)
    return _move(order, row, Status.REPLIED, actor=actor, note=reply, is_public=True, fields=["reply", "replied_at"])


# --- personal data ------------------------------------------------------------------------------------------------

REVEALABLE_FIELDS = ("citizen_phone", "citizen_id_number")


def workorder_pii_reveal(*, order: WorkOrder | str, actor: Any, field: str, ip_address: str | None = None) -> str:
    """Return one unmasked personal field; every successful or refused attempt is audited."""
    if field not in REVEALABLE_FIELDS:
        raise ValidationFailed(_("This field cannot be revealed."), fields={"field": [_("Unknown field.")]})
    number = order if isinstance(order, str) else order.number
    found = WorkOrder.objects.filter(number=number).first()
    if found is None:
        raise NotFound(_("No work order with number %(n)s.") % {"n": number})
    allowed = workorder_can_reveal(actor, found, field)
    with transaction.atomic():
        audit_append(
            action="pii.view",
            actor=actor,
            object_type=CaseKind.WORKORDER,
            object_id=found.number,
            note=field,
            success=allowed,
            ip_address=ip_address,
        )
    if not allowed:
        if workorder_refusal_is_not_found(actor) and not workorder_can_view(actor, found):
            # Audited above all the same; the answer is the one for a number nobody uses.
            raise NotFound(_("No work order with number %(n)s.") % {"n": number})
        raise PermissionDenied(_("Your role may not see this personal data unmasked."))
    return str(getattr(found, field))


# The API and the UI dispatch actions by name to these services.
ACTION_SERVICES: dict[Action, Callable[..., WorkOrder]] = {
    Action.DISPATCH: workorder_dispatch,
    Action.SIGN: workorder_sign,
    Action.RETURN: workorder_return,
    Action.REVIEW_RETURN: workorder_review_return,
    Action.REQUEST_EXTENSION: workorder_request_extension,
    Action.REVIEW_EXTENSION: workorder_review_extension,
    Action.REPLY: workorder_reply,
    Action.VISIT: workorder_visit,
    Action.REOPEN: workorder_reopen,
    Action.MERGE: workorder_merge,
    Action.URGE: workorder_urge,
    Action.SUPERVISE: workorder_supervise_open,
    Action.NOTE: workorder_note,
    Action.ANSWER: workorder_answer_open,
    Action.CANCEL: workorder_cancel,
}
