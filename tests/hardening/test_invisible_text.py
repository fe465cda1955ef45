"""Finding 7b of the security review: text made only of zero-width or bidi characters is refused as empty, and bidi
overrides are stripped, on every free-text input: the REST API, the pages, the public form and Open311."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from govdesk.cases.models import CaseEvent
from govdesk.common.validators import clean_text
from govdesk.open311.tests.conftest import key_create
from govdesk.org.tests.factories import login_verified
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import VALID_INTAKE, make_order

pytestmark = pytest.mark.django_db

INVISIBLE = [
    "\u200b",
    "\u200b\u200c\u200d\ufeff\u2060",
    "\u202e",
    "\u202a\u202b\u202c\u202d\u202e",
    " \u2066\u2067\u2068\u2069 ",
]


@pytest.mark.parametrize("text", INVISIBLE)
def test_api_intake_refuses_invisible_titles_and_content(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any, text: str
) -> None:
    payload = {**{k: v for k, v in VALID_INTAKE.items() if k != "channel"}, "category": categories.facilities.pk}
    client = api_client_for(people.operator)
    for field in ("title", "content"):
        response = client.post("/api/v1/workorders/", {**payload, field: text}, format="json")
        assert response.status_code == 400, (field, response.json())
        assert field in response.json()["fields"]
    assert not WorkOrder.objects.exists()


def test_bidi_overrides_are_stripped_and_meaningful_joiners_kept(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    payload = {**{k: v for k, v in VALID_INTAKE.items() if k != "channel"}, "category": categories.facilities.pk}
    title = "\u202e路灯\u202c不亮\u200b 👍\u200d🔥"
    response = api_client_for(people.operator).post("/api/v1/workorders/", {**payload, "title": title}, format="json")
    assert response.status_code == 201
    assert WorkOrder.objects.get().title == "路灯不亮 👍\u200d🔥"


@pytest.mark.parametrize("text", INVISIBLE)
def test_replies_notes_and_reasons_refuse_invisible_text(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any, text: str
) -> None:
    handling = make_order(people, district, categories.facilities, Status.HANDLING)
    new = make_order(people, district, categories.facilities, Status.NEW)
    base = "/api/v1/workorders/"
    handler = api_client_for(people.handler_a)
    operator = api_client_for(people.operator)
    assert handler.post(f"{base}{handling.number}/reply/", {"reply": text}, format="json").status_code == 400
    assert operator.post(f"{base}{handling.number}/note/", {"note": text}, format="json").status_code == 400
    assert operator.post(f"{base}{new.number}/cancel/", {"reason": text}, format="json").status_code == 400
    handling.refresh_from_db()
    new.refresh_from_db()
    assert (handling.status, new.status) == (Status.HANDLING, Status.NEW)
    assert not CaseEvent.objects.filter(action__in=["reply", "note", "cancel"]).exists()


def test_the_work_order_pages_refuse_invisible_text(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    client = Client()
    login_verified(client, people.handler_a)
    response = client.post(reverse("workorders:action", args=[order.number, "reply"]), {"reply": "\u200b\u202e"})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == Status.HANDLING


def test_the_public_form_refuses_an_invisible_title(categories: SimpleNamespace) -> None:
    from captcha.models import CaptchaStore

    cache.clear()
    client = Client()
    page = client.get(reverse("web:public_submit")).content.decode()
    key = page.split('name="captcha_0" value="')[1].split('"')[0]
    data = {
        "request_type": "complaint",
        "title": "\u200b\u200b\u200b",
        "content": "永宁路小区门口的路灯坏了两周，晚上很黑。",
        "address": "离石区永宁路5号",
        "citizen_name": "李四",
        "citizen_phone": "13912345678",
        "captcha_0": key,
        "captcha_1": CaptchaStore.objects.get(hashkey=key).response,
    }
    response = client.post(reverse("web:public_submit"), data)
    assert response.status_code == 400
    assert not WorkOrder.objects.exists()


def test_open311_refuses_an_invisible_description(categories: SimpleNamespace) -> None:
    """Open311 POSTs register through the same intake; a description of only invisible characters is no description."""
    cache.clear()
    categories.facilities.__class__.objects.filter(pk=categories.facilities.pk).update(public=True)
    body = {
        "api_key": key_create("test client"),
        "service_code": str(categories.facilities.pk),
        "address_string": "滨河北路",
    }
    accepted = Client().post("/open311/v2/requests.json", {**body, "description": "路灯不亮"})
    assert accepted.status_code in (200, 201), accepted.content[:300]
    response = Client().post("/open311/v2/requests.json", {**body, "description": "\u200b\u202e"})
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
    assert WorkOrder.objects.count() == 1


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("", ""),
        ("  正常文字  ", "正常文字"),
        ("\u200b", ""),
        ("\u3164\u3164", ""),  # Hangul fillers: show as nothing
        ("abc\u202eevil", "abcevil"),
        ("零宽\u200d连接", "零宽连接"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian: the non-joiner changes the letters' shapes
        ("\ufeff开头", "开头"),
        ("第一行\n第二行", "第一行\n第二行"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
