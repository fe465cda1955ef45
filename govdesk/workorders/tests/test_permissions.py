"""The role × object matrix: who may take which action on which order, who sees what, who may unmask personal data.

The expectations are written out here from DOMAIN.md §1–2, not derived from permissions.py or states.py.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import CaseEvent, CaseUnit, ExtensionRequest
from govdesk.common.errors import NotFound, PermissionDenied, ValidationFailed
from govdesk.workorders import selectors, services
from govdesk.workorders.models import WorkOrder, WorkOrderReturn
from govdesk.workorders.permissions import workorder_can_reveal, workorder_can_view
from govdesk.workorders.states import Action, Status
from govdesk.workorders.tests.factories import intake, make_order, with_pending_extension

pytestmark = pytest.mark.django_db

ROLES = [
    "operator",
    "dispatcher",
    "supervisor",
    "handler_a",
    "handler_b",
    "unit_admin_a",
    "street_handler",
    "street_admin",
    "community_handler",
    "citizen",
    "sysadmin",
    "secadmin",
    "auditor",
]

# scenario → (action, status the order is in)
SCENARIOS: dict[str, tuple[Action, Status]] = {
    "dispatch": (Action.DISPATCH, Status.NEW),
    "answer": (Action.ANSWER, Status.NEW),
    "sign": (Action.SIGN, Status.DISPATCHED),
    "return": (Action.RETURN, Status.DISPATCHED),
    "review-return": (Action.REVIEW_RETURN, Status.RETURNED),
    "request-extension": (Action.REQUEST_EXTENSION, Status.HANDLING),
    "review-extension": (Action.REVIEW_EXTENSION, Status.HANDLING),
    "reply": (Action.REPLY, Status.HANDLING),
    "visit": (Action.VISIT, Status.REPLIED),
    "reopen": (Action.REOPEN, Status.CLOSED),
    "merge": (Action.MERGE, Status.HANDLING),
    "urge": (Action.URGE, Status.HANDLING),
    "supervise": (Action.SUPERVISE, Status.HANDLING),
    "note": (Action.NOTE, Status.HANDLING),
    "cancel@new": (Action.CANCEL, Status.NEW),
    "cancel@handling": (Action.CANCEL, Status.HANDLING),
}

# Centre staff, on any order (DOMAIN.md §1: dispatchers dispatch and review, operators register and call back,
# supervisors urge, supervise and approve extensions but change nothing else).
CENTRE_MAY = {
    "dispatch": {"dispatcher"},
    "answer": {"operator", "dispatcher"},
    "sign": set(),
    "return": set(),
    "review-return": {"dispatcher"},
    "request-extension": set(),
    "review-extension": {"dispatcher", "supervisor"},
    "reply": set(),
    "visit": {"operator", "dispatcher"},
    "reopen": {"dispatcher"},
    "merge": {"operator", "dispatcher"},
    "urge": {"dispatcher", "supervisor"},
    "supervise": {"supervisor"},
    "note": {"operator", "dispatcher"},
    "cancel@new": {"operator", "dispatcher"},
    "cancel@handling": {"dispatcher"},
}
# Unit people act only for their own unit: the primary unit signs, returns, asks for time and replies;
# any assigned unit (primary or co-unit) may add process notes.
PRIMARY_UNIT_ACTIONS = {"sign", "return", "request-extension", "reply", "note"}
CO_UNIT_ACTIONS = {"note"}

# variant → (primary unit attribute, co-unit attributes, members of the primary unit, members of the co-units)
VARIANTS: dict[str, tuple[str, tuple[str, ...], set[str], set[str]]] = {
    "dept_a": ("dept_a", (), {"handler_a", "unit_admin_a"}, set()),
    "street+community": ("street", ("community",), {"street_handler", "street_admin"}, {"community_handler"}),
}
PRIMARY_HANDLER = {"dept_a": "handler_a", "street+community": "street_handler"}


def expected_allowed(scenario: str, role: str, variant: str) -> bool:
    if role in CENTRE_MAY[scenario]:
        return True
    _primary, _co, primary_members, co_members = VARIANTS[variant]
    if scenario in PRIMARY_UNIT_ACTIONS and role in primary_members:
        return True
    return scenario in CO_UNIT_ACTIONS and role in co_members


def _kwargs(scenario: str, district: Any, primary: Any, master: WorkOrder) -> dict[str, Any]:
    action = SCENARIOS[scenario][0]
    return {
        Action.DISPATCH: {"unit": primary},
        Action.ANSWER: {"answer": "知识库答复"},
        Action.SIGN: {},
        Action.RETURN: {"reason": "非本单位职责", "legal_basis": "三定方案"},
        Action.REVIEW_RETURN: {"approve": True, "unit": district.dept_b},
        Action.REQUEST_EXTENSION: {"working_days": 2, "reason": "需现场核查"},
        Action.REVIEW_EXTENSION: {"approve": True},
        Action.REPLY: {"reply": "已处理完毕，联系人李工"},
        Action.VISIT: {"resolved": True, "satisfaction": "satisfied"},
        Action.REOPEN: {"reason": "再次来电"},
        Action.MERGE: {"master": master},
        Action.URGE: {"note": "请加快"},
        Action.SUPERVISE: {"note": "督办"},
        Action.NOTE: {"note": "协办意见"},
        Action.CANCEL: {"reason": "撤回"},
    }[action]


def _state(order: WorkOrder) -> tuple[Any, ...]:
    fresh = WorkOrder.objects.get(pk=order.pk)
    return (
        fresh.status,
        fresh.primary_unit_id,
        fresh.urge_count,
        CaseEvent.objects.count(),
        AuditEvent.objects.count(),
        CaseUnit.objects.count(),
        ExtensionRequest.objects.count(),
        WorkOrderReturn.objects.count(),
    )


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


MATRIX = [(s, r, v) for v in VARIANTS for s in SCENARIOS for r in ROLES]


@pytest.mark.parametrize(("scenario", "role", "variant"), MATRIX, ids=[f"{v}-{s}-{r}" for s, r, v in MATRIX])
def test_action_matrix(scenario: str, role: str, variant: str, people: Any, district: Any, categories: Any) -> None:
    action, status = SCENARIOS[scenario]
    primary_attr, co_attrs, _pm, _cm = VARIANTS[variant]
    primary = getattr(district, primary_attr)
    co_units = [getattr(district, a) for a in co_attrs]
    handler = getattr(people, PRIMARY_HANDLER[variant])
    overrides = {"request_type": "consultation"} if action is Action.ANSWER else {}
    order = make_order(
        people,
        district,
        categories.facilities,
        status,
        unit=primary,
        co_units=co_units,
        handler=handler,
        citizen_user=people.citizen,
        **overrides,
    )
    if action is Action.REVIEW_EXTENSION:
        order = with_pending_extension(order, handler)
    master = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    actor = getattr(people, role)
    service = services.ACTION_SERVICES[action]
    kwargs = _kwargs(scenario, district, primary, master)

    if expected_allowed(scenario, role, variant):
        result = service(order=order.number, actor=actor, **kwargs)
        assert result.pk == order.pk
        assert CaseEvent.objects.filter(case=order, action=action.value, actor=actor).exists()
        return

    before = _state(order)
    with CaptureQueriesContext(connection) as queries, pytest.raises(PermissionDenied) as excinfo:
        service(order=order.number, actor=actor, **kwargs)
    assert excinfo.value.status_code == 403
    assert _writes(queries) == [], "a refused action must be refused before anything is written"
    assert _state(order) == before


def test_the_matrix_allows_somebody_and_refuses_somebody_for_every_action() -> None:
    # Guards the expectation table itself against being all-True or all-False.
    for scenario in SCENARIOS:
        verdicts = {expected_allowed(scenario, r, v) for r in ROLES for v in VARIANTS}
        assert verdicts == {True, False}, scenario


def test_register_is_for_the_centre_and_citizens_only(people: Any, categories: Any) -> None:
    for role in ("operator", "dispatcher", "citizen"):
        services.workorder_register(actor=getattr(people, role), data=intake(categories.facilities))
    count = WorkOrder.objects.count()
    for role in ("supervisor", "handler_a", "unit_admin_a", "sysadmin", "secadmin", "auditor"):
        with pytest.raises(PermissionDenied):
            services.workorder_register(actor=getattr(people, role), data=intake(categories.facilities))
    assert WorkOrder.objects.count() == count


# --- visibility ----------------------------------------------------------------------------------------------------


@pytest.fixture
def spread(people: Any, district: Any, categories: Any) -> SimpleNamespace:
    """Orders in several places: dept_a (the citizen's), street + community, dept_b, unassigned, community alone."""
    f = categories.facilities
    return SimpleNamespace(
        a=make_order(people, district, f, Status.HANDLING, citizen_user=people.citizen),
        street=make_order(
            people,
            district,
            f,
            Status.DISPATCHED,
            unit=district.street,
            co_units=[district.community],
            handler=people.street_handler,
        ),
        b=make_order(people, district, f, Status.DISPATCHED, unit=district.dept_b, handler=people.handler_b),
        new=make_order(people, district, f, Status.NEW),
        community=make_order(
            people, district, f, Status.DISPATCHED, unit=district.community, handler=people.community_handler
        ),
    )


VISIBLE = {
    "operator": {"a", "street", "b", "new", "community"},
    "dispatcher": {"a", "street", "b", "new", "community"},
    "supervisor": {"a", "street", "b", "new", "community"},
    "handler_a": {"a"},
    "unit_admin_a": {"a"},
    "handler_b": {"b"},
    "street_handler": {"street"},
    "street_admin": {"street", "community"},  # own unit and everything below it
    "community_handler": {"street", "community"},  # co-unit of the street's order, primary of its own
    "citizen": {"a"},
    "other_citizen": set(),
    "sysadmin": set(),
    "secadmin": set(),
    "auditor": set(),
}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_visibility(role: str, people: Any, spread: SimpleNamespace) -> None:
    user = getattr(people, role)
    expected = {getattr(spread, key).number for key in VISIBLE[role]}
    listed = [o.number for o in selectors.workorder_list(user=user)]
    assert len(listed) == len(set(listed)), "an order listed twice"
    assert set(listed) == expected
    for key in ("a", "street", "b", "new", "community"):
        order = getattr(spread, key)
        seen = order.number in expected
        assert workorder_can_view(user, order) is seen, key
        assert (selectors.workorder_get(user=user, number=order.number) is not None) is seen, key


def test_anonymous_sees_nothing(spread: SimpleNamespace) -> None:
    anonymous = AnonymousUser()
    assert list(selectors.workorder_list(user=anonymous)) == []
    assert not workorder_can_view(anonymous, spread.a)


def test_after_an_approved_return_only_the_new_unit_sees_it(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.RETURNED, co_units=[district.community])
    assert selectors.workorder_get(user=people.community_handler, number=order.number) is not None
    services.workorder_review_return(order=order, actor=people.dispatcher, approve=True, unit=district.dept_b)
    for gone in (people.handler_a, people.unit_admin_a, people.community_handler, people.street_admin):
        assert selectors.workorder_get(user=gone, number=order.number) is None
        assert order.number not in {o.number for o in selectors.workorder_list(user=gone)}
        with pytest.raises(PermissionDenied):
            services.workorder_note(order=order, actor=gone, note="还能看吗")
    assert selectors.workorder_get(user=people.handler_b, number=order.number) is not None


def test_a_rejected_return_stays_with_the_unit(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.RETURNED)
    services.workorder_review_return(order=order, actor=people.dispatcher, approve=False)
    assert selectors.workorder_get(user=people.handler_a, number=order.number) is not None
    assert selectors.workorder_get(user=people.handler_b, number=order.number) is None


def test_unit_inbox_and_dispatch_queue(people: Any, spread: SimpleNamespace) -> None:
    inbox = {o.number for o in selectors.workorder_unit_inbox(user=people.handler_a)}
    assert inbox == {spread.a.number}
    queue = {o.number for o in selectors.workorder_dispatch_queue(user=people.dispatcher)}
    assert queue == {spread.new.number}
    assert list(selectors.workorder_dispatch_queue(user=people.handler_a)) == []


# --- personal data ---------------------------------------------------------------------------------------------------

# role → what they may unmask: (phone on an ordinary order, phone of a confidential reporter, ID number)
REVEAL = {
    "operator": (True, True, True),
    "dispatcher": (True, True, True),
    "supervisor": (True, False, False),
    "handler_a": (True, False, False),
    "unit_admin_a": (True, False, False),
    "community_handler": (True, False, False),  # co-unit on this order
    "handler_b": (False, False, False),
    "street_handler": (False, False, False),
    "street_admin": (True, False, False),  # the co-unit is in the street's subtree
    "citizen": (False, False, False),
    "sysadmin": (False, False, False),
    "secadmin": (False, False, False),
    "auditor": (False, False, False),
}


@pytest.mark.parametrize("role", sorted(REVEAL))
@pytest.mark.parametrize("confidential", [False, True])
def test_pii_reveal_matrix(role: str, confidential: bool, people: Any, district: Any, categories: Any) -> None:
    order = make_order(
        people,
        district,
        categories.facilities,
        Status.HANDLING,
        co_units=[district.community],
        citizen_user=people.citizen,
        confidential=confidential,
    )
    phone_ok, confidential_phone_ok, id_ok = REVEAL[role]
    expected = {"citizen_phone": confidential_phone_ok if confidential else phone_ok, "citizen_id_number": id_ok}
    user = getattr(people, role)
    for field, allowed in expected.items():
        assert workorder_can_reveal(user, order, field) is allowed, field
        before = AuditEvent.objects.filter(action="pii.view").count()
        if allowed:
            value = services.workorder_pii_reveal(order=order.number, actor=user, field=field, ip_address="10.0.0.8")
            assert value == {"citizen_phone": "13812345678", "citizen_id_number": "11010519491231002X"}[field]
        else:
            with pytest.raises(PermissionDenied):
                services.workorder_pii_reveal(order=order.number, actor=user, field=field)
        events = AuditEvent.objects.filter(action="pii.view").order_by("id")
        assert events.count() == before + 1
        last = events.last()
        assert last is not None
        assert (last.actor_id, last.object_id, last.note, last.success) == (user.pk, order.number, field, allowed)


def test_pii_reveal_of_an_unknown_field_or_order(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed):
        services.workorder_pii_reveal(order=order, actor=people.operator, field="citizen_name")
    with pytest.raises(NotFound):
        services.workorder_pii_reveal(order="20990101000001", actor=people.operator, field="citizen_phone")
    assert AuditEvent.objects.count() == before
