"""API contract: every lifecycle action through POST /api/v1/workorders/{number}/{action}/, end to end,
and the 400 / 401 / 403 / 404 / 409 answers, each of which must leave the database as it was."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from govdesk.cases.models import ExtensionRequest
from govdesk.org.tests.factories import TEST_PASSWORD
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder, WorkOrderReturn
from govdesk.workorders.states import Status
from govdesk.workorders.tests.api_support import EXE_BYTES, counts, png_bytes, url
from govdesk.workorders.tests.factories import intake, make_order, with_pending_extension

pytestmark = pytest.mark.django_db


@pytest.fixture
def act(people: SimpleNamespace, api_client_for: Any) -> Any:
    """`act("dispatcher", number, "dispatch", {...})`: the action as that user; returns the response."""

    def run(who: str, number: str, action: str, body: Any = None, **kwargs: Any) -> Any:
        client = api_client_for(getattr(people, who))
        return client.post(url(number, action), body if body is not None else {}, format="json", **kwargs)

    return run


def ok(response: Any, status: str) -> dict[str, Any]:
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_a_call_from_intake_to_closed_through_the_api_with_tokens(
    people: SimpleNamespace, categories: SimpleNamespace
) -> None:
    """The whole life of an order with real token logins, as an external client would drive it."""

    def client_for(username: str) -> APIClient:
        client = APIClient()
        token = client.post("/api/v1/auth/token/", {"username": username, "password": TEST_PASSWORD}, format="json")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
        return client

    operator, dispatcher, handler, supervisor = (
        client_for(n) for n in ("operator", "dispatcher", "handler_a", "supervisor")
    )
    created = operator.post(url(), {**intake(categories.facilities.pk), "channel": "phone"}, format="json")
    assert created.status_code == 201
    number = created.json()["number"]

    ok(dispatcher.post(url(number, "dispatch"), {"unit": "LS-ZJ", "co_units": ["LS-BH"]}, format="json"), "dispatched")
    ok(handler.post(url(number, "sign"), {}, format="json"), "handling")
    ok(supervisor.post(url(number, "urge"), {"note": "市民再次来电"}, format="json"), "handling")
    ok(supervisor.post(url(number, "supervise"), {"note": "请于本周内办结"}, format="json"), "handling")
    body = ok(
        handler.post(url(number, "reply"), {"reply": "经核实，路灯已修复。联系人：李工"}, format="json"), "replied"
    )
    assert body["reply"] == "经核实，路灯已修复。联系人：李工"
    body = ok(
        operator.post(
            url(number, "visit"), {"resolved": True, "satisfaction": "satisfied", "note": "满意"}, format="json"
        ),
        "closed",
    )
    assert body["visit_resolved"] is True
    assert body["visit_satisfaction"] == "satisfied"
    assert [e["action"] for e in body["timeline"]] == [
        "register",
        "dispatch",
        "sign",
        "urge",
        "supervise",
        "reply",
        "visit",
    ]
    assert body["urge_count"] == 1
    assert body["allowed_actions"] == []  # operators cannot reopen; dispatchers can


def test_return_review_and_redispatch(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, act: Any
) -> None:
    order = make_order(people, district, categories.wages, Status.DISPATCHED)
    body = ok(
        act("handler_a", order.number, "return", {"reason": "属人社局职责", "legal_basis": "三定方案第三条"}),
        "returned",
    )
    assert body["return_count"] == 1
    assert WorkOrderReturn.objects.get(order=order).legal_basis == "三定方案第三条"

    # Sent back to the same unit...
    body = ok(act("dispatcher", order.number, "review-return", {"approve": False, "note": "确属住建局"}), "dispatched")
    assert body["primary_unit"]["code"] == "LS-ZJ"
    # ...returned again, and this time re-dispatched to another unit with a co-unit.
    ok(act("handler_a", order.number, "return", {"reason": "再次退回", "legal_basis": "三定方案"}), "returned")
    body = ok(
        act("dispatcher", order.number, "review-return", {"approve": True, "unit": "LS-RS", "co_units": ["LS-BH"]}),
        "dispatched",
    )
    assert body["primary_unit"]["code"] == "LS-RS"
    assert body["co_units"] == [{"code": "LS-BH", "name": "滨河街道"}]
    ok(act("handler_b", order.number, "sign"), "handling")
    # The first unit no longer sees it.
    assert act("handler_a", order.number, "note", {"note": "x"}).status_code == 403


def test_extension_request_and_review(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, act: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    due_before = order.due_at
    ok(act("handler_a", order.number, "request-extension", {"working_days": 5, "reason": "需多部门会商"}), "handling")
    assert ExtensionRequest.objects.get(case=order).working_days == 5
    # A second request while one is pending is not possible now: 409.
    again = act("handler_a", order.number, "request-extension", {"working_days": 2, "reason": "再申请"})
    assert again.status_code == 409
    ok(act("supervisor", order.number, "review-extension", {"approve": True, "note": "同意"}), "handling")
    order.refresh_from_db()
    assert order.due_at is not None and due_before is not None and order.due_at > due_before
    ok(act("handler_a", order.number, "request-extension", {"working_days": 1, "reason": "再延一天"}), "handling")
    ok(act("dispatcher", order.number, "review-extension", {"approve": False}), "handling")
    assert act("dispatcher", order.number, "review-extension", {"approve": True}).status_code == 409


def test_unsatisfied_visit_reopens_to_the_unit_and_a_closed_order_reopens(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, act: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.REPLIED)
    body = ok(act("operator", order.number, "visit", {"resolved": False, "satisfaction": "unsatisfied"}), "handling")
    assert body["reopen_count"] == 1
    ok(act("handler_a", order.number, "reply", {"reply": "已重新维修"}), "replied")
    ok(act("dispatcher", order.number, "visit", {"resolved": True, "satisfaction": "basically"}), "closed")
    body = ok(act("dispatcher", order.number, "reopen", {"reason": "市民反映问题复发"}), "handling")
    assert body["reopen_count"] == 2


def test_reply_with_an_attachment_as_multipart(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    client = api_client_for(people.handler_a)
    photo = SimpleUploadedFile("修复后.png", png_bytes(), content_type="image/png")
    response = client.post(
        url(order.number, "reply"), {"reply": "已修复，见照片", "attachments": [photo]}, format="multipart"
    )
    body = ok(response, "replied")
    assert [a["name"] for a in body["attachments"]] == ["修复后.png"]

    other = make_order(people, district, categories.facilities, Status.HANDLING)
    before = counts()
    fake = SimpleUploadedFile("photo.jpg", EXE_BYTES, content_type="image/jpeg")
    refused = client.post(url(other.number, "reply"), {"reply": "见附件", "attachments": [fake]}, format="multipart")
    assert refused.status_code == 400
    assert counts() == before
    assert WorkOrder.objects.get(pk=other.pk).status == Status.HANDLING


def test_merge_and_the_master_closes_its_children(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, act: Any
) -> None:
    master = make_order(people, district, categories.facilities, Status.HANDLING)
    child = make_order(people, district, categories.facilities, Status.NEW)
    body = ok(act("operator", child.number, "merge", {"master": master.number, "note": "同一路灯"}), "merged")
    assert body["master"] == master.number
    assert act("dispatcher", master.number, "note", {"note": "x"}).json()["children"] == [child.number]
    ok(act("handler_a", master.number, "reply", {"reply": "已修复"}), "replied")
    ok(act("operator", master.number, "visit", {"resolved": True, "satisfaction": "satisfied"}), "closed")
    assert WorkOrder.objects.get(pk=child.pk).status == Status.CLOSED
    # A merged child reopens only with its master.
    assert act("dispatcher", child.number, "reopen", {"reason": "x"}).status_code == 409


def test_direct_answer_and_cancel(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, act: Any
) -> None:
    question = make_order(people, district, categories.wages, Status.NEW, request_type="consultation")
    body = ok(act("operator", question.number, "answer", {"answer": "请携带身份证到区人社局窗口办理。"}), "closed")
    assert body["answer"] == "请携带身份证到区人社局窗口办理。"
    complaint = make_order(people, district, categories.wages, Status.NEW)
    assert act("operator", complaint.number, "answer", {"answer": "x"}).status_code == 409  # only consultations
    ok(act("operator", complaint.number, "cancel", {"reason": "市民撤回"}), "cancelled")
    dispatched = make_order(people, district, categories.wages, Status.DISPATCHED)
    assert act("operator", dispatched.number, "cancel", {"reason": "x"}).status_code == 403  # dispatchers only now
    ok(act("dispatcher", dispatched.number, "cancel", {"reason": "重复登记"}), "cancelled")


def test_co_unit_and_centre_notes(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, act: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING, co_units=[district.street])
    body = ok(act("street_handler", order.number, "note", {"note": "街道已配合现场核查"}), "handling")
    assert body["timeline"][-1]["action"] == "note"
    assert body["timeline"][-1]["unit"] == "滨河街道"
    assert act("street_handler", order.number, "reply", {"reply": "x"}).status_code == 403  # co-units do not reply


# --- errors ---------------------------------------------------------------------------------------------------------


ERROR_CASES: list[tuple[str, Status, str, str, Any, int]] = [
    # (label, state, who, action, body, status)
    ("sign twice", Status.HANDLING, "handler_a", "sign", {}, 409),
    ("dispatch a closed order", Status.CLOSED, "dispatcher", "dispatch", {"unit": "LS-ZJ"}, 409),
    (
        "visit before the reply",
        Status.HANDLING,
        "operator",
        "visit",
        {"resolved": True, "satisfaction": "satisfied"},
        409,
    ),
    ("reply when replied", Status.REPLIED, "handler_a", "reply", {"reply": "再答复"}, 409),
    ("urge a new order", Status.NEW, "supervisor", "urge", {}, 409),
    ("review a return that was not made", Status.DISPATCHED, "dispatcher", "review-return", {"approve": False}, 409),
    ("operator dispatches", Status.NEW, "operator", "dispatch", {"unit": "LS-ZJ"}, 403),
    ("citizen dispatches", Status.NEW, "citizen", "dispatch", {"unit": "LS-ZJ"}, 403),
    ("other unit signs", Status.DISPATCHED, "handler_b", "sign", {}, 403),
    ("co-unit signs", Status.DISPATCHED, "street_handler", "sign", {}, 403),
    ("handler supervises", Status.HANDLING, "handler_a", "supervise", {"note": "x"}, 403),
    ("auditor urges", Status.HANDLING, "auditor", "urge", {}, 403),
    ("approve as a string", Status.RETURNED, "dispatcher", "review-return", {"approve": "yes", "unit": "LS-RS"}, 400),
    ("approve missing", Status.RETURNED, "dispatcher", "review-return", {"unit": "LS-RS"}, 400),
    ("approve without a unit", Status.RETURNED, "dispatcher", "review-return", {"approve": True}, 400),
    (
        "approve to the same unit",
        Status.RETURNED,
        "dispatcher",
        "review-return",
        {"approve": True, "unit": "LS-ZJ"},
        400,
    ),
    (
        "working days as text",
        Status.HANDLING,
        "handler_a",
        "request-extension",
        {"working_days": "abc", "reason": "x"},
        400,
    ),
    (
        "working days as a bool",
        Status.HANDLING,
        "handler_a",
        "request-extension",
        {"working_days": True, "reason": "x"},
        400,
    ),
    (
        "too many working days",
        Status.HANDLING,
        "handler_a",
        "request-extension",
        {"working_days": 31, "reason": "x"},
        400,
    ),
    (
        "extension without a reason",
        Status.HANDLING,
        "handler_a",
        "request-extension",
        {"working_days": 3, "reason": ""},
        400,
    ),
    (
        "resolved as a string",
        Status.REPLIED,
        "operator",
        "visit",
        {"resolved": "true", "satisfaction": "satisfied"},
        400,
    ),
    ("unknown satisfaction", Status.REPLIED, "operator", "visit", {"resolved": True, "satisfaction": "meh"}, 400),
    ("empty reply", Status.HANDLING, "handler_a", "reply", {"reply": "  "}, 400),
    ("reply of 4001 characters", Status.HANDLING, "handler_a", "reply", {"reply": "复" * 4001}, 400),
    (
        "control character in a reason",
        Status.DISPATCHED,
        "handler_a",
        "return",
        {"reason": "不\x07是", "legal_basis": "x"},
        400,
    ),
    ("return without legal basis", Status.DISPATCHED, "handler_a", "return", {"reason": "不是我们的"}, 400),
    ("unknown unit", Status.NEW, "dispatcher", "dispatch", {"unit": "NOPE"}, 400),
    ("unit taking no orders", Status.NEW, "dispatcher", "dispatch", {"unit": "LS-12345"}, 400),
    ("unit as a number", Status.NEW, "dispatcher", "dispatch", {"unit": 42}, 400),
    ("co-units as a string", Status.NEW, "dispatcher", "dispatch", {"unit": "LS-ZJ", "co_units": "LS-BH"}, 400),
    ("unknown co-unit", Status.NEW, "dispatcher", "dispatch", {"unit": "LS-ZJ", "co_units": ["NOPE"]}, 400),
    ("NUL in a unit code", Status.NEW, "dispatcher", "dispatch", {"unit": "LS\x00ZJ"}, 400),
    ("note too long", Status.HANDLING, "supervisor", "supervise", {"note": "督" * 2001}, 400),
    ("supervise without a note", Status.HANDLING, "supervisor", "supervise", {}, 400),
    ("merge into nothing", Status.NEW, "operator", "merge", {"master": "20990101000001"}, 400),
    ("merge into a bad number", Status.NEW, "operator", "merge", {"master": "x'; --"}, 400),
    ("cancel without a reason", Status.NEW, "operator", "cancel", {"reason": ""}, 400),
    ("reopen as a list", Status.CLOSED, "dispatcher", "reopen", {"reason": ["x"]}, 400),
    ("body is a list", Status.NEW, "dispatcher", "dispatch", ["LS-ZJ"], 400),
    ("body is a string", Status.NEW, "dispatcher", "dispatch", "LS-ZJ", 400),
]


@pytest.mark.parametrize(
    ("label", "state", "who", "action", "body", "expected"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_refused_actions_answer_json_and_write_nothing(
    people: SimpleNamespace,
    district: SimpleNamespace,
    categories: SimpleNamespace,
    act: Any,
    label: str,
    state: Status,
    who: str,
    action: str,
    body: Any,
    expected: int,
) -> None:
    order = make_order(people, district, categories.facilities, state)
    before = counts()
    response = act(who, order.number, action, body)
    assert response.status_code == expected, (label, response.json())
    error = response.json()
    assert set(error) <= {"code", "message", "fields"}
    assert error["code"] == {400: "invalid", 403: "permission_denied", 409: "invalid_transition"}[expected]
    assert error["message"]
    assert counts() == before
    assert WorkOrder.objects.get(pk=order.pk).status == state


def test_review_extension_with_a_string_approve_is_400(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, act: Any
) -> None:
    order = with_pending_extension(
        make_order(people, district, categories.facilities, Status.HANDLING), people.handler_a
    )
    before = counts()
    response = act("dispatcher", order.number, "review-extension", {"approve": "yes"})
    assert response.status_code == 400
    assert "approve" in response.json()["fields"]
    assert counts() == before


@pytest.mark.parametrize("body", ["{not json", "[", '{"unit": "LS-ZJ",}'])
def test_malformed_json_is_400(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any, body: str
) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    response = api_client_for(people.dispatcher).post(
        url(order.number, "dispatch"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_form_body_on_a_json_action_is_415_not_500(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    response = api_client_for(people.dispatcher).post(
        url(order.number, "dispatch"), {"unit": "LS-ZJ"}, format="multipart"
    )
    assert response.status_code == 415
    assert set(response.json()) == {"code", "message"}


@pytest.mark.parametrize("action", ["fly", "close-with-master", "DISPATCH", "dispatch/extra"])
def test_unknown_action_is_404(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, act: Any, action: str
) -> None:
    order = make_order(people, district, categories.facilities, Status.MERGED)
    before = counts()
    response = act("dispatcher", order.number, action, {})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert counts() == before
    assert WorkOrder.objects.get(pk=order.pk).status == Status.MERGED


def test_action_on_a_missing_order_is_404(people: SimpleNamespace, act: Any) -> None:
    assert act("dispatcher", "20990101000001", "dispatch", {"unit": "LS-ZJ"}).status_code == 404
    assert act("dispatcher", "bad%00number", "sign").status_code == 404


def test_action_on_an_order_you_cannot_see_is_403(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, act: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    response = act("handler_b", order.number, "reply", {"reply": "x"})
    assert response.status_code == 403


def test_actions_need_a_login(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    before = counts()
    response = APIClient().post(url(order.number, "dispatch"), {"unit": "LS-ZJ"}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert counts() == before


def test_session_clients_need_the_csrf_token(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(people.dispatcher)
    response = client.post(url(order.number, "dispatch"), {"unit": "LS-ZJ"}, format="json")
    assert response.status_code == 403
    assert WorkOrder.objects.get(pk=order.pk).status == Status.NEW


def test_dispatch_checks_sizes_and_state_before_any_co_unit(
    people: SimpleNamespace,
    district: SimpleNamespace,
    categories: SimpleNamespace,
    api_client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """Finding 7c of the security review: 10,000 co-units cost 6.8 s of lookups before the 409. Now a list over the
    cap is a 400 at once, and an order in the wrong state is a 409 before any co-unit is looked up."""
    closed = make_order(people, district, categories.facilities, Status.CLOSED)
    client = api_client_for(people.dispatcher)
    codes = [district.dept_b.code] * 10_000
    with django_assert_max_num_queries(3):
        response = client.post(url(closed.number, "dispatch"), {"unit": "LS-ZJ", "co_units": codes}, format="json")
    assert response.status_code == 400
    assert "co_units" in response.json()["fields"] and "20" in response.json()["message"]
    with django_assert_max_num_queries(12):
        response = client.post(url(closed.number, "dispatch"), {"unit": "LS-ZJ", "co_units": codes[:20]}, format="json")
    assert response.status_code == 409
    # The service holds the same cap for any caller, and looks the co-units up in one query.
    new = make_order(people, district, categories.facilities, Status.NEW)
    with pytest.raises(services.ValidationFailed):
        services.workorder_dispatch(order=new, actor=people.dispatcher, unit=district.dept_a, co_units=codes[:21])
    with django_assert_max_num_queries(40):
        services.workorder_dispatch(
            order=new, actor=people.dispatcher, unit=district.dept_a, co_units=[district.dept_b.code] * 20
        )
    assert list(new.assignments.filter(is_active=True, role="co").values_list("unit__code", flat=True)) == [
        district.dept_b.code
    ]
