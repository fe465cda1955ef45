"""The 好差评 pages: who may open each (200 / 403 / login), rating through each page, the forms' actions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from govdesk.evaluations import services
from govdesk.evaluations.models import Evaluation, Rectification
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory

from .helpers import bad_rating, citizen_order, closed_order, fresh

pytestmark = pytest.mark.django_db


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("url", "allowed", "refused"),
    [
        ("/evaluations/", ["supervisor", "leader"], ["handler_a", "citizen", "operator", "dispatcher"]),
        ("/evaluations/verify/", ["supervisor", "leader", "dispatcher"], ["handler_a", "citizen", "operator"]),
        ("/evaluations/unit/", ["handler_a", "unit_admin_a"], ["supervisor", "citizen", "operator"]),
        ("/rate/pad/", ["operator"], ["supervisor", "citizen", "handler_a"]),
    ],
)
def test_page_roles(people, url, allowed, refused) -> None:
    for name in allowed:
        assert _client(getattr(people, name)).get(url).status_code == 200, name
    for name in refused:
        assert _client(getattr(people, name)).get(url).status_code == 403, name
    assert _client().get(url).status_code == 302  # to the login page


def test_citizen_rates_on_the_web_page(people, district, categories) -> None:
    order = citizen_order(people, district, categories)
    url = f"/rate/case/{order.number}/"
    page = _client(people.citizen).get(url)
    assert page.status_code == 200 and 'data-testid="rate-case-1"' in page.content.decode()
    assert _client(people.other_citizen).get(url).status_code == 404
    assert _client(people.handler_a).get(url).status_code == 403
    response = _client(people.citizen).post(url, {"target": "case", "level": "1", "comment": "太慢"})
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.channel, evaluation.level, evaluation.comment) == ("web", 1, "太慢")
    again = _client(people.citizen).post(url, {"target": "case", "level": "5"})
    assert again.status_code == 409
    assert _client(people.citizen).post(url, {"target": "case", "level": "7"}).status_code == 400
    shown = _client(people.citizen).get(url).content.decode()
    assert "rate-case-1" not in shown and 'data-testid="rectification"' in shown


def test_link_page_rates_the_case_and_then_the_rectification(people, district, categories) -> None:
    order = closed_order(people, district, categories)
    url = services.evaluation_link_make(order)
    anonymous = _client()
    page = anonymous.get(url)
    assert page.status_code == 200 and order.number in page.content.decode()
    assert anonymous.post(url, {"level": "2", "comment": "没解决"}).status_code == 302
    rect = Rectification.objects.get()
    services.rectification_verify(number=rect.number, actor=people.supervisor, justified=True)
    services.rectification_answer(number=rect.number, actor=people.handler_a, answer="已重新修复，并回访确认。")
    shown = anonymous.get(url).content.decode()
    assert "已重新修复" in shown and 'data-testid="rate-rectification-5"' in shown
    assert anonymous.post(url, {"target": "rectification", "level": "5"}).status_code == 302
    assert fresh(rect).status == "closed"
    assert Evaluation.objects.filter(case_id=rect.pk, channel="link").exists()
    assert anonymous.get("/rate/not-a-token/").status_code == 400
    assert anonymous.post(url[:-3] + "xx/", {"level": "5"}).status_code == 400


def test_pad_page(people, district, categories) -> None:
    clerk = UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=district.centre)
    order = closed_order(people, district, categories)
    client = _client(clerk)
    found = client.get("/rate/pad/", {"case": order.number})
    assert found.status_code == 200 and 'data-testid="rate-case-5"' in found.content.decode()
    assert client.get("/rate/pad/", {"case": "20990101000001"}).status_code == 404
    assert client.post("/rate/pad/", {"case": order.number, "level": "4"}).status_code == 302
    assert Evaluation.objects.get().rated_by == clerk
    assert client.post("/rate/pad/", {"case": order.number, "level": "4"}).status_code == 409


def test_supervisor_and_unit_pages_act(people, district, categories) -> None:
    _order, _evaluation, rect = bad_rating(people, district, categories)
    worklist = _client(people.supervisor).get("/evaluations/verify/").content.decode()
    assert rect.number in worklist and f"/evaluations/rectifications/{rect.number}/verify/" in worklist
    # A leader sees the list without the forms.
    leader = _client(people.leader).get("/evaluations/verify/").content.decode()
    assert rect.number in leader and f"/evaluations/rectifications/{rect.number}/verify/" not in leader
    inbox = _client(people.handler_a).get("/evaluations/unit/").content.decode()
    assert rect.number in inbox and f"/evaluations/rectifications/{rect.number}/appeal/" in inbox
    assert rect.number not in _client(people.handler_b).get("/evaluations/unit/").content.decode()
    action = f"/evaluations/rectifications/{rect.number}"
    assert _client(people.handler_a).post(f"{action}/verify/", {"justified": "yes"}).status_code == 403
    assert _client(people.supervisor).post(f"{action}/verify/", {"justified": "no", "note": ""}).status_code == 400
    assert _client(people.supervisor).post(f"{action}/verify/", {"justified": "yes"}).status_code == 302
    assert _client(people.handler_a).post(f"{action}/answer/", {"answer": "已整改。"}).status_code == 302
    assert _client(people.handler_a).post(f"{action}/answer/", {"answer": "再答"}).status_code == 409
    assert _client(people.handler_a).post(f"{action}/bogus/", {}).status_code == 404
    assert fresh(rect).status == "answered"
    detail = _client(people.handler_a).get(f"{action}/")
    assert detail.status_code == 200 and "已整改" in detail.content.decode()
    assert _client(people.handler_b).get(f"{action}/").status_code == 403
    assert _client(people.other_citizen).get(f"{action}/").status_code == 404


def test_rates_page(people, district, categories) -> None:
    bad_rating(people, district, categories)
    page = _client(people.supervisor).get("/evaluations/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "vendor/echarts/echarts.min.js" in html and 'id="rates-data"' in html and "<script>" not in html
    assert re.search(r'data-testid="total">1<', html)
    bad = _client(people.supervisor).get("/evaluations/", {"date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert bad.status_code == 400
    assert _client(people.supervisor).get("/evaluations/", {"date_from": "x", "date_to": "y"}).status_code == 400


def test_navigation_links(people) -> None:
    assert 'href="/evaluations/verify/"' in _client(people.supervisor).get("/evaluations/verify/").content.decode()
    assert 'href="/evaluations/unit/"' in _client(people.handler_a).get("/evaluations/unit/").content.decode()
