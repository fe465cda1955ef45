"""Finding 4 of the security review: dates far out of range are a 400 with a message on every endpoint, never a 500.

Every date a filter takes goes through `common.validators.validate_supported_date` (2000-01-01 to 2099-12-31).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from govdesk.common.validators import SUPPORTED_DATE_MAX, SUPPORTED_DATE_MIN
from govdesk.org.tests.factories import login_verified

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"]
RANGE_TEXT = SUPPORTED_DATE_MIN.isoformat()


def _page_client(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("param", ["created_from", "created_to"])
def test_rest_order_list(api_client_for: Any, people: SimpleNamespace, param: str, value: str) -> None:
    response = api_client_for(people.operator).get("/api/v1/workorders/", {param: value})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert RANGE_TEXT in response.json()["fields"][param][0]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("param", ["created_from", "created_to"])
def test_web_order_list(people: SimpleNamespace, param: str, value: str) -> None:
    response = _page_client(people.operator).get("/orders/", {param: value})
    assert response.status_code == 400
    assert RANGE_TEXT in response.content.decode()


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("param", ["created_from", "created_to"])
def test_order_export(people: SimpleNamespace, param: str, value: str) -> None:
    response = _page_client(people.operator).get("/reports/orders.xlsx", {param: value})
    assert response.status_code == 400
    assert RANGE_TEXT in response.content.decode()


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("param", ["date_from", "date_to"])
def test_statistics_overview_dashboard_and_export(
    api_client_for: Any, people: SimpleNamespace, param: str, value: str
) -> None:
    response = api_client_for(people.supervisor).get("/api/v1/stats/overview/", {param: value})
    assert response.status_code == 400
    assert RANGE_TEXT in response.json()["message"]
    client = _page_client(people.supervisor)
    page = client.get("/stats/", {"period": "custom", param: value})
    assert page.status_code == 400 and RANGE_TEXT in page.content.decode()
    export = client.get("/reports/stats.xlsx", {param: value})
    assert export.status_code == 400 and RANGE_TEXT in export.content.decode()


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1999-12"])
def test_months_of_the_assessment_and_the_monthly_report(
    api_client_for: Any, people: SimpleNamespace, month: str
) -> None:
    assert api_client_for(people.supervisor).get("/api/v1/assessment/ranking/", {"month": month}).status_code == 400
    client = _page_client(people.supervisor)
    assert client.get(f"/reports/monthly/{month}.xlsx").status_code == 400
    assert client.get("/assessment/", {"month": month}).status_code == 400


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+08:00", "2100-01-01T00:00:00Z"])
@pytest.mark.parametrize("param", ["start_date", "end_date"])
def test_open311_request_dates(db: Any, param: str, value: str) -> None:
    cache.clear()
    response = Client().get("/open311/v2/requests.json", {param: value})
    assert response.status_code == 400
    assert RANGE_TEXT in response.json()[0]["description"]


def test_the_edges_of_the_range_are_accepted(api_client_for: Any, people: SimpleNamespace) -> None:
    client = api_client_for(people.operator)
    params = {"created_from": SUPPORTED_DATE_MIN.isoformat(), "created_to": SUPPORTED_DATE_MAX.isoformat()}
    assert client.get("/api/v1/workorders/", params).status_code == 200
