"""办件台账: the application list as xlsx, under the order export's rules (roles, scope, masking, full numbers only
with the permission, a reason and a row cap, audited, background jobs for large ones), read back with openpyxl."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from govdesk.audit.models import AuditEvent
from govdesk.org.tests.factories import login_verified
from govdesk.reports.labels import APPLICATION_HEADERS
from govdesk.reports.models import ExportJob

from .conftest import SHANGHAI, body_of, grant_export_unmasked, workbook_of

pytestmark = pytest.mark.django_db
URL = "/reports/applications.xlsx"
HEADERS = [header for header, _width in APPLICATION_HEADERS]
# When the ledger is read: the overdue application's deadline (19 October) has passed.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def at_now() -> Iterator[None]:
    """The whole visit at one moment (a session's age is counted from its login)."""
    with time_machine.travel(NOW, tick=False):
        yield


def shown(message: str) -> str:
    """A message as the (Chinese) page shows it, whether or not its translation is compiled yet."""
    with translation.override("zh-hans"):
        return escape(translation.gettext(message))


def rows_of(response: Any) -> dict[str, dict[str, Any]]:
    """The ledger's rows by application number, each as {header: value}; the headers checked on the way."""
    assert response.status_code == 200, body_of(response)[:400]
    sheet = workbook_of(response)["办件台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    return {row[0]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}


def export(user: Any, **params: str) -> Any:
    client = Client()
    login_verified(client, user)
    with time_machine.travel(NOW, tick=False):
        return client.get(URL, params)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An Excel cell's naive wall-clock time (Asia/Shanghai)."""
    return datetime(2026, 10, day, hour, minute)


def test_the_ledger_has_every_column_with_the_exact_figures(
    hall: SimpleNamespace, people: SimpleNamespace, gov_october: SimpleNamespace
) -> None:
    rows = rows_of(export(people.supervisor))
    m = gov_october
    assert set(rows) == {m.on_time, m.late, m.suspended, m.overdue, m.refused, m.online}
    on_time = rows[m.on_time]
    assert on_time == {
        "办件编号": m.on_time,
        "事项编码": "141102-ZJ-XK-0001",
        "事项名称": "建筑工程施工许可",
        "办理单位": "区住建局",
        "申请渠道": "窗口",
        "申请人": "张**",  # a supervisor reads the ledger masked
        "电话": "139****5678",
        "证件号码": "110105********002X",
        "状态": "已办结",
        "提交时间": local(12, 10),
        "受理时间": local(12, 10),
        "办结期限": local(19, 17, 30),  # the end of the fifth working day after acceptance
        "办结时间": local(14, 10),
        "是否按时办结": "是",
        "送达时间": local(15, 10),
        "中止天数": 0,
        "办理结果": "准予",
    }
    late = rows[m.late]
    assert (late["办结期限"], late["办结时间"], late["是否按时办结"], late["办理结果"]) == (
        local(19, 17, 30),
        local(26, 10),
        "否",
        "准予",
    )
    suspended = rows[m.suspended]
    # Two working days suspended moved the deadline from the 20th to the 22nd: denied on the 21st is on time.
    assert (suspended["中止天数"], suspended["办结期限"], suspended["是否按时办结"], suspended["办理结果"]) == (
        2,
        local(22, 17, 30),
        "是",
        "不予准许",
    )
    overdue = rows[m.overdue]
    assert (overdue["办理单位"], overdue["状态"], overdue["是否按时办结"], overdue["办结时间"]) == (
        "区人社局",
        "办理中",
        "已超期",
        None,
    )
    refused = rows[m.refused]
    assert (refused["受理时间"], refused["办结期限"], refused["是否按时办结"], refused["办理结果"]) == (
        None,
        None,
        None,  # neither on time nor late (an empty cell)
        "不予受理",
    )
    online = rows[m.online]
    assert (online["申请渠道"], online["事项名称"], online["是否按时办结"], online["申请人"]) == (
        "网上申报",
        "建筑垃圾处置核准",
        "是",
        "王**",
    )
    event = AuditEvent.objects.get(action="report.applications_xlsx")
    assert event.actor == people.supervisor
    assert json.loads(event.note) == {"filters": {}, "rows": 6, "unmasked": False}
    # The file is named for what it is.
    response = export(people.supervisor)
    assert "filename*=UTF-8''%E5%8A%9E%E4%BB%B6%E5%8F%B0%E8%B4%A6-" in response["Content-Disposition"]


def test_filters_narrow_the_ledger(
    hall: SimpleNamespace, people: SimpleNamespace, gov_october: SimpleNamespace
) -> None:
    m = gov_october
    assert set(rows_of(export(people.supervisor, unit="LS-RS"))) == {m.overdue}
    assert set(rows_of(export(people.supervisor, channel="online"))) == {m.online}
    assert set(rows_of(export(people.supervisor, status="closed"))) == {m.on_time, m.late, m.suspended, m.online}
    assert set(rows_of(export(people.supervisor, status="refused,handling"))) == {m.refused, m.overdue}
    assert set(rows_of(export(people.supervisor, matter="141102-ZJ-GG-0002"))) == {m.online}
    # Submitted on the 13th only (dates inclusive, local time).
    assert set(rows_of(export(people.supervisor, date_from="2026-10-13", date_to="2026-10-13"))) == {
        m.suspended,
        m.online,
    }
    assert rows_of(export(people.supervisor, date_from="2026-10-14")) == {}
    note = json.loads(AuditEvent.objects.filter(action="report.applications_xlsx").order_by("id")[0].note)
    assert note["filters"] == {"unit": "LS-RS"}


def test_a_unit_handler_exports_only_their_units_applications(
    hall: SimpleNamespace, people: SimpleNamespace, gov_october: SimpleNamespace
) -> None:
    m = gov_october
    assert set(rows_of(export(people.handler_b))) == {m.overdue}
    theirs = rows_of(export(people.handler_a))
    assert m.overdue not in theirs and len(theirs) == 5
    # Asking for the other unit by name gives nothing of it, and no error that would tell what exists.
    assert rows_of(export(people.handler_a, unit="LS-RS")) == {}
    assert rows_of(export(people.street_handler)) == {}
    # The deciding unit's handler reads names in full (as on its pages), numbers still masked.
    assert (theirs[m.on_time]["申请人"], theirs[m.on_time]["电话"]) == ("张建国", "139****5678")


@pytest.mark.parametrize("who", ["citizen", "operator", "dispatcher", "auditor"])
def test_roles_that_do_not_work_on_applications_may_not_export_them(
    people: SimpleNamespace, gov_october: SimpleNamespace, who: str
) -> None:
    assert export(getattr(people, who)).status_code == 403
    assert not AuditEvent.objects.filter(action="report.applications_xlsx").exists()


@pytest.mark.parametrize(
    ("params", "field", "problem"),
    [
        ({"date_from": "2026-13-01"}, "Submitted from", "Give the date as YYYY-MM-DD."),
        ({"date_to": "yesterday"}, "Submitted until", "Give the date as YYYY-MM-DD."),
        ({"date_from": "2026-10-20", "date_to": "2026-10-01"}, "Submitted until", "The end date is before"),
        ({"status": "lost"}, "Status", "Unknown value: lost"),
        ({"status": "closed,lost"}, "Status", "Unknown value: lost"),
        ({"unit": "NOPE"}, "Unit", "Unknown value: NOPE"),
        ({"matter": "0000"}, "Matter code", "Unknown value: 0000"),
        ({"channel": "fax"}, "Channel", "Unknown value: fax"),
    ],
)
def test_an_invalid_filter_is_400_naming_the_filter(
    people: SimpleNamespace, gov_october: SimpleNamespace, params: dict[str, str], field: str, problem: str
) -> None:
    client = Client()
    login_verified(client, people.supervisor)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"  # the page in English, whatever is translated
    with time_machine.travel(NOW, tick=False):
        response = client.get(URL, params)
        page = response.content.decode()
    assert response.status_code == 400
    assert "Some filters are not valid" in page and field in page and escape(problem) in page, page[-1500:]
    assert not AuditEvent.objects.filter(action="report.applications_xlsx").exists()


NEEDS_PERMISSION = (
    "Exporting full phone and ID numbers needs its own permission, which the security administrator grants per "
    "account. Export without full numbers, or reveal a number on the application's page."
)
NEEDS_REASON = "Give the reason for exporting full phone and ID numbers; it is kept in the audit trail."


def test_full_numbers_need_the_permission(
    hall: SimpleNamespace, people: SimpleNamespace, gov_october: SimpleNamespace
) -> None:
    response = export(hall.clerk, unmask="1", reason="核对申请人信息")
    assert response.status_code == 403
    assert shown(NEEDS_PERMISSION) in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.applications_xlsx").exists()


@pytest.mark.parametrize("reason", [None, "", "   ", "\u200b\u202e"])
def test_full_numbers_need_a_reason(
    hall: SimpleNamespace, people: SimpleNamespace, gov_october: SimpleNamespace, reason: str | None
) -> None:
    grant_export_unmasked(hall.clerk)
    response = export(hall.clerk, unmask="1", **({} if reason is None else {"reason": reason}))
    assert response.status_code == 400
    assert shown(NEEDS_REASON) in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.applications_xlsx").exists()


def test_with_the_permission_and_a_reason_the_window_gets_full_numbers_and_the_reason_is_audited(
    hall: SimpleNamespace, people: SimpleNamespace, gov_october: SimpleNamespace
) -> None:
    grant_export_unmasked(hall.clerk, people.supervisor, people.handler_b)
    rows = rows_of(export(hall.clerk, unmask="1", reason="集中送达，核对号码"))
    assert (rows[gov_october.on_time]["电话"], rows[gov_october.on_time]["证件号码"]) == (
        "13912345678",
        "11010519491231002X",
    )
    note = json.loads(AuditEvent.objects.get(action="report.applications_xlsx").note)
    assert note == {"filters": {}, "rows": 6, "unmasked": True, "reason": "集中送达，核对号码"}
    # The deciding unit sees its own applications' numbers in full.
    own = rows_of(export(people.handler_b, unmask="1", reason="电话通知申请人"))
    assert own[gov_october.overdue]["电话"] == "13800009999"
    # A supervisor reads masked data only: the permission does not change that.
    supervised = rows_of(export(people.supervisor, unmask="1", reason="抽查"))
    assert all("****" in row["电话"] and "********" in row["证件号码"] for row in supervised.values())


def test_above_the_row_cap_full_numbers_are_refused_not_cut_short(
    hall: SimpleNamespace, people: SimpleNamespace, gov_october: SimpleNamespace, settings: Any
) -> None:
    settings.GOVDESK = {**django_settings.GOVDESK, "UNMASK_EXPORT_MAX_ROWS": 5}
    grant_export_unmasked(hall.clerk)
    response = export(hall.clerk, unmask="1", reason="核对")
    assert response.status_code == 400
    page = response.content.decode()
    assert "6" in page and "5" in page
    assert not AuditEvent.objects.filter(action="report.applications_xlsx").exists()
    # Masked, the same list is no bulk unmasking; at the cap, full numbers are allowed.
    assert len(rows_of(export(hall.clerk))) == 6
    assert len(rows_of(export(hall.clerk, status="closed,refused", unmask="1", reason="核对"))) == 5


def test_a_large_ledger_is_built_in_the_background_for_its_requester_only(
    hall: SimpleNamespace,
    people: SimpleNamespace,
    gov_october: SimpleNamespace,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    at_now: None,
) -> None:
    settings.GOVDESK = {**django_settings.GOVDESK, "EXPORT_INLINE_ROWS": 2}
    grant_export_unmasked(people.handler_a)
    client = Client()
    login_verified(client, people.handler_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(URL, {"status": "closed", "unmask": "1", "reason": "送达回访"})
    assert response.status_code == 302 and response["Location"] == "/reports/exports/"
    job = ExportJob.objects.get()
    assert (job.kind, job.status, job.rows, job.expected_rows, job.unmask) == ("applications", "done", 4, 4, True)
    assert job.filters == {"status": "closed"}
    queued = json.loads(AuditEvent.objects.get(action="report.applications_xlsx_queued").note)
    assert queued["reason"] == "送达回访" and queued["rows"] == 4

    page = client.get("/reports/exports/").content.decode()
    assert 'data-status="done" data-kind="applications"' in page and f"/reports/exports/{job.pk}/download" in page
    download = client.get(f"/reports/exports/{job.pk}/download")
    assert "filename*=UTF-8''%E5%8A%9E%E4%BB%B6%E5%8F%B0%E8%B4%A6-" in download["Content-Disposition"]
    rows = rows_of(download)
    assert set(rows) == {gov_october.on_time, gov_october.late, gov_october.suspended, gov_october.online}
    assert rows[gov_october.on_time]["电话"] == "13912345678"
    assert AuditEvent.objects.filter(action="report.applications_xlsx_download", actor=people.handler_a).exists()
    # Nobody else downloads it.
    other = Client()
    login_verified(other, people.supervisor)
    assert other.get(f"/reports/exports/{job.pk}/download").status_code == 404


def test_the_list_and_the_exports_page_offer_the_ledger(
    hall: SimpleNamespace, people: SimpleNamespace, gov_october: SimpleNamespace
) -> None:
    client = Client()
    login_verified(client, hall.clerk)
    listing = client.get("/applications/", {"status": "closed"}).content.decode()
    assert 'href="/reports/applications.xlsx?status=closed"' in listing
    page = client.get("/reports/exports/")
    html = page.content.decode()
    assert page.status_code == 200
    form = html.split('data-testid="applications-export"')[1].split("</form>")[0]
    assert 'action="/reports/applications.xlsx"' in form
    for name in ("date_from", "date_to", "status", "unit", "matter", "channel"):
        assert f'name="{name}"' in form, name
    assert '<option value="LS-RS">区人社局</option>' in form and 'name="reason"' not in form
    grant_export_unmasked(hall.clerk)
    form = client.get("/reports/exports/").content.decode().split('data-testid="applications-export"')[1]
    assert 'name="unmask"' in form.split("</form>")[0] and 'name="reason"' in form.split("</form>")[0]
    # A unit's handler is offered only their own unit; the hotline's operator no application ledger at all.
    handler = Client()
    login_verified(handler, people.handler_b)
    form = handler.get("/reports/exports/").content.decode().split('data-testid="applications-export"')[1]
    assert "区人社局" in form.split("</form>")[0] and "区住建局" not in form.split("</form>")[0]
    operator = Client()
    login_verified(operator, people.operator)
    assert 'data-testid="applications-export"' not in operator.get("/reports/exports/").content.decode()


def test_the_ledger_reads_in_a_fixed_number_of_queries(
    hall: SimpleNamespace, people: SimpleNamespace, gov_october: SimpleNamespace
) -> None:
    """Suspensions and decisions come with the rows (subqueries), not one query per application."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    login_verified(client, people.supervisor)
    counts = []
    with time_machine.travel(NOW, tick=False):
        for params in ({"status": "handling"}, {}):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(URL, params)
            counts.append(len(queries))
            assert response.status_code == 200
    assert len(rows_of(response)) == 6
    assert counts[0] == counts[1], counts
