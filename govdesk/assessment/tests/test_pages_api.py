"""The assessment page and API: roles (a unit administrator sees their own unit only), 400s, charts data, recompute."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from govdesk.assessment.models import AssessmentResult
from govdesk.audit.models import AuditEvent
from govdesk.common import clock
from govdesk.org.tests.factories import login_verified

from .conftest import NOW

pytestmark = pytest.mark.django_db
RANKING_API = "/api/v1/assessment/ranking/"
TREND_API = "/api/v1/assessment/trend/"
OTHER_ROLES = ["operator", "handler_a", "street_handler", "citizen", "sysadmin", "secadmin", "auditor"]


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.at(NOW):
        yield


def page(user: Any, query: str = "") -> Any:
    client = Client()
    login_verified(client, user)  # administrators too: a 403 must come from the role, not the second factor
    return client.get("/assessment/" + query)


def json_block(response: Any, element_id: str) -> Any:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', response.content.decode())
    assert match, f"no json_script {element_id}"
    return json.loads(match.group(1))


def test_urls_are_named_and_mounted() -> None:
    assert reverse("assessment:ranking") == "/assessment/"
    assert reverse("assessment:recompute") == "/assessment/recompute/"


@pytest.mark.parametrize("who", ["supervisor", "dispatcher", "leader"])
def test_centre_roles_see_every_unit_with_rank_changes(
    people: SimpleNamespace, two_months: SimpleNamespace, api_client_for: Any, who: str
) -> None:
    response = api_client_for(getattr(people, who)).get(RANKING_API, {"month": "2026-11"})
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "all" and body["ranked"] == 2
    assert [(r["unit"], r["rank"], r["previous_rank"], r["score"]) for r in body["results"]] == [
        ("LS-ZJ", 1, 2, 100.0),
        ("LS-RS", 2, 1, 0.0),
    ]
    assert body["rule_set"]["name"] == "resolution"
    assert body["rule_set"]["items"][0]["rate_formula"]


def test_the_page_renders_the_ranking_rules_and_chart_data(
    people: SimpleNamespace, two_months: SimpleNamespace
) -> None:
    response = page(people.supervisor, "?month=2026-11")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-scores"' in html and 'id="chart-trend"' in html
    assert "vendor/echarts/echarts.min.js" in html and "assessment/assessment.js" in html
    assert "<script>" not in html  # CSP: no inline scripts
    assert "▲1" in html and "▼1" in html
    assert 'data-testid="recompute"' in html and 'data-testid="rules"' in html
    data = json_block(response, "assessment-data")
    assert [(s["unit"], s["score"]) for s in data["scores"]] == [("LS-ZJ", 100.0), ("LS-RS", 0.0)]
    assert data["trend"]["unit"] == "LS-ZJ"  # the top unit by default
    assert [m["rank"] for m in data["trend"]["months"][-2:]] == [2, 1]
    response = page(people.leader, "?month=2026-11&unit=LS-RS")
    assert json_block(response, "assessment-data")["trend"]["unit"] == "LS-RS"
    assert 'data-testid="recompute"' not in response.content.decode()


def test_the_nav_links_to_the_page_for_its_roles(people: SimpleNamespace, two_months: SimpleNamespace) -> None:
    assert 'href="/assessment/"' in page(people.leader).content.decode()
    client = Client()
    client.force_login(people.operator)
    assert 'href="/assessment/"' not in client.get("/orders/").content.decode()


def test_a_unit_admin_sees_only_their_own_unit(
    people: SimpleNamespace, two_months: SimpleNamespace, api_client_for: Any
) -> None:
    api = api_client_for(people.unit_admin_a)
    body = api.get(RANKING_API, {"month": "2026-11"}).json()
    assert body["scope"] == "own"
    assert [(r["unit"], r["rank"]) for r in body["results"]] == [("LS-ZJ", 1)]
    assert api.get(TREND_API).json()["unit"] == "LS-ZJ"
    assert api.get(TREND_API, {"unit": "LS-RS"}).status_code == 403
    response = page(people.unit_admin_a, "?month=2026-10")
    assert response.status_code == 200
    data = json_block(response, "assessment-data")
    assert [s["unit"] for s in data["scores"]] == ["LS-ZJ"]
    assert "区人社局" not in response.content.decode()
    assert page(people.unit_admin_a, "?unit=LS-RS").status_code == 403


@pytest.mark.parametrize("who", OTHER_ROLES)
def test_other_roles_are_refused(people: SimpleNamespace, api_client_for: Any, who: str) -> None:
    user = getattr(people, who)
    assert api_client_for(user).get(RANKING_API).status_code == 403
    assert api_client_for(user).get(TREND_API, {"unit": "LS-ZJ"}).status_code == 403
    assert page(user).status_code == 403


def test_anonymous_callers_are_refused(client: Client, api_client_for: Any, db: Any) -> None:
    assert client.get("/assessment/").status_code == 302
    assert api_client_for(None).get(RANKING_API).status_code in (401, 403)


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-10", "abc", "2026-1", "1999-12", "2026-12"])
def test_a_bad_month_is_a_400(people: SimpleNamespace, api_client_for: Any, month: str) -> None:
    response = api_client_for(people.supervisor).get(RANKING_API, {"month": month})
    assert response.status_code == 400
    assert "month" in response.json()["fields"]
    assert page(people.supervisor, f"?month={month}").status_code == 400


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"unit": "NOPE"}, "unit"),
        ({"unit": "LS-ZJ", "months": "x"}, "months"),
        ({"unit": "LS-ZJ", "months": "99"}, "months"),
    ],
)
def test_bad_trend_parameters_are_400s(
    people: SimpleNamespace, api_client_for: Any, params: dict[str, str], field: str
) -> None:
    response = api_client_for(people.supervisor).get(TREND_API, params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_supervisors_recompute_a_month(people: SimpleNamespace, two_months: SimpleNamespace) -> None:
    before = set(AssessmentResult.objects.filter(month="2026-10-01").values_list("pk", flat=True))
    client = Client()
    client.force_login(people.supervisor)
    response = client.post("/assessment/recompute/", {"month": "2026-10"})
    assert response.status_code == 302 and response["Location"] == "/assessment/?month=2026-10"
    after = set(AssessmentResult.objects.filter(month="2026-10-01").values_list("pk", flat=True))
    assert len(after) == 2 and before.isdisjoint(after)
    assert AuditEvent.objects.filter(action="assessment.compute", actor=people.supervisor, object_id="2026-10").exists()
    assert client.post("/assessment/recompute/", {"month": "2026-99"}).status_code == 400
    assert client.get("/assessment/recompute/").status_code == 405


@pytest.mark.parametrize("who", ["dispatcher", "leader", "unit_admin_a", "operator"])
def test_only_supervisors_recompute(people: SimpleNamespace, two_months: SimpleNamespace, who: str) -> None:
    client = Client()
    client.force_login(getattr(people, who))
    assert client.post("/assessment/recompute/", {"month": "2026-10"}).status_code == 403
    assert not AuditEvent.objects.filter(action="assessment.compute", object_id="2026-10").exclude(actor=None).exists()
