"""The application statistics on the page (/stats/?kind=application) and in the API (?kind=application): roles,
the unit administrator's lock, the switch, the charts, the overdue links, the ratings panel, the contract and 400s."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from govdesk.applications import services as app
from govdesk.applications.tests.factories import submission
from govdesk.org.tests.factories import login_verified

from .conftest import at

pytestmark = pytest.mark.django_db
PAGE = "/stats/"
API = "/api/v1/stats/overview/"
NOVEMBER = "date_from=2026-11-01&date_to=2026-11-30"
OVERVIEW_KEYS = {
    "kind",
    "filters",
    "granularity",
    "totals",
    "status_counts",
    "by_status",
    "rates",
    "rate_parts",
    "rate_definitions",
    "series",
    "by_unit",
    "by_matter",
    "by_channel",
    "by_matter_type",
    "step_times",
    "overdue",
}


@pytest.fixture
def two_applications(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: Any) -> SimpleNamespace:
    """An application of dept_a overdue on 1 December (accepted 3 Nov, 5 working days) and one of dept_b just
    submitted."""
    with at(2026, 11, 3, 10):
        late = app.application_submit(actor=hall.clerk, data=submission(materials=["M01", "M02", "M03"]))
        app.application_accept(application=late.number, actor=hall.clerk)
        other = app.application_submit(actor=hall.clerk, data=submission(matter=hall.other.matter.code))
    return SimpleNamespace(late=late, other=other)


def page(user: Any, query: str) -> Any:
    client = Client()
    login_verified(client, user)
    with at(2026, 12, 1, 12):
        return client.get(PAGE + "?" + query)


def test_the_application_page_shows_figures_charts_overdue_links_and_ratings(
    two_applications: SimpleNamespace, people: SimpleNamespace
) -> None:
    response = page(people.supervisor, f"kind=application&{NOVEMBER}")
    assert response.status_code == 200
    assert response.templates[0].name == "stats/applications.html"
    html = response.content.decode()
    for testid in (
        "kpis",
        "series",
        "wait-by-unit",
        "wait-by-matter",
        "by-unit",
        "by-matter",
        "by-channel",
        "by-matter-type",
        "step-times",
        "overdue",
        "ratings",
        "kind-switch",
    ):
        assert f'data-testid="{testid}"' in html, testid
    assert html.count("<svg") >= 3 and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # the overdue application links to its page; the one of dept_b waits at the window without a deadline
    assert f'href="/applications/{two_applications.late.number}/"' in html
    assert two_applications.other.number not in html
    assert re.search(r'data-key="LS-ZJ"><th scope="row">区住建局</th><td>1</td>', html)


def test_the_work_order_page_keeps_its_dashboard_and_offers_the_switch(people: SimpleNamespace) -> None:
    response = page(people.supervisor, "")
    assert response.status_code == 200 and response.templates[0].name == "stats/dashboard.html"
    html = response.content.decode()
    assert 'data-testid="kind-switch"' in html and 'href="/stats/?kind=application"' in html
    assert 'id="chart-series"' in html


def test_a_unit_administrator_is_locked_to_their_unit(
    two_applications: SimpleNamespace, people: SimpleNamespace
) -> None:
    response = page(people.unit_admin_a, f"kind=application&{NOVEMBER}&unit=LS-RS")  # the lock overrides the query
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-key="LS-ZJ"' in html and 'data-key="LS-RS"' not in html


@pytest.mark.parametrize("who", ["handler_a", "operator", "citizen"])
def test_other_roles_may_not_open_it(people: SimpleNamespace, who: str) -> None:
    assert page(getattr(people, who), "kind=application").status_code == 403


@pytest.mark.parametrize("query", ["matter=NO-SUCH", "channel=phone", "matter_type=x", "date_from=2026-11-31"])
def test_bad_filters_on_the_page_answer_400_with_the_form(people: SimpleNamespace, hall: Any, query: str) -> None:
    response = page(people.supervisor, f"kind=application&{query}")
    assert response.status_code == 400
    assert 'data-testid="kpis"' not in response.content.decode()


def test_the_api_answers_the_application_overview(
    two_applications: SimpleNamespace, people: SimpleNamespace, api_client_for: Any
) -> None:
    with at(2026, 12, 1, 12):
        response = api_client_for(people.supervisor).get(f"{API}?kind=application&{NOVEMBER}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= OVERVIEW_KEYS
    assert body["totals"]["received"] == 2 and body["totals"]["overdue_open"] == 1
    assert set(body["rates"]) == {"acceptance", "correction", "refusal", "on_time", "approval"}
    assert body["overdue"]["items"][0]["number"] == two_applications.late.number
    assert set(body["step_times"]) >= {"overall", "by_unit", "by_matter"}
    assert body["step_times"]["overall"]["acceptance"] == {"hours": 0.0, "count": 1}
    with at(2026, 12, 1, 12):
        default = api_client_for(people.supervisor).get(f"{API}?{NOVEMBER}").json()
    assert "rate_definitions" in default and "totals" not in default and default["total"] == 0  # the work orders


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=application&matter=NO-SUCH", "matter"),
        ("kind=application&matter_type=licence", "matter_type"),
        ("kind=application&channel=phone", "channel"),
        ("kind=application&unit=NOPE", "unit"),
        ("kind=application&date_from=2026-02-30", "date_from"),
        ("kind=application&date_from=2020-01-01&date_to=2026-01-01", "date_to"),
        ("kind=cases", "kind"),
    ],
)
def test_the_api_answers_400_with_field_messages(
    people: SimpleNamespace, api_client_for: Any, query: str, field: str
) -> None:
    with translation.override("en"):
        response = api_client_for(people.supervisor).get(f"{API}?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_the_api_scopes_a_unit_administrator_and_refuses_other_roles(
    two_applications: SimpleNamespace, people: SimpleNamespace, api_client_for: Any
) -> None:
    own = api_client_for(people.unit_admin_a).get(f"{API}?kind=application&{NOVEMBER}")
    assert own.status_code == 200 and [r["code"] for r in own.json()["by_unit"]] == ["LS-ZJ"]
    assert api_client_for(people.unit_admin_a).get(f"{API}?kind=application&unit=LS-RS").status_code == 403
    assert api_client_for(people.handler_a).get(f"{API}?kind=application").status_code == 403
    assert api_client_for(people.handler_a).get(f"{API}?kind=nonsense").status_code == 403


def test_the_schema_documents_the_kind_and_the_application_filters(api_client_for: Any, people: Any) -> None:
    response = api_client_for(people.supervisor).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    operation = text[text.index("/api/v1/stats/overview/") :][:6000]
    for name in ("kind", "matter", "matter_type"):
        assert re.search(rf"name\W+{name}\b", operation), name
