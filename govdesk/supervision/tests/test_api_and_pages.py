"""The supervision API and pages per role: status codes, filters, error bodies, what each page shows."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from govdesk.cases.models import CaseEvent
from govdesk.common.errors import ValidationFailed
from govdesk.supervision import services
from govdesk.supervision.models import Escalation, SupervisionCase
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

pytestmark = pytest.mark.django_db
API = "/api/v1/supervision/"


@pytest.fixture
def order(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> WorkOrder:
    return make_order(people, district, categories.facilities, Status.HANDLING)


@pytest.fixture
def sc(order: WorkOrder, people: SimpleNamespace) -> SupervisionCase:
    return services.supervision_case_open(order=order, actor=people.supervisor, reason="请尽快办结")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_api_open_answer_close(
    order: WorkOrder, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    sup = api_client_for(people.supervisor)
    created = sup.post(f"{API}cases/", {"order": order.number, "reason": "督办", "answer_days": 2}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["order"] == order.number and body["status"] == "open" and body["entries"][0]["kind"] == "open"
    pk = body["id"]
    handler = api_client_for(people.handler_a)
    answered = handler.post(f"{API}cases/{pk}/answer/", {"answer": "已完成"}, format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    assert handler.post(f"{API}cases/{pk}/answer/", {"answer": "x"}, format="json").status_code == 409
    assert sup.post(f"{API}cases/{pk}/reopen/", {"reason": "不具体"}, format="json").json()["status"] == "open"
    handler.post(f"{API}cases/{pk}/answer/", {"answer": "已完成并回访"}, format="json")
    closed = sup.post(f"{API}cases/{pk}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    actions = list(CaseEvent.objects.filter(case_id=order.pk).values_list("action", flat=True))
    assert actions[-5:] == [
        "supervise",
        "supervision-answer",
        "supervision-reopen",
        "supervision-answer",
        "supervision-close",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"order": "x", "reason": "r"},
        {"order": "20260101000001", "reason": ""},
        {"order": "20260101000001", "reason": "r", "answer_days": 0},
        {"order": "20260101000001", "reason": "r", "answer_days": "abc"},
        {"order": "20260101000001", "reason": "督" * 2001},
    ],
)
def test_api_open_validation_400(
    body: dict[str, Any], people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    response = api_client_for(people.supervisor).post(f"{API}cases/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "fields" in response.json()


def test_api_unknown_order_404_and_other_errors(
    sc: SupervisionCase, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    sup = api_client_for(people.supervisor)
    assert sup.post(f"{API}cases/", {"order": "20990101000001", "reason": "r"}, format="json").status_code == 404
    assert sup.post(f"{API}cases/999999/close/", {"note": "x"}, format="json").status_code == 404
    assert sup.post(f"{API}cases/{sc.pk}/answer/", {"answer": "x"}, format="json").status_code == 403
    assert api_client_for(people.handler_a).post(f"{API}cases/{sc.pk}/answer/", {}, format="json").status_code == 400
    assert api_client_for(None).get(f"{API}cases/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("name", "list_count", "worklist", "open_status"),
    [
        ("supervisor", 1, 200, 201),
        ("dispatcher", 1, 200, 403),
        ("handler_a", 1, 403, 403),
        ("unit_admin_a", 1, 403, 403),
        ("handler_b", 0, 403, 403),
        ("operator", None, 403, 403),
        ("citizen", None, 403, 403),
        ("auditor", None, 403, 403),
    ],
)
def test_api_per_role(
    name: str,
    list_count: int | None,
    worklist: int,
    open_status: int,
    sc: SupervisionCase,
    people: SimpleNamespace,
    district: Any,
    categories: Any,
    api_client_for: Callable[[Any], APIClient],
) -> None:
    client = api_client_for(getattr(people, name))
    listed = client.get(f"{API}cases/")
    if list_count is None:
        assert listed.status_code == 403
    else:
        assert listed.status_code == 200 and listed.json()["count"] == list_count
        detail = client.get(f"{API}cases/{sc.pk}/")
        assert detail.status_code == (200 if list_count else 403)
    assert client.get(f"{API}worklist/").status_code == worklist
    other = make_order(people, district, categories.facilities, Status.HANDLING)
    assert client.post(f"{API}cases/", {"order": other.number, "reason": "r"}, format="json").status_code == open_status


def test_api_list_filters(
    sc: SupervisionCase, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    client = api_client_for(people.dispatcher)
    assert client.get(f"{API}cases/", {"status": "open"}).json()["count"] == 1
    assert client.get(f"{API}cases/", {"status": "closed"}).json()["count"] == 0
    assert client.get(f"{API}cases/", {"unit": "LS-ZJ"}).json()["count"] == 1
    assert client.get(f"{API}cases/", {"order": sc.case.number}).json()["count"] == 1
    assert client.get(f"{API}cases/", {"overdue": "true"}).json()["count"] == 0
    assert client.get(f"{API}cases/", {"status": "bogus"}).status_code == 400
    assert client.get(f"{API}cases/", {"overdue": "maybe"}).status_code == 400


def test_api_worklist_and_escalation(
    order: WorkOrder, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    assert order.due_at is not None
    escalation = Escalation.objects.create(case_id=order.pk, due_at=order.due_at, escalated_at=order.due_at)
    sup = api_client_for(people.supervisor)
    body = sup.get(f"{API}worklist/").json()
    assert [e["order"] for e in body["escalations"]] == [order.number]
    assert set(body) == {"escalations", "open_cases", "answered_cases", "most_urged"}
    assert (
        api_client_for(people.dispatcher).post(f"{API}escalations/{escalation.pk}/handle/", {}, format="json")
    ).status_code == 403
    handled = sup.post(f"{API}escalations/{escalation.pk}/handle/", {"note": "已处理"}, format="json")
    assert handled.status_code == 200 and handled.json()["status"] == "handled"
    assert sup.get(f"{API}worklist/").json()["escalations"] == []


PAGES = {
    "supervision:worklist": {"supervisor", "dispatcher"},
    "supervision:unit": {"handler_a", "handler_b", "unit_admin_a"},
}


@pytest.mark.parametrize("page", list(PAGES))
def test_pages_per_role(page: str, sc: SupervisionCase, people: SimpleNamespace) -> None:
    for name in ("operator", "dispatcher", "supervisor", "handler_a", "handler_b", "unit_admin_a", "citizen"):
        response = client_for(getattr(people, name)).get(reverse(page))
        assert response.status_code == (200 if name in PAGES[page] else 403), name
    assert Client().get(reverse(page)).status_code == 302


def test_worklist_shows_the_case_and_escalations(sc: SupervisionCase, people: SimpleNamespace) -> None:
    assert sc.case.due_at is not None
    Escalation.objects.create(case_id=sc.case_id, due_at=sc.case.due_at, escalated_at=sc.case.due_at)
    page = client_for(people.supervisor).get(reverse("supervision:worklist")).content.decode()
    assert sc.case.number in page and "请尽快办结" in page
    assert reverse("supervision:case_action", args=[sc.pk, "close"]) in page
    assert 'data-testid="escalation"' in page
    dispatcher_page = client_for(people.dispatcher).get(reverse("supervision:worklist")).content.decode()
    assert sc.case.number in dispatcher_page
    assert reverse("supervision:case_action", args=[sc.pk, "close"]) not in dispatcher_page


def test_unit_answers_from_the_order_page(sc: SupervisionCase, people: SimpleNamespace) -> None:
    client = client_for(people.handler_a)
    detail_url = reverse("workorders:detail", args=[sc.case.number])
    page = client.get(detail_url).content.decode()
    answer_url = reverse("supervision:case_action", args=[sc.pk, "answer"])
    assert 'data-testid="supervision-panel"' in page and answer_url in page
    inbox = client.get(reverse("workorders:inbox")).content.decode()
    assert 'data-testid="unit-supervision"' in inbox and sc.case.number in inbox
    assert client.post(answer_url, {"answer": ""}).status_code == 400
    response = client.post(answer_url, {"answer": "已修复", "next": detail_url})
    assert response.status_code == 302 and response["Location"] == detail_url
    assert SupervisionCase.objects.get(pk=sc.pk).status == "answered"
    # Another unit neither sees the panel nor may answer.
    other = client_for(people.handler_b)
    assert other.post(answer_url, {"answer": "x"}).status_code == 403


def test_supervisor_opens_from_the_worklist_form(order: WorkOrder, people: SimpleNamespace) -> None:
    client = client_for(people.supervisor)
    url = reverse("supervision:case_open")
    assert client.post(url, {"order": order.number, "reason": ""}).status_code == 400
    assert client.post(url, {"order": order.number, "reason": "r", "answer_days": "99"}).status_code == 400
    assert client.post(url, {"order": "20990101000001", "reason": "r"}).status_code == 404
    response = client.post(url, {"order": order.number, "reason": "列入督办", "answer_days": "2"})
    assert response.status_code == 302
    assert client.post(url, {"order": order.number, "reason": "again"}).status_code == 409
    assert client_for(people.dispatcher).post(url, {"order": order.number, "reason": "r"}).status_code == 403
    page = client.get(reverse("workorders:detail", args=[order.number])).content.decode()
    assert "列入督办" in page and "督办" in page


def test_unknown_case_action_is_404(sc: SupervisionCase, people: SimpleNamespace) -> None:
    client = client_for(people.supervisor)
    assert client.post(reverse("supervision:case_action", args=[sc.pk, "explode"]), {}).status_code == 404


@pytest.mark.parametrize(
    ("who", "action", "body"),
    [
        ("handler_b", "answer", {}),  # another unit's handler, no body at all
        ("handler_b", "answer", {"answer": ["not", "text"]}),
        ("supervisor", "answer", {"answer": ""}),  # a supervisor does not answer
        ("handler_a", "note", {"note": 7}),  # the unit does not write 督办 notes
        ("handler_a", "reopen", {"reason": "", "answer_days": "abc"}),
    ],
)
def test_api_the_actor_is_checked_before_the_body(
    sc: SupervisionCase,
    people: SimpleNamespace,
    api_client_for: Callable[[Any], APIClient],
    who: str,
    action: str,
    body: dict[str, Any],
) -> None:
    """Finding 7e of the security review: 403 for a stranger whatever the body, never a 400 that describes it."""
    response = api_client_for(getattr(people, who)).post(f"{API}cases/{sc.pk}/{action}/", body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_the_body_is_checked_before_the_status(
    sc: SupervisionCase, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    handler = api_client_for(people.handler_a)
    assert handler.post(f"{API}cases/{sc.pk}/answer/", {"answer": "已完成"}, format="json").status_code == 200
    assert handler.post(f"{API}cases/{sc.pk}/answer/", {}, format="json").status_code == 400
    assert handler.post(f"{API}cases/{sc.pk}/answer/", {"answer": "再答"}, format="json").status_code == 409


def test_escalations_check_the_role_before_the_body(
    people: SimpleNamespace, api_client_for: Callable[[Any], APIClient]
) -> None:
    response = api_client_for(people.handler_a).post(f"{API}escalations/1/handle/", {"note": 7}, format="json")
    assert response.status_code == 403


def test_pages_check_the_actor_before_the_form(sc: SupervisionCase, people: SimpleNamespace) -> None:
    url = reverse("supervision:case_action", args=[sc.pk, "answer"])
    assert client_for(people.handler_b).post(url, {}).status_code == 403
    assert client_for(people.handler_a).post(url, {}).status_code == 400


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200c\u200d\ufeff", "\u202e\u202d", " \u2066\u2069 "])
def test_invisible_text_is_empty(
    sc: SupervisionCase, people: SimpleNamespace, api_client_for: Callable[[Any], APIClient], text: str
) -> None:
    """Finding 7b: text made only of zero-width or bidi characters is refused as empty, through the API and services."""
    response = api_client_for(people.handler_a).post(f"{API}cases/{sc.pk}/answer/", {"answer": text}, format="json")
    assert response.status_code == 400
    with pytest.raises(ValidationFailed):
        services.supervision_case_note(case_id=sc.pk, actor=people.supervisor, note=text)
