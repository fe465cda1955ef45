"""API contract: POST /api/v1/workorders/ (JSON and multipart), roles, channels, bad input, attachments."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import Attachment
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.tests.api_support import EXE_BYTES, PDF_BYTES, counts, png_bytes, url
from govdesk.workorders.tests.factories import VALID_INTAKE

pytestmark = pytest.mark.django_db


@pytest.fixture
def payload(categories: SimpleNamespace) -> dict[str, Any]:
    data = {k: v for k, v in VALID_INTAKE.items() if k != "channel"}
    return {**data, "category": categories.facilities.pk}


def test_operator_registers_an_order_as_json(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    before = counts()
    response = api_client_for(people.operator).post(url(), payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    order = WorkOrder.objects.get(number=body["number"])
    assert body["status"] == "new"
    assert body["channel"] == "api"  # not given: the API is the channel
    assert body["category"] == {"id": order.category_id, "path": "城乡建设/城市建设和市政管理/市政设施"}
    assert body["request_type"]["code"] == "complaint"
    # Stored in full, shown masked: only the reveal endpoint gives the numbers.
    assert order.citizen_phone == "13812345678"
    assert body["citizen_phone"] == "138****5678"
    assert body["citizen_id_number"] == "110105********002X"
    assert body["citizen_name"] == "王小明"  # operators may reveal, so they see the name
    assert order.created_by == people.operator
    assert order.citizen_user is None
    assert [e["action"] for e in body["timeline"]] == ["register"]
    assert body["due_at"] is not None
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1, before[3])


@pytest.mark.parametrize("channel", ["phone", "web", "other", "api"])
def test_operator_chooses_the_channel(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any, channel: str
) -> None:
    response = api_client_for(people.dispatcher).post(url(), {**payload, "channel": channel}, format="json")
    assert response.status_code == 201
    assert response.json()["channel"] == channel


def test_citizen_registers_their_own_order(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    client = api_client_for(people.citizen)
    response = client.post(url(), payload, format="json")
    assert response.status_code == 201
    body = response.json()
    order = WorkOrder.objects.get(number=body["number"])
    assert order.citizen_user == people.citizen
    assert order.channel == "api"
    assert client.get(url(order.number)).status_code == 200
    # Another citizen is told "not found", as for a number nobody uses (finding 7d of the security review).
    assert api_client_for(people.other_citizen).get(url(order.number)).status_code == 404


@pytest.mark.parametrize(("user", "channel"), [("citizen", "phone"), ("citizen", "other"), ("operator", "open311")])
def test_channels_a_caller_may_not_claim(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any, user: str, channel: str
) -> None:
    before = counts()
    response = api_client_for(getattr(people, user)).post(url(), {**payload, "channel": channel}, format="json")
    assert response.status_code == 400
    assert "channel" in response.json()["fields"]
    assert counts() == before


@pytest.mark.parametrize("role", ["handler_a", "unit_admin_a", "supervisor", "sysadmin", "secadmin", "auditor"])
def test_other_roles_may_not_register(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any, role: str
) -> None:
    before = counts()
    response = api_client_for(getattr(people, role)).post(url(), payload, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert counts() == before


def test_anonymous_may_not_register(people: SimpleNamespace, payload: dict[str, Any]) -> None:
    response = APIClient().post(url(), payload, format="json")
    assert response.status_code == 401
    assert not WorkOrder.objects.exists()


def test_content_of_exactly_4000_characters_is_accepted(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    response = api_client_for(people.operator).post(url(), {**payload, "content": "路" * 4000}, format="json")
    assert response.status_code == 201
    assert len(WorkOrder.objects.get().content) == 4000


def test_markup_is_stored_as_text(people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any) -> None:
    title = "<script>alert('x')</script> & 路灯"
    response = api_client_for(people.operator).post(url(), {**payload, "title": title}, format="json")
    assert response.status_code == 201
    assert response.json()["title"] == title
    assert WorkOrder.objects.get().title == title


BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("empty content", {"content": ""}, "content"),
    ("blank content", {"content": "   \n "}, "content"),
    ("4001 characters", {"content": "路" * 4001}, "content"),
    ("missing title", {"title": None}, "title"),
    ("control character in title", {"title": "路灯\x07不亮"}, "title"),
    ("NUL in content", {"content": "路灯\x00不亮"}, "content"),
    ("control character in address", {"address": "滨河北路\x1b18号"}, "address"),
    ("short phone", {"citizen_phone": "12345"}, "citizen_phone"),
    ("letters in phone", {"citizen_phone": "1381234567a"}, "citizen_phone"),
    ("ID checksum", {"citizen_id_number": "110105194912310021"}, "citizen_id_number"),
    ("ID birth date", {"citizen_id_number": "110105194913310029"}, "citizen_id_number"),
    ("ID length", {"citizen_id_number": "11010519491231"}, "citizen_id_number"),
    ("unknown category id", {"category": 999999}, "category"),
    ("unknown category path", {"category": "不存在/的/分类"}, "category"),
    ("category that is not a leaf", {"category": "城乡建设/城市建设和市政管理"}, "category"),
    ("unknown request type", {"request_type": "gossip"}, "request_type"),
    ("unknown urgency", {"urgency": "high"}, "urgency"),
    ("confidential as a string", {"confidential": "yes"}, "confidential"),
    ("confidential as a number", {"confidential": 1}, "confidential"),
    ("latitude not a number", {"latitude": "north", "longitude": 111.1}, "latitude"),
    ("latitude out of range", {"latitude": 91, "longitude": 111.1}, "latitude"),
    ("latitude without longitude", {"latitude": 37.5}, "latitude"),
    ("title as a list", {"title": ["路灯"]}, "title"),
    ("content as an object", {"content": {"text": "路灯"}}, "content"),
]


@pytest.mark.parametrize(("label", "change", "field"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    people: SimpleNamespace,
    payload: dict[str, Any],
    api_client_for: Any,
    label: str,
    change: dict[str, Any],
    field: str,
) -> None:
    data = {**payload, **change}
    data = {k: v for k, v in data.items() if v is not None}
    before = counts()
    response = api_client_for(people.operator).post(url(), data, format="json")
    assert response.status_code == 400, label
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"], body
    assert body["message"]
    assert counts() == before


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "{not json", "null", "42"])
def test_a_body_that_is_not_an_object_is_400(people: SimpleNamespace, api_client_for: Any, body: str) -> None:
    response = api_client_for(people.operator).post(url(), body, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message"}
    assert not WorkOrder.objects.exists()


def test_every_problem_is_reported_at_once(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    data = {**payload, "content": "", "citizen_phone": "123", "citizen_id_number": "123", "category": 999999}
    response = api_client_for(people.operator).post(url(), data, format="json")
    assert response.status_code == 400
    assert {"content", "citizen_phone", "citizen_id_number", "category"} <= set(response.json()["fields"])


# --- multipart and attachments --------------------------------------------------------------------------------------


def _form(payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**{k: str(v) for k, v in payload.items()}, **extra}


def test_multipart_with_a_png_and_a_pdf(people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any) -> None:
    png = png_bytes()
    files = [
        SimpleUploadedFile("现场照片.png", png, content_type="image/png"),
        SimpleUploadedFile("证明.pdf", PDF_BYTES, content_type="application/pdf"),
    ]
    client = api_client_for(people.operator)
    response = client.post(url(), _form(payload, attachments=files, confidential="true"), format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["confidential"] is True
    assert [(a["name"], a["type"], a["size"]) for a in body["attachments"]] == [
        ("现场照片.png", "image/png", len(png)),
        ("证明.pdf", "application/pdf", len(PDF_BYTES)),
    ]
    download = client.get(body["attachments"][0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == png
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_the_type_is_taken_from_the_bytes_not_the_name(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    upload = SimpleUploadedFile("scan.jpg", png_bytes(), content_type="image/jpeg")
    response = api_client_for(people.citizen).post(url(), _form(payload, attachments=[upload]), format="multipart")
    assert response.status_code == 201
    assert response.json()["attachments"][0]["type"] == "image/png"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.jpg", EXE_BYTES),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"not really a png"),
        ("doc.pdf", b"%PDF-1.4 but never ends"),
        ("empty.png", b""),
        ("page.html", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_disguised_or_broken_files_are_refused(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any, name: str, data: bytes
) -> None:
    before = counts()
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    response = api_client_for(people.operator).post(url(), _form(payload, attachments=[upload]), format="multipart")
    assert response.status_code == 400
    assert "attachments" in response.json()["fields"]
    assert counts() == before


def test_a_file_over_10_mb_is_refused(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any, settings: Any
) -> None:
    limit = settings.GOVDESK["ATTACHMENT_MAX_BYTES"]
    assert limit == 10 * 1024 * 1024
    big = PDF_BYTES[:-7] + b"0" * (limit + 1 - len(PDF_BYTES)) + b"\n%%EOF\n"
    assert len(big) > limit
    before = counts()
    upload = SimpleUploadedFile("big.pdf", big, content_type="application/pdf")
    response = api_client_for(people.operator).post(url(), _form(payload, attachments=[upload]), format="multipart")
    assert response.status_code == 400
    assert "10 MB" in response.json()["message"]
    assert counts() == before


def test_too_many_files_are_refused(people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any) -> None:
    uploads = [SimpleUploadedFile(f"p{i}.png", png_bytes(), content_type="image/png") for i in range(6)]
    before = counts()
    response = api_client_for(people.operator).post(url(), _form(payload, attachments=uploads), format="multipart")
    assert response.status_code == 400
    assert counts() == before
    assert not Attachment.objects.exists()


def test_multipart_booleans_must_be_real_booleans(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    response = api_client_for(people.operator).post(url(), _form(payload, confidential="perhaps"), format="multipart")
    assert response.status_code == 400
    assert "confidential" in response.json()["fields"]


def test_registration_is_audited(people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any) -> None:
    response = api_client_for(people.operator).post(url(), payload, format="json", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(object_id=response.json()["number"])
    assert event.action == "workorder.register"
    assert event.actor == people.operator
    assert event.ip_address == "10.1.2.3"


@pytest.mark.parametrize("who", ["operator", "citizen"])
def test_the_201_answer_equals_what_get_returns(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any, who: str
) -> None:
    """The create answer is built from what registering wrote, without reading back: it must not drift from GET."""
    client = api_client_for(getattr(people, who))
    files = [SimpleUploadedFile("现场照片.png", png_bytes(), content_type="image/png")]
    created = client.post(url(), _form(payload, attachments=files), format="multipart")
    assert created.status_code == 201, created.json()
    assert created["Location"] == url(created.json()["number"])
    assert created.json() == client.get(url(created.json()["number"])).json()
