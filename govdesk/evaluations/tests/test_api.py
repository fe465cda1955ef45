"""The 好差评 API: the contract's keys, scoping, the rectification actions, and a readable 4xx for bad requests."""

from __future__ import annotations

from typing import Any

import pytest

from govdesk.evaluations import services
from govdesk.evaluations.models import Evaluation, Rectification

from .helpers import bad_rating, citizen_order, closed_order

pytestmark = pytest.mark.django_db


def test_post_evaluation_contract(people, district, categories, api_client_for) -> None:
    order = citizen_order(people, district, categories)
    response = api_client_for(people.citizen).post(
        "/api/v1/evaluations/", {"case": order.number, "level": 5, "comment": "满意"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"case", "level", "comment", "channel", "rated_at", "rectification"} <= set(body)
    assert (body["case"], body["level"], body["channel"], body["rectification"]) == (order.number, 5, "api", None)


def test_a_bad_rating_answers_its_rectification(people, district, categories, api_client_for) -> None:
    order = citizen_order(people, district, categories)
    response = api_client_for(people.citizen).post(
        "/api/v1/evaluations/", {"case": order.number, "level": 1}, format="json"
    )
    assert response.status_code == 201
    rect = Rectification.objects.get()
    assert response.json()["rectification"]["number"] == rect.number
    assert response.json()["rectification"]["due_at"]


def test_post_errors(people, district, categories, api_client_for) -> None:
    order = citizen_order(people, district, categories)
    client = api_client_for(people.citizen)
    for body in ({}, {"case": order.number}, {"case": order.number, "level": 9}, {"case": "../x", "level": 5}):
        response = client.post("/api/v1/evaluations/", body, format="json")
        assert response.status_code == 400 and response.json()["message"]
    assert client.post("/api/v1/evaluations/", {"case": order.number, "level": 5}, format="json").status_code == 201
    again = client.post("/api/v1/evaluations/", {"case": order.number, "level": 5}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition" and again.json()["message"]
    open_order = closed_order(people, district, categories)
    missing = client.post("/api/v1/evaluations/", {"case": open_order.number, "level": 5}, format="json")
    assert missing.status_code == 404
    handler = api_client_for(people.handler_a).post(
        "/api/v1/evaluations/", {"case": order.number, "level": 5}, format="json"
    )
    assert handler.status_code == 403
    assert api_client_for(None).post("/api/v1/evaluations/", {}, format="json").status_code in (401, 403)


def test_staff_record_at_the_pad_and_link_tokens(people, district, categories, api_client_for) -> None:
    order = closed_order(people, district, categories)
    pad = api_client_for(people.operator).post(
        "/api/v1/evaluations/", {"case": order.number, "level": 3}, format="json"
    )
    assert pad.status_code == 201 and pad.json()["channel"] == "pad"
    token = services.evaluation_link_token(order)
    link = api_client_for(people.citizen).post(
        "/api/v1/evaluations/", {"case": order.number, "level": 4, "token": token}, format="json"
    )
    assert link.status_code == 201 and link.json()["channel"] == "link"
    tampered = api_client_for(people.citizen).post(
        "/api/v1/evaluations/", {"case": order.number, "level": 4, "token": token + "x"}, format="json"
    )
    assert tampered.status_code == 400


def test_lists_are_scoped(people, district, categories, api_client_for) -> None:
    _order, _ev, rect_a = bad_rating(people, district, categories)
    _order_b, _ev_b, rect_b = bad_rating(people, district, categories, unit=district.dept_b)

    def numbers(user: Any, url: str, key: str) -> set[str]:
        response = api_client_for(user).get(url)
        assert response.status_code == 200, response.json()
        return {item[key] for item in response.json()["results"]}

    both = {rect_a.number, rect_b.number}
    assert numbers(people.supervisor, "/api/v1/rectifications/", "number") == both
    assert numbers(people.leader, "/api/v1/rectifications/", "number") == both
    assert numbers(people.handler_a, "/api/v1/rectifications/", "number") == {rect_a.number}
    assert numbers(people.handler_b, "/api/v1/rectifications/", "number") == {rect_b.number}
    assert numbers(people.citizen, "/api/v1/rectifications/", "number") == both
    assert numbers(people.other_citizen, "/api/v1/rectifications/", "number") == set()
    assert len(numbers(people.supervisor, "/api/v1/evaluations/", "case")) == 2
    assert numbers(people.handler_a, "/api/v1/evaluations/", "case") == {rect_a.evaluation.case.number}
    assert numbers(people.other_citizen, "/api/v1/evaluations/", "case") == set()
    for user in (people.sysadmin, people.auditor):
        assert api_client_for(user).get("/api/v1/rectifications/").status_code == 403
    assert api_client_for(people.handler_b).get(f"/api/v1/rectifications/{rect_a.number}/").status_code == 403
    detail = api_client_for(people.handler_a).get(f"/api/v1/rectifications/{rect_a.number}/")
    assert detail.status_code == 200 and detail.json()["timeline"][0]["action"] == "open"
    assert api_client_for(people.supervisor).get("/api/v1/rectifications/ZG1/").status_code == 404
    bad = api_client_for(people.supervisor).get("/api/v1/rectifications/?status=nonsense")
    assert bad.status_code == 400


def test_rectification_actions_through_the_api(people, district, categories, api_client_for) -> None:
    _order, evaluation, rect = bad_rating(people, district, categories)
    base = f"/api/v1/rectifications/{rect.number}"
    supervisor, handler = api_client_for(people.supervisor), api_client_for(people.handler_a)
    # The actor (403) before the body (400) before the status (409).
    assert handler.post(f"{base}/verify/", {}, format="json").status_code == 403
    assert supervisor.post(f"{base}/verify/", {}, format="json").status_code == 400
    assert handler.post(f"{base}/answer/", {"answer": "x"}, format="json").status_code == 409
    appeal = handler.post(f"{base}/appeal/", {"reason": "不属实"}, format="json")
    assert appeal.status_code == 200 and appeal.json()["status"] == "appealed"
    decided = supervisor.post(f"{base}/decide-appeal/", {"upheld": False, "note": "驳回"}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "verifying"
    verified = supervisor.post(f"{base}/verify/", {"justified": True, "note": "属实"}, format="json")
    assert verified.json()["status"] == "rectifying"
    answered = handler.post(f"{base}/answer/", {"answer": "已整改并回访。"}, format="json")
    assert answered.status_code == 200
    assert {"number", "status", "due_at", "answer", "answered_on_time", "rated_case", "level", "timeline"} <= set(
        answered.json()
    )
    assert answered.json()["status"] == "answered" and answered.json()["rated_case"] == evaluation.case.number
    assert supervisor.post(f"{base}/close/", {"note": ""}, format="json").json()["status"] == "closed"
    assert supervisor.post(f"{base}/nonsense/", {}, format="json").status_code == 404


def test_rating_the_rectification_through_the_api(people, district, categories, api_client_for) -> None:
    _order, _evaluation, rect = bad_rating(people, district, categories)
    services.rectification_verify(number=rect.number, actor=people.supervisor, justified=True)
    services.rectification_answer(number=rect.number, actor=people.handler_a, answer="已整改。")
    response = api_client_for(people.citizen).post(
        "/api/v1/evaluations/", {"case": rect.number, "level": 4}, format="json"
    )
    assert response.status_code == 201 and response.json()["case_kind"] == "rectification"
    assert Evaluation.objects.filter(case_id=rect.pk).count() == 1


def test_list_query_count_does_not_grow(
    people, district, categories, api_client_for, django_assert_max_num_queries
) -> None:
    for _ in range(3):
        bad_rating(people, district, categories)
    client = api_client_for(people.supervisor)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/evaluations/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/rectifications/").status_code == 200
