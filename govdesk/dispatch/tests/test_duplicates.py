"""Duplicates at intake: storing signatures, finding candidates, the two API endpoints, merge from a suggestion."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.common import clock
from govdesk.dispatch.duplicates import duplicate_candidates, duplicate_signature_store, workorder_similar
from govdesk.dispatch.models import DispatchSettings, DuplicateSignature
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order

pytestmark = pytest.mark.django_db

LAMP_TITLE = "滨河北路路灯不亮"
LAMP_CONTENT = "滨河北路与永宁路交叉口的三盏路灯已经一周不亮，晚上行人很不安全。"
AGAIN_TITLE = "滨河北路路灯坏了"
AGAIN_CONTENT = "滨河北路与永宁路交叉口的三盏路灯一周都不亮了，晚上行人很不安全，请尽快修。"
WAGES_TITLE = "工地拖欠农民工工资"
WAGES_CONTENT = "某建筑工地拖欠二十多名农民工半年工资共计三十万元，多次讨要未果，请劳动监察部门处理。"


def _signed(order: WorkOrder) -> WorkOrder:
    duplicate_signature_store(order)
    return order


def _register(people: SimpleNamespace, category: Any, **overrides: Any) -> WorkOrder:
    return _signed(services.workorder_register(actor=people.operator, data=intake(category, **overrides)))


def test_signature_store_is_idempotent(people: SimpleNamespace, categories: SimpleNamespace) -> None:
    order = _register(people, categories.facilities)
    first = sorted(DuplicateSignature.objects.filter(case_id=order.pk).values_list("band", "value"))
    assert duplicate_signature_store(order) == 16
    duplicate_signature_store(order)
    again = sorted(DuplicateSignature.objects.filter(case_id=order.pk).values_list("band", "value"))
    assert first == again
    assert len(again) == 16
    assert DuplicateSignature.objects.filter(case_id=order.pk).first().created_at == order.created_at  # type: ignore[union-attr]


def test_order_without_letters_gets_no_signature(people: SimpleNamespace, categories: SimpleNamespace) -> None:
    order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    order.title, order.content = "！！", "😀😀"
    assert duplicate_signature_store(order) == 0
    assert not DuplicateSignature.objects.filter(case_id=order.pk).exists()


def test_near_duplicate_found_unrelated_not(people: SimpleNamespace, categories: SimpleNamespace) -> None:
    lamp = _register(people, categories.facilities, title=LAMP_TITLE, content=LAMP_CONTENT)
    _register(people, categories.wages, title=WAGES_TITLE, content=WAGES_CONTENT, address="")
    found = duplicate_candidates(
        user=people.operator, title=AGAIN_TITLE, content=AGAIN_CONTENT, address="离石区滨河北路20号"
    )
    assert [c.order.number for c in found] == [lamp.number]
    codes = {r["code"] for r in found[0].reasons}
    assert codes == {"similar_text", "same_street", "same_address"}
    assert found[0].score > found[0].similarity
    assert (
        duplicate_candidates(user=people.operator, title="公交车改线", content="12路公交车突然改线，没有公告。") == []
    )


def test_place_bonus_only_for_the_same_street(people: SimpleNamespace, categories: SimpleNamespace) -> None:
    _register(people, categories.facilities, title=LAMP_TITLE, content=LAMP_CONTENT, address="离石区滨河北路18号")
    far = duplicate_candidates(user=people.operator, title=AGAIN_TITLE, content=AGAIN_CONTENT, address="城北开发区")
    near = duplicate_candidates(user=people.operator, title=AGAIN_TITLE, content=AGAIN_CONTENT, address="永宁路5号")
    assert [r["code"] for r in far[0].reasons] == ["similar_text"]
    assert [r["code"] for r in near[0].reasons] == ["similar_text", "same_street"]
    assert near[0].score > far[0].score


@pytest.mark.parametrize("status", [Status.CLOSED, Status.MERGED, Status.CANCELLED])
def test_closed_merged_and_cancelled_orders_are_not_candidates(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, status: Status
) -> None:
    order = _signed(make_order(people, district, categories.facilities, status, title=LAMP_TITLE, content=LAMP_CONTENT))
    assert order.status == status
    found = duplicate_candidates(user=people.operator, title=AGAIN_TITLE, content=AGAIN_CONTENT)
    assert order.number not in [c.order.number for c in found]


def test_open_orders_in_every_open_status_are_candidates(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    handling = _signed(
        make_order(people, district, categories.facilities, Status.HANDLING, title=LAMP_TITLE, content=LAMP_CONTENT)
    )
    found = duplicate_candidates(user=people.operator, title=AGAIN_TITLE, content=AGAIN_CONTENT)
    assert [c.order.number for c in found] == [handling.number]


def test_orders_older_than_the_window_are_not_candidates(people: SimpleNamespace, categories: SimpleNamespace) -> None:
    window = DispatchSettings.current().duplicate_window_days
    with clock.at(clock.now() - timedelta(days=window + 1)):
        old = _register(people, categories.facilities, title=LAMP_TITLE, content=LAMP_CONTENT)
    with clock.at(clock.now() - timedelta(days=window - 1)):
        recent = _register(people, categories.facilities, title=LAMP_TITLE, content=LAMP_CONTENT)
    found = [
        c.order.number for c in duplicate_candidates(user=people.operator, title=AGAIN_TITLE, content=AGAIN_CONTENT)
    ]
    assert found == [recent.number]
    assert old.number not in found


def test_similar_never_lists_the_order_itself(people: SimpleNamespace, categories: SimpleNamespace) -> None:
    first = _register(people, categories.facilities, title=LAMP_TITLE, content=LAMP_CONTENT)
    second = _register(people, categories.facilities, title=AGAIN_TITLE, content=AGAIN_CONTENT)
    assert [c.order.number for c in workorder_similar(user=people.operator, order=second)] == [first.number]
    assert [c.order.number for c in workorder_similar(user=people.operator, order=first)] == [second.number]


# --- API ----------------------------------------------------------------------------------------------------------


def test_similar_api_contract(people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any) -> None:
    first = _register(people, categories.facilities, title=LAMP_TITLE, content=LAMP_CONTENT)
    second = _register(people, categories.facilities, title=AGAIN_TITLE, content=AGAIN_CONTENT)
    response = api_client_for(people.dispatcher).get(f"/api/v1/workorders/{second.number}/similar/")
    assert response.status_code == 200
    (item,) = response.json()
    assert item["number"] == first.number
    assert set(item) == {"number", "title", "status", "status_display", "created_at", "score", "similarity", "reasons"}
    assert item["status"] == "new"
    assert 0 < item["similarity"] <= item["score"] <= 1
    assert item["reasons"][0]["code"] == "similar_text"


def test_similar_api_visibility_per_role(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    # Two near-duplicates at dept_a, one at dept_b; the asked order is dept_a's.
    a1 = _signed(
        make_order(people, district, categories.facilities, Status.DISPATCHED, title=LAMP_TITLE, content=LAMP_CONTENT)
    )
    a2 = _signed(
        make_order(people, district, categories.facilities, Status.HANDLING, title=AGAIN_TITLE, content=AGAIN_CONTENT)
    )
    b1 = _signed(
        make_order(
            people,
            district,
            categories.facilities,
            Status.DISPATCHED,
            unit=district.dept_b,
            title=LAMP_TITLE,
            content=LAMP_CONTENT + "补充",
        )
    )
    url = f"/api/v1/workorders/{a2.number}/similar/"

    def numbers(user: Any) -> set[str]:
        response = api_client_for(user).get(url)
        assert response.status_code == 200, response.content
        return {item["number"] for item in response.json()}

    assert numbers(people.operator) == {a1.number, b1.number}
    assert numbers(people.supervisor) == {a1.number, b1.number}
    assert numbers(people.handler_a) == {a1.number}  # dept_b's order is not theirs to see
    forbidden = api_client_for(people.handler_b).get(url)
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "permission_denied"
    # A citizen who may not see the order is answered as for an unused number (finding 7d of the security review).
    assert api_client_for(people.citizen).get(url).status_code == 404
    assert api_client_for(None).get(url).status_code in (401, 403)


def test_similar_api_errors(people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any) -> None:
    order = _register(people, categories.facilities)
    client = api_client_for(people.operator)
    assert client.get("/api/v1/workorders/20990101000001/similar/").status_code == 404
    assert client.get("/api/v1/workorders/bad%00number/similar/").status_code == 404
    for limit in ("abc", "0", "21", "-1"):
        response = client.get(f"/api/v1/workorders/{order.number}/similar/?limit={limit}")
        assert response.status_code == 400, limit
        assert response.json()["code"] == "invalid"
        assert "limit" in response.json()["fields"]


def test_duplicates_api_contract_and_roles(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    lamp = _register(people, categories.facilities, title=LAMP_TITLE, content=LAMP_CONTENT)
    body = {"title": AGAIN_TITLE, "content": AGAIN_CONTENT, "address": "离石区滨河北路"}
    for user in (people.operator, people.dispatcher):
        response = api_client_for(user).post("/api/v1/dispatch/duplicates/", body, format="json")
        assert response.status_code == 200
        assert [item["number"] for item in response.json()] == [lamp.number]
    for user in (people.supervisor, people.handler_a, people.citizen, people.sysadmin):
        response = api_client_for(user).post("/api/v1/dispatch/duplicates/", body, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "content"),
        ({"title": "", "content": "   "}, "content"),
        ({"title": "路灯", "content": "灯" * 4001}, "content"),
        ({"title": "灯" * 201, "content": "路灯"}, "title"),
        ({"title": "路灯\x00坏了", "content": "路灯"}, "title"),
        ({"title": ["路灯"], "content": "路灯"}, "title"),
        ({"title": "路灯", "content": "路灯", "limit": "many"}, "limit"),
    ],
)
def test_duplicates_api_rejects_bad_input(
    people: SimpleNamespace, api_client_for: Any, body: dict[str, Any], field: str
) -> None:
    response = api_client_for(people.operator).post("/api/v1/dispatch/duplicates/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    "body",
    [
        {"title": "😀😀😀", "content": "👍👍"},
        {"title": "Streetlight broken", "content": "The streetlight on Main Street has been out for a week."},
        {"title": "\x07\x1b[31m", "content": "\u200b\u202e\x7f"},
        {"title": "", "content": "！？。，、"},
    ],
)
def test_duplicates_api_answers_odd_text_with_a_list(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any, body: dict[str, str]
) -> None:
    _register(people, categories.facilities)
    response = api_client_for(people.operator).post("/api/v1/dispatch/duplicates/", body, format="json")
    assert response.status_code == 200
    assert response.json() == []


def test_duplicates_api_rejects_non_json(people: SimpleNamespace, api_client_for: Any) -> None:
    client = api_client_for(people.operator)
    lone_surrogate = '{"title": "\\ud800路灯", "content": "\\udfff"}'
    assert client.post("/api/v1/dispatch/duplicates/", lone_surrogate, content_type="application/json").status_code in (
        200,
        400,
    )
    response = client.post("/api/v1/dispatch/duplicates/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert client.post("/api/v1/dispatch/duplicates/", "title=x", content_type="text/plain").status_code == 415


def test_merge_from_a_suggestion_end_to_end(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    master = _register(people, categories.facilities, title=LAMP_TITLE, content=LAMP_CONTENT)
    new = _register(people, categories.facilities, title=AGAIN_TITLE, content=AGAIN_CONTENT)
    client = api_client_for(people.operator)
    (suggestion,) = client.get(f"/api/v1/workorders/{new.number}/similar/").json()
    assert suggestion["number"] == master.number
    merged = client.post(f"/api/v1/workorders/{new.number}/merge/", {"master": suggestion["number"]}, format="json")
    assert merged.status_code == 200, merged.content
    new.refresh_from_db()
    assert new.status == Status.MERGED
    assert new.master_id == master.pk
    # The merged order is no longer offered; the master still is.
    third = duplicate_candidates(user=people.operator, title=AGAIN_TITLE, content=AGAIN_CONTENT + "。")
    assert [c.order.number for c in third] == [master.number]


def test_rebuild_command_signs_open_orders_and_prunes_closed_ones(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    from io import StringIO

    from django.core.management import call_command

    open_order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    closed = _signed(make_order(people, district, categories.facilities, Status.CLOSED))
    out = StringIO()
    call_command("dispatch_signatures_rebuild", stdout=out)
    assert DuplicateSignature.objects.filter(case_id=open_order.pk).count() == 16
    assert not DuplicateSignature.objects.filter(case_id=closed.pk).exists()
    assert "signed 1 open orders" in out.getvalue()


def test_console_has_the_duplicates_panel(client: Any, people: SimpleNamespace, categories: SimpleNamespace) -> None:
    order = _register(people, categories.facilities)
    client.force_login(people.operator)
    page = client.get("/console/").content.decode()
    assert 'id="duplicates-panel"' in page
    assert 'data-check-url="/api/v1/dispatch/duplicates/"' in page
    assert "dispatch/duplicates.js" in page
    assert "data-merge-url" not in page
    registered = client.get(f"/console/?registered={order.number}").content.decode()
    assert f'data-similar-url="/api/v1/workorders/{order.number}/similar/"' in registered
    assert f'data-merge-url="/api/v1/workorders/{order.number}/merge/"' in registered
    assert "<script>" not in registered
