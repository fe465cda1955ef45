"""The package statistics on the dashboard (/stats/?kind=package) and in the API (?kind=package): the figures of the
constructed month, the role rules (403 for roles without statistics, a unit administrator locked to their unit), the
chart, and 400s for filters that do not make sense."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from govdesk.org.tests.factories import login_verified
from govdesk.packages.tests.case_factories import PACKAGE, birth, fake_pdfs
from govdesk.packages.tests.stats_fixtures import constructed_month

pytestmark = pytest.mark.django_db
__all__ = ["birth", "constructed_month", "fake_pdfs"]  # fixtures

PAGE = "/stats/?kind=package"
API = "/api/v1/stats/overview/?kind=package"
NOVEMBER = "&date_from=2026-11-01&date_to=2026-11-30"


def _get(user: Any, url: str) -> Any:
    client = Client()
    login_verified(client, user)
    with time_machine.travel("2026-12-02 12:00 +0800", tick=False), translation.override("en"):
        return client.get(url)


def test_api_answers_the_month(constructed_month: SimpleNamespace, people: SimpleNamespace) -> None:
    response = _get(people.supervisor, API + NOVEMBER)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"kind", "filters", "totals", "by_package", "by_unit"}
    totals = body["totals"]
    assert (totals["received"], totals["decided"], totals["on_time"], totals["parts_cancelled"]) == (4, 3, 2, 1)
    assert (totals["avg_total_days"], totals["avg_sequential_days"]) == (6.33, 10.67)
    assert [row["package"] for row in body["by_package"]] == [PACKAGE]


def test_api_role_rules_and_bad_filters(
    constructed_month: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace
) -> None:
    assert _get(people.handler_a, API + NOVEMBER).status_code == 403
    assert _get(people.street_admin, API + NOVEMBER + "&unit=LS-ZJ").status_code == 403
    # The lead unit's administrator is forced onto their own unit: the packages dept A leads.
    assert _get(people.unit_admin_a, API + NOVEMBER).json()["totals"]["received"] == 4
    assert _get(people.street_admin, API + NOVEMBER).json()["totals"]["received"] == 0
    for query, field in (
        ("&package=YJS-NOPE", "package"),
        ("&unit=NOPE", "unit"),
        ("&date_from=2026-13-01", "date_from"),
        ("&date_from=2026-12-01&date_to=2026-11-01", "date_from"),
    ):
        response = _get(people.leader, API + query)
        assert response.status_code == 400, query
        assert field in str(response.json()), query
    assert _get(people.leader, "/api/v1/stats/overview/?kind=nonsense").status_code == 400


def test_page_shows_tiles_chart_and_tables(constructed_month: SimpleNamespace, people: SimpleNamespace) -> None:
    response = _get(people.leader, PAGE + NOVEMBER)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="package-stats"' in html and '?kind=package" aria-current="page"' in html
    assert '<span class="kpi-value">6.33</span>' in html  # average total working days
    assert "<svg" in html and "10.67" in html  # the chart's bar of the parts one after another
    assert f'data-key="{PACKAGE}"' in html and 'data-key="LS-ZJ"' in html
    assert "66.7%" in html  # packages on time: 2 of 3


def test_page_roles_and_bad_filters(constructed_month: SimpleNamespace, people: SimpleNamespace) -> None:
    assert _get(people.handler_a, PAGE + NOVEMBER).status_code in (302, 403)
    locked = _get(people.unit_admin_a, PAGE + NOVEMBER)
    assert locked.status_code == 200 and "6.33" in locked.content.decode()
    bad = _get(people.leader, PAGE + "&package=YJS-NOPE")
    assert bad.status_code == 400 and "kpi-value" not in bad.content.decode()


def test_page_links_the_excel_export_with_its_filters(
    constructed_month: SimpleNamespace, people: SimpleNamespace
) -> None:
    html = _get(people.leader, PAGE + NOVEMBER + f"&package={PACKAGE}").content.decode()
    expected = f"/reports/stats.xlsx?kind=package&amp;date_from=2026-11-01&amp;date_to=2026-11-30&amp;package={PACKAGE}"
    assert f'data-testid="export-stats" href="{expected}"' in html
    # A unit administrator's export is locked to their unit, as the page is.
    locked = _get(people.unit_admin_a, PAGE + NOVEMBER).content.decode()
    assert "&amp;unit=LS-ZJ" in locked.split('data-testid="export-stats"')[1].split(">")[0]
    # No figures, nothing to export.
    assert 'data-testid="export-stats"' not in _get(people.leader, PAGE + "&package=YJS-NOPE").content.decode()
