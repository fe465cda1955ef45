"""GET /api/v1/stats/overview/: roles, unit scope, filter validation, the answer's shape."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.common import clock
from govdesk.stats.rates import RATE_KEYS

from .conftest import SHANGHAI

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/overview/"
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.mark.parametrize("role", ["supervisor", "dispatcher", "leader"])
def test_centre_wide_roles_see_the_district(
    role: str, scenario: SimpleNamespace, people: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    response = api_client_for(getattr(people, role)).get(URL, NOVEMBER)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["filters"] == {**NOVEMBER, "unit": None, "category": None, "type": None, "channel": None}
    assert body["granularity"] == "day" and len(body["series"]) == 30
    assert body["total"] == 12
    assert set(body["rates"]) == set(RATE_KEYS) == set(body["rate_parts"]) == set(body["change"]["rates"])
    assert [d["key"] for d in body["rate_definitions"]] == list(RATE_KEYS)
    assert body["previous"] == {
        "date_from": "2026-10-02",
        "date_to": "2026-10-31",
        "total": 2,
        "rates": body["previous"]["rates"],
    }
    assert body["change"]["total"] == pytest.approx((12 - 2) / 2)
    units = {row["key"] for row in body["by_unit"]}
    assert {"LS-ZJ", "LS-RS", "LS-BH"} <= units


@pytest.mark.parametrize("role", ["handler_a", "citizen", "operator", "sysadmin", "auditor"])
def test_other_roles_are_refused(role: str, people: SimpleNamespace, api_client_for: Callable[[Any], Any]) -> None:
    response = api_client_for(getattr(people, role)).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_is_refused(api_client_for: Callable[[Any], Any]) -> None:
    assert api_client_for(None).get(URL).status_code in (401, 403)


def test_unit_admin_sees_own_subtree_only(
    scenario: SimpleNamespace, people: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    client = api_client_for(people.street_admin)
    body = client.get(URL, NOVEMBER).json()
    assert body["filters"]["unit"] == "LS-BH"
    # The street's own order and its community's.
    assert body["total"] == 2
    assert {row["key"] for row in body["by_unit"]} == {"LS-BH", "LS-BH-01"}
    assert client.get(URL, {**NOVEMBER, "unit": "LS-BH-01"}).json()["total"] == 1
    refused = client.get(URL, {**NOVEMBER, "unit": "LS-ZJ"})
    assert refused.status_code == 403
    assert api_client_for(people.unit_admin_a).get(URL, NOVEMBER).json()["filters"]["unit"] == "LS-ZJ"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"date_from": "20261101"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2026-11-30", "date_to": "2026-11-01"}, "date_from"),
        ({"date_from": "2020-01-01", "date_to": "2026-11-01"}, "date_to"),
        ({"unit": "NOPE"}, "unit"),
        ({"category": "没有这个分类"}, "category"),
        ({"type": "nope"}, "type"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_bad_filters_are_400_with_the_field(
    params: dict[str, str],
    field: str,
    categories: SimpleNamespace,
    people: SimpleNamespace,
    api_client_for: Callable[[Any], Any],
) -> None:
    response = api_client_for(people.supervisor).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"] and body["message"]


def test_default_period_is_the_last_30_days(people: SimpleNamespace, api_client_for: Callable[[Any], Any]) -> None:
    from datetime import datetime

    with clock.at(datetime(2026, 11, 26, 9, tzinfo=SHANGHAI)):
        body = api_client_for(people.supervisor).get(URL).json()
    assert (body["filters"]["date_from"], body["filters"]["date_to"]) == ("2026-10-28", "2026-11-26")
    assert body["total"] == 0 and all(v is None for v in body["rates"].values())
    assert len(body["series"]) == 30 and all(s["total"] == 0 for s in body["series"])


def test_granularity_by_span(people: SimpleNamespace, api_client_for: Callable[[Any], Any]) -> None:
    client = api_client_for(people.supervisor)
    week = client.get(URL, {"date_from": "2026-01-01", "date_to": "2026-12-31"}).json()
    assert week["granularity"] == "week" and week["series"][0]["period"] == "2026-01-01" and len(week["series"]) == 53
    month = client.get(URL, {"date_from": "2025-01-10", "date_to": "2026-12-31"}).json()
    assert month["granularity"] == "month" and len(month["series"]) == 24
    assert month["series"][0] == {"period": "2025-01-10", "label": "2025-01", "total": 0, "closed": 0}


def test_overdue_and_due_soon_lists_are_live(
    scenario: SimpleNamespace, people: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    from datetime import datetime

    from govdesk.cases.services import case_deadlines_sweep

    moment = datetime(2027, 3, 1, 10, tzinfo=SHANGHAI)
    client = api_client_for(people.supervisor)
    with clock.at(moment):
        # Exact at the moment of reading, before the sweep has set any flag, and the same after it.
        body = client.get(URL, {"date_from": "2027-02-01", "date_to": "2027-02-28"}).json()
        case_deadlines_sweep(now=moment)
        assert client.get(URL, {"date_from": "2027-02-01", "date_to": "2027-02-28"}).json() == body
        only_b = client.get(URL, {"date_from": "2027-02-01", "date_to": "2027-02-28", "unit": "LS-RS"}).json()
    assert body["total"] == 0
    assert body["overdue"]["total"] >= 3
    dues = [item["due_at"] for item in body["overdue"]["items"]]
    assert dues == sorted(dues)
    assert set(body["overdue"]["items"][0]) == {"number", "title", "unit", "unit_name", "due_at"}
    assert 0 < only_b["overdue"]["total"] < body["overdue"]["total"]
    assert {i["unit"] for i in only_b["overdue"]["items"]} == {"LS-RS"}


def test_overview_is_in_the_openapi_schema(people: SimpleNamespace, api_client_for: Callable[[Any], Any]) -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/stats/overview/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "date_from",
        "date_to",
        "unit",
        "category",
        "type",
        "channel",
        # kind=application: the application overview and its filters
        "kind",
        "matter",
        "matter_type",
        # kind=package: the package (一件事) overview's filter
        "package",
    }
    assert {"200", "400", "403"} <= set(operation["responses"])
