"""GET /reports/assessment.xlsx: a month's ranking with each rate's points and the rules, scoped as the page is."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from govdesk.audit.models import AuditEvent
from govdesk.common import clock
from govdesk.org.tests.factories import login_verified

from .conftest import NOW

pytestmark = pytest.mark.django_db
URL = "/reports/assessment.xlsx"


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.at(NOW):
        yield


def get(user: Any, **params: str) -> Any:
    client = Client()
    login_verified(client, user)  # administrators too: a 403 must come from the role, not the second factor
    return client.get(URL, params)


def sheet_rows(response: Any, title: str) -> list[tuple[Any, ...]]:
    assert response.status_code == 200, response.content[:300]
    body = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(body))[title].iter_rows(values_only=True))


def test_the_ranking_with_each_rates_points_and_the_rules(people: SimpleNamespace, two_months: SimpleNamespace) -> None:
    response = get(people.supervisor, month="2026-11")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    rows = sheet_rows(response, "考核排名")
    assert rows[0] == ("名次", "单位代码", "单位", "得分", "解决率得分", "扣分", "工单数", "办件数", "上月名次")
    assert [(r[0], r[1], r[3], r[4], r[7], r[8]) for r in rows[1:]] == [
        (1, "LS-ZJ", 100, 100, 0, 2),
        (2, "LS-RS", 0, 0, 0, 1),
    ]
    rules = sheet_rows(get(people.supervisor, month="2026-11"), "考核规则")
    assert rules[1][:2] == ("解决率", 100) and "÷" in rules[1][3] and "权重" in rules[1][2]
    assert ("考核月份", None, "2026-11", None) in rules
    # The page links the export of the month it shows.
    client = Client()
    client.force_login(people.supervisor)
    assert 'href="/reports/assessment.xlsx?month=2026-11"' in client.get("/assessment/?month=2026-11").content.decode()


def test_a_unit_admin_exports_only_their_unit_and_the_export_is_audited(
    people: SimpleNamespace, two_months: SimpleNamespace
) -> None:
    rows = sheet_rows(get(people.unit_admin_a, month="2026-11"), "考核排名")
    assert [r[1] for r in rows[1:]] == ["LS-ZJ"]
    event = AuditEvent.objects.get(action="report.assessment_xlsx")
    assert event.actor == people.unit_admin_a
    assert json.loads(event.note) == {"month": "2026-11", "rows": 1, "scope": "own"}


def test_bad_months_and_other_roles_are_refused(people: SimpleNamespace, two_months: SimpleNamespace) -> None:
    assert get(people.supervisor, month="2026-13").status_code == 400
    assert get(people.supervisor, month="next month").status_code == 400
    for who in ("operator", "handler_a", "citizen", "sysadmin"):
        assert get(getattr(people, who), month="2026-11").status_code == 403, who
    assert not AuditEvent.objects.filter(action="report.assessment_xlsx").exists()
