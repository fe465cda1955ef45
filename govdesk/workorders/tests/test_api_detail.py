"""API contract: order detail (masking per role, allowed actions, timeline), reveal, lookup, attachments, schema."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework.test import APIClient

from govdesk.audit.models import AuditEvent
from govdesk.cases.attachments import attachment_check
from govdesk.cases.services import case_attachments_add
from govdesk.workorders import services
from govdesk.workorders.states import Status
from govdesk.workorders.tests.api_support import PDF_BYTES, counts, png_bytes, url
from govdesk.workorders.tests.factories import make_order

pytestmark = pytest.mark.django_db

DETAIL_KEYS = {
    "number",
    "status",
    "status_display",
    "title",
    "content",
    "channel",
    "request_type",
    "category",
    "urgency",
    "address",
    "latitude",
    "longitude",
    "citizen_name",
    "citizen_phone",
    "citizen_id_number",
    "confidential",
    "primary_unit",
    "co_units",
    "created_at",
    "sign_due_at",
    "due_at",
    "is_overdue",
    "is_due_soon",
    "dispatched_at",
    "signed_at",
    "replied_at",
    "closed_at",
    "reply",
    "answer",
    "visit_resolved",
    "visit_satisfaction",
    "visited_at",
    "reopen_count",
    "return_count",
    "urge_count",
    "master",
    "children",
    "attachments",
    "allowed_actions",
    "timeline",
}


@pytest.fixture
def handling(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> Any:
    order = make_order(
        people,
        district,
        categories.facilities,
        Status.HANDLING,
        co_units=[district.street],
        citizen_user=people.citizen,
        latitude="37.518123",
        longitude="111.141234",
    )
    # Internal events a citizen must not see: an urge and a process note.
    services.workorder_urge(order=order.number, actor=people.supervisor, note="请加快办理")
    services.workorder_note(order=order.number, actor=people.handler_a, note="内部：已联系施工队")
    return order


def test_detail_has_every_field(people: SimpleNamespace, handling: Any, api_client_for: Any) -> None:
    response = api_client_for(people.dispatcher).get(url(handling.number))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == DETAIL_KEYS
    assert body["status"] == "handling"
    assert body["primary_unit"] == {"code": "LS-ZJ", "name": "区住建局"}
    assert body["co_units"] == [{"code": "LS-BH", "name": "滨河街道"}]
    assert body["latitude"] == pytest.approx(37.518123)
    assert body["due_at"].endswith("+08:00")
    assert body["master"] is None
    assert body["children"] == []
    assert [e["action"] for e in body["timeline"]] == ["register", "dispatch", "sign", "urge", "note"]
    urge = body["timeline"][3]
    assert urge["actor"] == "supervisor"
    assert urge["unit"] == "12345热线中心"
    assert urge["note"] == "请加快办理"
    assert urge["from_status"] == urge["to_status"] == "handling"
    assert set(body["allowed_actions"]) == {"review-extension", "urge", "note", "cancel", "merge"}


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("operator", {"note", "merge"}),
        ("supervisor", {"review-extension", "urge", "supervise"}),
        ("handler_a", {"request-extension", "reply", "note"}),
        ("unit_admin_a", {"request-extension", "reply", "note"}),
        ("street_handler", {"note"}),  # a co-unit adds notes but does not reply
        ("citizen", set()),
    ],
)
def test_allowed_actions_follow_the_table_role_and_unit(
    people: SimpleNamespace, handling: Any, api_client_for: Any, who: str, allowed: set[str]
) -> None:
    body = api_client_for(getattr(people, who)).get(url(handling.number)).json()
    assert set(body["allowed_actions"]) == allowed


def test_phone_and_id_are_always_masked(people: SimpleNamespace, handling: Any, api_client_for: Any) -> None:
    for who in ("operator", "dispatcher", "supervisor", "handler_a", "street_handler", "citizen"):
        body = api_client_for(getattr(people, who)).get(url(handling.number)).json()
        assert body["citizen_phone"] == "138****5678", who
        assert body["citizen_id_number"] == "110105********002X", who
        assert "13812345678" not in str(body)


@pytest.mark.parametrize(
    ("who", "confidential", "name"),
    [
        ("operator", False, "王小明"),
        ("operator", True, "王小明"),
        ("supervisor", False, "王小明"),
        ("supervisor", True, "王**"),
        ("handler_a", False, "王小明"),
        ("handler_a", True, "王**"),
        ("street_handler", True, "王**"),
        ("citizen", True, "王小明"),  # their own name
    ],
)
def test_name_is_masked_for_roles_that_may_not_reveal(
    people: SimpleNamespace,
    district: SimpleNamespace,
    categories: SimpleNamespace,
    api_client_for: Any,
    who: str,
    confidential: bool,
    name: str,
) -> None:
    order = make_order(
        people,
        district,
        categories.facilities,
        Status.HANDLING,
        co_units=[district.street],
        citizen_user=people.citizen,
        confidential=confidential,
    )
    assert api_client_for(getattr(people, who)).get(url(order.number)).json()["citizen_name"] == name


def test_citizen_sees_only_the_public_timeline(people: SimpleNamespace, handling: Any, api_client_for: Any) -> None:
    body = api_client_for(people.citizen).get(url(handling.number)).json()
    assert [e["action"] for e in body["timeline"]] == ["register", "dispatch", "sign"]
    assert "内部" not in str(body)
    assert all(e["actor"] is None for e in body["timeline"])  # which unit, not which member of staff
    assert body["timeline"][1]["unit"] == "12345热线中心"


@pytest.mark.parametrize("who", ["handler_b", "community_handler", "sysadmin", "auditor"])
def test_an_order_not_yours_is_403(people: SimpleNamespace, handling: Any, api_client_for: Any, who: str) -> None:
    response = api_client_for(getattr(people, who)).get(url(handling.number))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_citizen_cannot_tell_others_orders_from_unused_numbers(
    people: SimpleNamespace, handling: Any, api_client_for: Any
) -> None:
    """Finding 7d of the security review: numbers are sequential; a 403 beside a 404 would show which exist."""
    client = api_client_for(people.other_citizen)
    unused = "20260101999999"
    [pdf] = case_attachments_add(
        case=handling, files=[attachment_check(name="证明.pdf", data=PDF_BYTES)], actor=people.operator
    )
    for path in ("", f"attachments/{pdf.pk}/"):
        theirs, nobodys = client.get(f"{url(handling.number)}{path}"), client.get(f"{url(unused)}{path}")
        assert theirs.status_code == nobodys.status_code == 404, path
        assert theirs.json()["code"] == nobodys.json()["code"] == "not_found"
        same = theirs.json()["message"].replace(handling.number, "N") == nobodys.json()["message"].replace(unused, "N")
        assert same, (theirs.json(), nobodys.json())
    reveal = {"field": "citizen_phone"}
    theirs = client.post(f"{url(handling.number)}reveal/", reveal, format="json")
    nobodys = client.post(f"{url(unused)}reveal/", reveal, format="json")
    assert theirs.status_code == nobodys.status_code == 404


@pytest.mark.parametrize("number", ["20260101999999", "nope", "x" * 40, "a%00b", "..%2F..", "20260101%0A"])
def test_no_such_order_is_404(people: SimpleNamespace, api_client_for: Any, number: str) -> None:
    response = api_client_for(people.operator).get(f"/api/v1/workorders/{number}/")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message"}


def test_detail_needs_a_login(people: SimpleNamespace, handling: Any) -> None:
    assert APIClient().get(url(handling.number)).status_code == 401


# --- reveal -----------------------------------------------------------------------------------------------------------


def reveal(client: APIClient, number: str, field: str) -> Any:
    return client.post(url(number, "reveal"), {"field": field}, format="json", REMOTE_ADDR="10.0.0.8")


@pytest.mark.parametrize(
    ("who", "field", "value"),
    [
        ("operator", "citizen_phone", "13812345678"),
        ("dispatcher", "citizen_id_number", "11010519491231002X"),
        ("supervisor", "citizen_phone", "13812345678"),
        ("handler_a", "citizen_phone", "13812345678"),
    ],
)
def test_reveal_gives_the_value_and_is_audited(
    people: SimpleNamespace, handling: Any, api_client_for: Any, who: str, field: str, value: str
) -> None:
    before = counts()
    response = reveal(api_client_for(getattr(people, who)), handling.number, field)
    assert response.status_code == 200
    assert response.json() == {"value": value}
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.action, event.object_id, event.note, event.success) == ("pii.view", handling.number, field, True)
    assert event.actor == getattr(people, who)
    assert event.ip_address == "10.0.0.8"
    assert counts() == (before[0], before[1], before[2] + 1, before[3])


@pytest.mark.parametrize(
    ("who", "field"),
    [
        ("supervisor", "citizen_id_number"),
        ("handler_a", "citizen_id_number"),
        ("citizen", "citizen_phone"),
        ("handler_b", "citizen_phone"),
        ("auditor", "citizen_phone"),
    ],
)
def test_refused_reveal_is_403_and_the_attempt_is_audited(
    people: SimpleNamespace, handling: Any, api_client_for: Any, who: str, field: str
) -> None:
    before = counts()
    response = reveal(api_client_for(getattr(people, who)), handling.number, field)
    assert response.status_code == 403
    assert "1381234" not in str(response.json())
    # Nothing changes on the order; the refused attempt itself is on the audit trail, on purpose.
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert (event.action, event.success) == ("pii.view", False)
    assert counts() == (before[0], before[1], before[2] + 1, before[3])


def test_reveal_on_a_confidential_order_is_for_the_centre_only(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING, confidential=True)
    assert reveal(api_client_for(people.handler_a), order.number, "citizen_phone").status_code == 403
    assert reveal(api_client_for(people.supervisor), order.number, "citizen_phone").status_code == 403
    assert reveal(api_client_for(people.operator), order.number, "citizen_phone").status_code == 200


@pytest.mark.parametrize("body", [{"field": "citizen_name"}, {"field": "password"}, {}, {"field": ["citizen_phone"]}])
def test_reveal_of_other_fields_is_400_and_writes_nothing(
    people: SimpleNamespace, handling: Any, api_client_for: Any, body: dict[str, Any]
) -> None:
    before = counts()
    response = api_client_for(people.operator).post(url(handling.number, "reveal"), body, format="json")
    assert response.status_code == 400
    assert counts() == before


def test_reveal_of_a_missing_order_is_404(people: SimpleNamespace, api_client_for: Any) -> None:
    assert reveal(api_client_for(people.operator), "20990101000001", "citizen_phone").status_code == 404


# --- lookup by phone --------------------------------------------------------------------------------------------------


def test_operator_finds_a_callers_earlier_orders(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, handling: Any, api_client_for: Any
) -> None:
    other = make_order(people, district, categories.wages, Status.NEW, citizen_phone="13900001111")
    response = api_client_for(people.operator).post(url() + "lookup/", {"phone": "138 1234 5678"}, format="json")
    assert response.status_code == 200
    rows = response.json()
    assert [r["number"] for r in rows] == [handling.number]
    assert rows[0]["citizen_phone"] == "138****5678"
    found = api_client_for(people.dispatcher).post(url() + "lookup/", {"phone": "13900001111"}, format="json").json()
    assert [r["number"] for r in found] == [other.number]


@pytest.mark.parametrize("who", ["supervisor", "handler_a", "citizen"])
def test_lookup_is_for_operators_and_dispatchers(people: SimpleNamespace, api_client_for: Any, who: str) -> None:
    response = api_client_for(getattr(people, who)).post(url() + "lookup/", {"phone": "13812345678"}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("phone", ["", "123", "1381234567x", "\x00" * 11])
def test_lookup_needs_a_valid_phone(people: SimpleNamespace, api_client_for: Any, phone: str) -> None:
    response = api_client_for(people.operator).post(url() + "lookup/", {"phone": phone}, format="json")
    assert response.status_code == 400


# --- attachments --------------------------------------------------------------------------------------------------


def test_attachments_are_downloaded_only_by_those_who_see_the_order(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, handling: Any, api_client_for: Any
) -> None:
    [pdf] = case_attachments_add(
        case=handling, files=[attachment_check(name="证明.pdf", data=PDF_BYTES)], actor=people.operator
    )
    other = make_order(people, district, categories.wages, Status.NEW)
    [png] = case_attachments_add(case=other, files=[attachment_check(name="a.png", data=png_bytes())], actor=None)
    path = f"{url(handling.number)}attachments/{pdf.pk}/"

    ok = api_client_for(people.handler_a).get(path)
    assert ok.status_code == 200
    assert b"".join(ok.streaming_content) == PDF_BYTES
    assert ok["Content-Type"] == "application/pdf"
    assert "attachment" in ok["Content-Disposition"]
    assert ok["X-Content-Type-Options"] == "nosniff"

    assert api_client_for(people.handler_b).get(path).status_code == 403
    assert api_client_for(people.other_citizen).get(path).status_code == 404  # a citizen: as if there were none
    assert APIClient().get(path).status_code == 401
    # Another order's attachment through this order's URL: no such attachment here.
    assert api_client_for(people.operator).get(f"{url(handling.number)}attachments/{png.pk}/").status_code == 404
    assert api_client_for(people.operator).get(f"{url(handling.number)}attachments/999999/").status_code == 404

    listed = api_client_for(people.citizen).get(url(handling.number)).json()["attachments"]
    assert listed == [
        {
            "id": pdf.pk,
            "name": "证明.pdf",
            "type": "application/pdf",
            "size": len(PDF_BYTES),
            "url": f"http://testserver{path}",
        }
    ]


# --- schema ---------------------------------------------------------------------------------------------------------


def test_openapi_schema_and_docs_page(db: Any) -> None:
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for action in (
        "dispatch",
        "sign",
        "return",
        "review-return",
        "request-extension",
        "review-extension",
        "reply",
        "visit",
        "reopen",
        "merge",
        "urge",
        "answer",
        "cancel",
        "supervise",
        "note",
    ):
        assert f"/api/v1/workorders/{{number}}/{action}/" in paths
    assert "/api/v1/calendar/deadline/" in paths
    assert "Error" in schema.json()["components"]["schemas"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    # Everything from our own server (no CDN): static files, and the init script served beside the page for CSP.
    assert re.findall(rb'(?:src|href)="(?!/static/|/api/docs/\?script)', docs.content) == []
    assert client.get("/api/docs/?script=").status_code == 200
