"""GET /reports/stats.xlsx?kind=package: the package (一件事) statistics as xlsx, read back with openpyxl against the
figures of the packages' constructed November (worked out by hand in govdesk/packages/tests/stats_fixtures.py); the
statistics roles, the 400 for an unknown kind, the audit."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.utils import translation

from govdesk.audit.models import AuditEvent
from govdesk.packages.tests.case_factories import PACKAGE, birth, fake_pdfs
from govdesk.packages.tests.stats_fixtures import SH, constructed_month

from .conftest import body_of, workbook_of

pytestmark = pytest.mark.django_db
__all__ = ["birth", "constructed_month", "fake_pdfs"]  # fixtures

URL = "/reports/stats.xlsx"
NOVEMBER = {"kind": "package", "date_from": "2026-11-01", "date_to": "2026-11-30"}


def _get(get_as: Any, user: Any, **params: Any) -> Any:
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=SH), tick=False), translation.override("en"):
        return get_as(user, URL, **params)


def _records(wb: Any, title: str) -> list[dict[str, Any]]:
    header, *rows = wb[title].iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_the_workbook_shows_the_constructed_month(
    constructed_month: SimpleNamespace, people: SimpleNamespace, get_as: Any
) -> None:
    response = _get(get_as, people.leader, **NOVEMBER)
    assert response.status_code == 200
    assert "package-statistics-2026-11-01_2026-11-30.xlsx" in response["Content-Disposition"]
    wb = workbook_of(response)
    assert wb.sheetnames == ["筛选条件", "汇总", "按一件事", "按牵头单位"]
    [total] = _records(wb, "汇总")
    # 4 received in November (December's is outside), 3 accepted and decided, 1 delivered (closed).
    assert (total["收件"], total["受理"], total["出结果"], total["办结"]) == (4, 3, 3, 1)
    # Within the promised 10 working days: the on-time and the cancelled-part package, not the late one (14).
    assert (total["按时办结"], total["有承诺时限"], total["按时办结率"]) == (2, 3, 0.6667)
    # Parts decided 3 + 3 + 2, by their own deadline 3 + 1 + 2; the registration after a denial never started.
    assert (total["子事项已决定"], total["子事项按时"], total["子事项按时率"], total["未启动子事项"]) == (8, 6, 0.75, 1)
    # Total (3 + 14 + 2) / 3 against one after another (5 + 24 + 3) / 3.
    assert (total["平均总用时（工作日）"], total["逐项申请合计（工作日）"], total["平均节省（工作日）"]) == (
        6.33,
        10.67,
        4.33,
    )
    assert (total["少跑腿（次）"], total["少填表（张）"]) == (6, 6)
    [package] = _records(wb, "按一件事")
    assert (package["一件事编码"], package["牵头单位"], package["收件"], package["按时办结"]) == (
        PACKAGE,
        "LS-ZJ",
        4,
        2,
    )
    [unit] = _records(wb, "按牵头单位")
    assert (unit["单位代码"], unit["收件"], unit["平均总用时（工作日）"]) == ("LS-ZJ", 4, 6.33)
    filters = {row[0]: row[1] for row in wb["筛选条件"].iter_rows(values_only=True)}
    assert filters["一件事"] == "全部" and filters["开始日期"].date().isoformat() == "2026-11-01"


def test_a_package_filter_that_matches_nothing_in_the_period_gives_empty_tables(
    constructed_month: SimpleNamespace, people: SimpleNamespace, get_as: Any
) -> None:
    response = _get(get_as, people.leader, **{**NOVEMBER, "date_from": "2026-10-01", "date_to": "2026-10-31"})
    wb = workbook_of(response)
    [total] = _records(wb, "汇总")
    assert total["收件"] == 0 and total["平均总用时（工作日）"] is None
    assert _records(wb, "按一件事") == [] and _records(wb, "按牵头单位") == []


def test_each_export_is_audited(constructed_month: SimpleNamespace, people: SimpleNamespace, get_as: Any) -> None:
    assert _get(get_as, people.supervisor, **NOVEMBER, package=PACKAGE).status_code == 200
    event = AuditEvent.objects.get(action="report.stats_xlsx")
    assert event.actor == people.supervisor
    note = json.loads(event.note)
    assert (note["kind"], note["rows"], note["filters"]["package"]) == ("package", 4, PACKAGE)


def test_roles_without_statistics_and_foreign_units_get_403(
    constructed_month: SimpleNamespace, people: SimpleNamespace, get_as: Any
) -> None:
    assert _get(get_as, people.handler_a, **NOVEMBER).status_code == 403
    # A street's administrator may not ask for the figures of a department it does not belong to.
    assert _get(get_as, people.street_admin, **NOVEMBER, unit="LS-ZJ").status_code == 403
    assert not AuditEvent.objects.filter(action="report.stats_xlsx").exists()


def test_a_bad_kind_or_filter_answers_400(
    constructed_month: SimpleNamespace, people: SimpleNamespace, get_as: Any
) -> None:
    response = _get(get_as, people.leader, **{**NOVEMBER, "kind": "nonsense"})
    assert response.status_code == 400
    # The page is in the user's language (Chinese): the message names the three kinds.
    assert "请选择工单、办件或一件事。" in body_of(response).decode()
    assert _get(get_as, people.leader, **NOVEMBER, package="YJS-NOPE").status_code == 400
    assert not AuditEvent.objects.filter(action="report.stats_xlsx").exists()
