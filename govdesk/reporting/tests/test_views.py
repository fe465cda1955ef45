"""Reporting pages: who may open what (roles 403, other units' reports 404), the unit's grid (rows kept and errors
shown in their row and column on a bad input, never a 500), the upload and download, the office's review, the task
form and the index's chart."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from govdesk.cases.models import CaseEvent
from govdesk.ledgers.kinds import ledger_kind_get
from govdesk.ledgers.models import ToiletRenovation
from govdesk.ledgers.xlsx import ledger_workbook
from govdesk.org.tests.factories import login_verified
from govdesk.reporting import services
from govdesk.reporting.models import Report, ReportingTask
from govdesk.reporting.states import Status

from .conftest import toilet_row

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def page(report: Report) -> str:
    return reverse("reporting:report", args=[report.number])


def grid_post(action: str, rows: list[dict[str, Any]], notes: dict[int, str] | None = None, **extra: Any) -> dict:
    data: dict[str, Any] = {"action": action, **extra}
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"r-{index}-{field}"] = value
    for index, note in (notes or {}).items():
        data[f"note-{index}"] = note
    return data


# --- access -------------------------------------------------------------------------------------------------------


def test_anonymous_users_go_to_the_login_page(report: Report) -> None:
    for url in (reverse("reporting:index"), reverse("reporting:task_new"), page(report)):
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["citizen", "operator", "dispatcher", "sysadmin"])
def test_roles_without_reporting_are_refused(report: Report, people: SimpleNamespace, who: str) -> None:
    client = client_for(getattr(people, who))
    for url in (reverse("reporting:index"), page(report), reverse("reporting:report_workbook", args=[report.number])):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("who", ["handler_a", "unit_admin_a", "community_handler"])
def test_another_units_report_is_not_found(report: Report, people: SimpleNamespace, who: str) -> None:
    client = client_for(getattr(people, who))
    assert client.get(page(report)).status_code == 404
    assert client.get(reverse("reporting:report_workbook", args=[report.number])).status_code == 404
    response = client.post(page(report), grid_post("save", [toilet_row()]))
    assert response.status_code == 404
    assert Report.objects.get(pk=report.pk).status == Status.ASSIGNED
    assert report.number not in client.get(reverse("reporting:index")).content.decode()


def test_only_the_office_opens_the_task_form(people: SimpleNamespace) -> None:
    for who in ("street_handler", "street_admin", "leader"):
        assert client_for(getattr(people, who)).get(reverse("reporting:task_new")).status_code == 403
    assert client_for(people.supervisor).get(reverse("reporting:task_new")).status_code == 200


def test_the_leader_reads_but_cannot_decide(report: Report, people: SimpleNamespace) -> None:
    services.report_submit(report=report.number, actor=people.street_handler, rows=[toilet_row()])
    client = client_for(people.leader)
    body = client.get(page(report)).content.decode()
    assert 'data-testid="decide"' not in body and "滨河社区" in body
    assert client.post(page(report), {"action": "accept"}).status_code == 403
    assert Report.objects.get(pk=report.pk).status == Status.SUBMITTED


def test_the_menu_shows_reporting_to_units_and_the_office(people: SimpleNamespace) -> None:
    url = reverse("reporting:index")
    for who in ("street_handler", "supervisor"):
        assert f'href="{url}"' in client_for(getattr(people, who)).get(url).content.decode()
    assert f'href="{url}"' not in client_for(people.operator).get(reverse("web:home")).content.decode()


# --- the index ----------------------------------------------------------------------------------------------------


def test_the_unit_sees_its_reports_with_deadline_and_overdue_flag(report: Report, people: SimpleNamespace) -> None:
    body = client_for(people.street_handler).get(reverse("reporting:index")).content.decode()
    assert report.number in body and 'data-testid="overdue"' in body  # issued in 2026-09, past by now
    assert 'data-testid="reporting-progress"' not in body  # the office's chart


def test_the_office_sees_each_task_with_a_progress_chart(
    report: Report, people: SimpleNamespace, district: SimpleNamespace
) -> None:
    services.report_submit(report=report.number, actor=people.street_handler, rows=[toilet_row()])
    body = client_for(people.supervisor).get(reverse("reporting:index")).content.decode()
    assert "<svg" in body and 'data-testid="reporting-progress"' in body
    assert 'data-submitted="1"' in body and 'data-units="1"' in body
    assert report.number in body and district.street.name in body


# --- the grid -----------------------------------------------------------------------------------------------------


def test_the_grid_is_prefilled_and_has_empty_lines(report: Report, people: SimpleNamespace) -> None:
    services.report_rows_save(report=report.number, actor=people.street_handler, rows=[toilet_row()])
    body = client_for(people.street_handler).get(page(report)).content.decode()
    assert 'name="r-0-village" value="滨河社区"' in body
    assert 'name="r-3-village"' in body  # three empty lines under the one filled
    assert "完成（座）" in body


def test_save_then_submit_through_the_grid(report: Report, people: SimpleNamespace) -> None:
    client = client_for(people.street_handler)
    rows = [toilet_row(), toilet_row(village="龙凤村", planned="6", completed="6"), {"village": "", "planned": ""}]
    response = client.post(page(report), grid_post("save", rows))
    assert response.status_code == 302
    saved = Report.objects.get(pk=report.pk)
    assert saved.status == Status.DRAFT and len(saved.rows) == 2  # the empty line dropped
    response = client.post(page(report), grid_post("submit", rows[:2], {1: ""}, **{"r-0-delete": "1"}))
    assert response.status_code == 302
    submitted = Report.objects.get(pk=report.pk)
    assert submitted.status == Status.SUBMITTED
    assert [r["village"] for r in submitted.rows] == ["龙凤村"]  # line 1 removed


def test_a_bad_value_is_shown_in_its_row_and_column_and_nothing_typed_is_lost(
    report: Report, people: SimpleNamespace
) -> None:
    client = client_for(people.street_handler)
    rows = [toilet_row(village="龙凤村"), toilet_row(completed="十二")]
    response = client.post(page(report), grid_post("submit", rows))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'name="r-1-completed" value="十二"' in body and 'name="r-0-village" value="龙凤村"' in body
    # The error sits in the second line's "completed" cell.
    line = body[body.index('data-row="2"') : body.index('data-row="3"')]
    assert 'name="r-1-completed"' in line and 'data-testid="cell-error"' in line
    assert 'aria-invalid="true"' in line
    assert Report.objects.get(pk=report.pk).status == Status.ASSIGNED


def test_a_large_change_without_a_note_asks_for_it_in_the_row(
    people: SimpleNamespace, district: SimpleNamespace
) -> None:
    from .conftest import issue

    august = Report.objects.get(task=issue(people.supervisor, units=[district.street.code], month=8))
    services.report_submit(report=august.number, actor=people.street_handler, rows=[toilet_row(planned="30")])
    services.report_accept(report=august.number, actor=people.supervisor)
    september = Report.objects.get(task=issue(people.supervisor, units=[district.street.code], month=9))
    client = client_for(people.street_handler)
    rows = [toilet_row(planned="30", completed="20")]
    response = client.post(page(september), grid_post("submit", rows))
    assert response.status_code == 400
    assert 'data-testid="note-error"' in response.content.decode()
    response = client.post(page(september), grid_post("submit", rows, {0: "集中验收"}))
    assert response.status_code == 302
    assert Report.objects.get(pk=september.pk).notes == {"1": "集中验收"}


@pytest.mark.parametrize(
    "data",
    [
        {"action": "nonsense"},
        {},
        {"action": "save", "r-0-village": "x" * 300},
        {"action": "save", "note-0": "n" * 600, "r-0-village": "甲村"},
        {"action": "upload"},
        {"action": "accept"},
        {"action": "return", "note": ""},
        {"action": "submit", "r-99999-village": "x"},
    ],
)
def test_bad_posts_are_answered_without_a_500(report: Report, people: SimpleNamespace, data: dict) -> None:
    for user in (people.street_handler, people.supervisor):
        response = client_for(user).post(page(report), data)
        assert 400 <= response.status_code < 500, (user, data, response.status_code)


# --- upload and download ------------------------------------------------------------------------------------------


def test_the_template_downloads_prefilled(report: Report, people: SimpleNamespace) -> None:
    services.report_rows_save(report=report.number, actor=people.street_handler, rows=[toilet_row()])
    response = client_for(people.street_handler).get(reverse("reporting:report_workbook", args=[report.number]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{report.number}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "滨河社区" in values and "完成（座）" in values


def test_upload_through_the_page(report: Report, people: SimpleNamespace) -> None:
    data = ledger_workbook(
        ledger_kind_get("toilets"), year=2026, month=9, unit=report.unit, rows=[{**toilet_row(), "month": 9}]
    )
    client = client_for(people.street_handler)
    upload = io.BytesIO(data)
    upload.name = "toilets.xlsx"
    response = client.post(page(report), {"action": "upload", "file": upload})
    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).rows[0]["village"] == "滨河社区"
    junk = io.BytesIO(b"not a workbook")
    junk.name = "toilets.xlsx"
    response = client.post(page(report), {"action": "upload", "file": junk})
    assert response.status_code == 400 and 'data-testid="errors"' in response.content.decode()


# --- the office ---------------------------------------------------------------------------------------------------


def test_the_office_returns_with_a_note_the_unit_reads_then_accepts(report: Report, people: SimpleNamespace) -> None:
    unit, office = client_for(people.street_handler), client_for(people.supervisor)
    assert unit.post(page(report), grid_post("submit", [toilet_row()])).status_code == 302
    body = office.get(page(report)).content.decode()
    assert 'data-testid="decide"' in body
    assert office.post(page(report), {"action": "return", "note": ""}).status_code == 400
    assert office.post(page(report), {"action": "return", "note": "村名写错"}).status_code == 302
    body = unit.get(page(report)).content.decode()
    assert 'data-testid="return-note"' in body and "村名写错" in body
    assert unit.post(page(report), grid_post("submit", [toilet_row(village="龙凤村")])).status_code == 302
    body = office.get(page(report)).content.decode()
    assert 'data-change="added"' in body and 'data-change="removed"' in body  # against version 1
    assert office.post(page(report), {"action": "accept"}).status_code == 302
    assert ToiletRenovation.objects.get(village="龙凤村").source == f"report:{report.number}"
    assert unit.post(page(report), grid_post("save", [toilet_row()])).status_code == 409
    assert [e for e in CaseEvent.objects.filter(case_id=report.pk).values_list("action", flat=True)] == [
        "issue",
        "submit",
        "return",
        "submit",
        "accept",
    ]


def test_the_task_form_issues_and_shows_errors(people: SimpleNamespace, district: SimpleNamespace) -> None:
    client = client_for(people.supervisor)
    response = client.post(
        reverse("reporting:task_new"),
        {"kind": "toilets", "year": "2026", "month": "13", "units_choice": "pick", "deadline_days": "5"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="errors"' in body and 'value="2026"' in body
    assert not ReportingTask.objects.exists()
    response = client.post(
        reverse("reporting:task_new"),
        {
            "kind": "toilets",
            "year": "2026",
            "month": "9",
            "units_choice": "pick",
            "unit_codes": [district.street.code],
            "deadline_days": "5",
        },
    )
    assert response.status_code == 302
    assert Report.objects.get().unit == district.street


def test_a_report_too_large_for_the_grid_is_shown_as_a_table_and_submitted_as_saved(
    report: Report, people: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govdesk.reporting import views

    monkeypatch.setattr(views, "GRID_ROWS_MAX", 1)
    rows = [toilet_row(), toilet_row(village="龙凤村")]
    services.report_rows_save(report=report.number, actor=people.street_handler, rows=rows)
    client = client_for(people.street_handler)
    body = client.get(page(report)).content.decode()
    assert 'data-testid="grid-too-large"' in body and 'data-testid="grid"' not in body and "龙凤村" in body
    assert client.post(page(report), {"action": "submit", "saved_rows": "1"}).status_code == 302
    submitted = Report.objects.get(pk=report.pk)
    assert submitted.status == Status.SUBMITTED and len(submitted.rows) == 2
