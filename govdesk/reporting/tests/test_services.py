"""Reporting services: issuing a task (one report case per unit, deadline in working days), saving, uploading,
submitting with the ledger's rules and large-change notes, returning, accepting into the ledger in one transaction,
every change on the timeline and in the audit trail, and every bad input refused with nothing written."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
import time_machine

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import CaseEvent, CaseKind, CaseUnit
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.ledgers.kinds import ledger_kind_get
from govdesk.ledgers.models import LedgerRowVersion, ToiletRenovation
from govdesk.ledgers.xlsx import ledger_workbook
from govdesk.reporting import services
from govdesk.reporting.models import Decision, Report, ReportingTask, ReportVersion
from govdesk.reporting.states import Status

from .conftest import ISSUED, SHANGHAI, issue, toilet_row

pytestmark = pytest.mark.django_db

# Five working days after Mon 09-21: Fri 09-25 is the Mid-Autumn Festival, so close of business Tue 09-29.
DUE = datetime(2026, 9, 29, 17, 30, tzinfo=SHANGHAI)


def fresh(report: Report) -> Report:
    return Report.objects.get(pk=report.pk)


def actions(report: Report) -> list[str]:
    return list(CaseEvent.objects.filter(case_id=report.pk).order_by("pk").values_list("action", flat=True))


def audited(report: Report) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=report.number).order_by("pk").values_list("action", flat=True))


def submit(report: Report, actor: Any, rows: Any = None, notes: Any = None) -> Report:
    return services.report_submit(
        report=report.number, actor=actor, rows=[toilet_row()] if rows is None else rows, notes=notes
    )


# --- issuing ----------------------------------------------------------------------------------------------------------


def test_a_task_gives_each_unit_one_report_case_due_in_working_days(
    people: SimpleNamespace, district: SimpleNamespace
) -> None:
    task = issue(people.supervisor, units=[district.street.code, district.dept_a.code])
    assert task.due_at == DUE
    assert task.title.startswith("农村户厕改造") and "2026年9月" in task.title
    reports = list(Report.objects.filter(task=task))
    assert sorted(r.unit_id for r in reports) == sorted([district.street.pk, district.dept_a.pk])
    for report in reports:
        assert report.kind == CaseKind.REPORT and report.number.startswith("TB")
        assert report.status == Status.ASSIGNED and report.is_open
        assert report.primary_unit_id == report.unit_id
        assert report.due_at == DUE
        assert CaseUnit.objects.filter(case=report, unit=report.unit, is_active=True, role="primary").exists()
        assert actions(report) == ["issue"]
        assert audited(report) == ["report.issue"]
    assert set(task.units.all()) == {district.street, district.dept_a}


def test_all_streets_and_all_departments(people: SimpleNamespace, district: SimpleNamespace) -> None:
    streets = issue(people.supervisor, units="streets")
    assert set(streets.units.all()) == {district.street}
    departments = issue(people.supervisor, units="departments", kind="parks", month=None)
    assert set(departments.units.all()) == {district.dept_a, district.dept_b}


def test_a_monthly_report_starts_from_the_units_rows_of_last_month(
    people: SimpleNamespace, district: SimpleNamespace
) -> None:
    august = issue(people.supervisor, units=[district.street.code], month=8)
    last = Report.objects.get(task=august)
    services.report_rows_save(report=last.number, actor=people.street_handler, rows=[toilet_row(completed="3")])
    september = Report.objects.get(task=issue(people.supervisor, units=[district.street.code], month=9))
    assert september.rows == [{**toilet_row(completed="3"), "month": 9}]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "nonsense"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"kind": ["toilets"]}, "kind"),
        ({"year": "20x6"}, "year"),
        ({"year": 1800}, "year"),
        ({"month": None}, "month"),
        ({"month": 13}, "month"),
        ({"month": "0"}, "month"),
        ({"kind": "parks", "month": 9}, "month"),  # an annual ledger has no month
        ({"units": []}, "units"),
        ({"units": "everyone"}, "units"),
        ({"units": ["NOPE"]}, "units"),
        ({"units": ["LS-12345"]}, "units"),  # the hotline centre does not report
        ({"units": [1, 2]}, "units"),
        ({"deadline_days": 0}, "deadline_days"),
        ({"deadline_days": 61}, "deadline_days"),
        ({"deadline_days": True}, "deadline_days"),
        ({"title": "x" * 201}, "title"),
        ({"note": 5}, "note"),
    ],
)
def test_a_bad_task_is_refused_naming_the_field_and_nothing_is_issued(
    people: SimpleNamespace, district: SimpleNamespace, data: dict[str, Any], field: str
) -> None:
    base = {"kind": "toilets", "year": 2026, "month": 9, "units": [district.street.code], "deadline_days": 5}
    with pytest.raises(ValidationFailed) as caught:
        services.reporting_task_issue(actor=people.supervisor, data={**base, **data})
    assert field in caught.value.fields
    assert not ReportingTask.objects.exists() and not Report.objects.exists()


def test_a_unit_gets_one_report_per_ledger_and_period(people: SimpleNamespace, district: SimpleNamespace) -> None:
    issue(people.supervisor, units=[district.street.code])
    with pytest.raises(ValidationFailed) as caught:
        issue(people.supervisor, units=[district.street.code, district.dept_a.code])
    assert district.street.name in caught.value.fields["units"][0]
    assert ReportingTask.objects.count() == 1


@pytest.mark.parametrize("who", ["street_handler", "street_admin", "leader", "dispatcher", "citizen"])
def test_only_the_office_issues_tasks(people: SimpleNamespace, district: SimpleNamespace, who: str) -> None:
    with pytest.raises(PermissionDenied):
        issue(getattr(people, who), units=[district.street.code])
    assert not ReportingTask.objects.exists()


# --- the unit fills -----------------------------------------------------------------------------------------------


def test_saving_keeps_the_rows_as_typed_and_records_it(report: Report, people: SimpleNamespace) -> None:
    rows = [toilet_row(completed="four")]  # wrong, but a draft may be wrong
    saved = services.report_rows_save(report=report.number, actor=people.street_handler, rows=rows)
    assert saved.status == Status.DRAFT
    assert fresh(report).rows == [{**toilet_row(completed="four"), "month": 9}]
    assert actions(report) == ["issue", "save"]
    assert audited(report)[-1] == "report.save"
    # The same rows again write nothing.
    services.report_rows_save(report=report.number, actor=people.street_handler, rows=rows)
    assert actions(report) == ["issue", "save"]


@pytest.mark.parametrize(
    "rows",
    [
        "not a list",
        [["a", "b"]],
        [{"no_such_column": "1"}],
        [{"village": {"nested": 1}}],
        [{"village": "x" * 201}],
        [toilet_row()] * (services.ROWS_MAX + 1),
    ],
)
def test_rows_of_the_wrong_shape_are_refused(report: Report, people: SimpleNamespace, rows: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.report_rows_save(report=report.number, actor=people.street_handler, rows=rows)
    assert fresh(report).status == Status.ASSIGNED and fresh(report).rows == []


@pytest.mark.parametrize("notes", ["text", {"7": "row 7 does not exist"}, {"x": "no"}, {"1": "n" * 501}])
def test_bad_notes_are_refused(report: Report, people: SimpleNamespace, notes: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.report_rows_save(report=report.number, actor=people.street_handler, rows=[toilet_row()], notes=notes)


def test_another_units_report_is_not_found_and_the_office_does_not_fill(
    report: Report, people: SimpleNamespace
) -> None:
    for stranger in (people.handler_a, people.unit_admin_a, people.community_handler):
        with pytest.raises(NotFound):
            services.report_rows_save(report=report.number, actor=stranger, rows=[toilet_row()])
    with pytest.raises(PermissionDenied):
        services.report_rows_save(report=report.number, actor=people.supervisor, rows=[toilet_row()])
    with pytest.raises(NotFound):
        services.report_rows_save(report="TB-nope", actor=people.street_handler, rows=[])
    assert actions(report) == ["issue"]


def test_the_units_administrator_fills_too(report: Report, people: SimpleNamespace) -> None:
    submit(report, people.street_admin)
    assert fresh(report).status == Status.SUBMITTED


# --- uploading ----------------------------------------------------------------------------------------------------


def workbook(report: Report, rows: list[dict[str, Any]], **period: Any) -> bytes:
    kind = ledger_kind_get("toilets")
    return ledger_workbook(
        kind,
        year=period.get("year", 2026),
        month=period.get("month", 9),
        unit=period.get("unit", report.unit),
        rows=[{**r, "month": period.get("month", 9)} for r in rows],
    )


def test_an_uploaded_template_replaces_the_rows(report: Report, people: SimpleNamespace) -> None:
    data = workbook(report, [toilet_row(), toilet_row(village="龙凤村", planned="8", completed="8")])
    services.report_workbook_upload(report=report.number, actor=people.street_handler, data=data)
    got = fresh(report)
    assert got.status == Status.DRAFT
    assert [(r["village"], int(r["completed"])) for r in got.rows] == [("滨河社区", 4), ("龙凤村", 8)]
    assert actions(report)[-1] == "save"


@pytest.mark.parametrize("period", [{"month": 8}, {"year": 2025}], ids=["another month", "another year"])
def test_a_template_of_another_period_is_refused(report: Report, people: SimpleNamespace, period: Any) -> None:
    data = workbook(report, [toilet_row()], **period)
    with pytest.raises(ValidationFailed) as caught:
        services.report_workbook_upload(report=report.number, actor=people.street_handler, data=data)
    assert caught.value.fields["file"]
    assert fresh(report).status == Status.ASSIGNED and fresh(report).rows == []


def test_a_template_of_another_unit_is_refused(
    report: Report, people: SimpleNamespace, district: SimpleNamespace
) -> None:
    data = workbook(report, [toilet_row()], unit=district.dept_a)
    with pytest.raises(ValidationFailed):
        services.report_workbook_upload(report=report.number, actor=people.street_handler, data=data)
    assert fresh(report).rows == []


def test_a_template_of_another_ledger_is_refused(report: Report, people: SimpleNamespace) -> None:
    data = ledger_workbook(ledger_kind_get("contracts"), year=2026, month=9, unit=report.unit, rows=[])
    with pytest.raises(ValidationFailed) as caught:
        services.report_workbook_upload(report=report.number, actor=people.street_handler, data=data)
    assert caught.value.fields["file"]
    assert fresh(report).rows == []


def test_a_bad_cell_is_refused_naming_sheet_row_and_column(report: Report, people: SimpleNamespace) -> None:
    data = workbook(report, [toilet_row(), toilet_row(village="龙凤村", completed="很多")])
    with pytest.raises(ValidationFailed) as caught:
        services.report_workbook_upload(report=report.number, actor=people.street_handler, data=data)
    message = " ".join(caught.value.fields["file"])
    assert "农村户厕改造" in message and "完成（座）" in message and "4" in message
    assert fresh(report).rows == []


@pytest.mark.parametrize("data", [b"", b"plain text", b"PK\x03\x04 broken zip", "text", None])
def test_something_not_a_workbook_is_refused(report: Report, people: SimpleNamespace, data: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.report_workbook_upload(report=report.number, actor=people.street_handler, data=data)


def test_an_oversized_upload_is_refused(report: Report, people: SimpleNamespace) -> None:
    with pytest.raises(ValidationFailed):
        services.report_workbook_upload(
            report=report.number, actor=people.street_handler, data=b"PK\x03\x04" + b"0" * services.WORKBOOK_MAX_BYTES
        )


# --- submitting ---------------------------------------------------------------------------------------------------


def test_submitting_keeps_a_version_and_records_it(report: Report, people: SimpleNamespace) -> None:
    submitted = submit(report, people.street_handler)
    assert submitted.status == Status.SUBMITTED and submitted.version == 1 and submitted.submitted_at is not None
    version = ReportVersion.objects.get(report=report)
    assert version.version == 1 and version.rows == [{**toilet_row(), "month": 9}]
    assert version.submitted_by == people.street_handler and version.decision == ""
    assert actions(report) == ["issue", "submit"]
    assert audited(report) == ["report.issue", "report.submit"]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"completed": "four"}, "completed"),
        ({"completed": "-1"}, "completed"),
        ({"completed": "12"}, "completed"),  # more than planned
        ({"planned": "1.5"}, "planned"),
        ({"village": ""}, "village"),
    ],
)
def test_a_row_the_ledger_refuses_is_named_and_nothing_is_submitted(
    report: Report, people: SimpleNamespace, row: dict[str, Any], field: str
) -> None:
    rows = [toilet_row(village="龙凤村"), {**toilet_row(), **row}]
    with pytest.raises(ValidationFailed) as caught:
        submit(report, people.street_handler, rows=rows)
    assert f"rows.2.{field}" in caught.value.fields
    assert "2" in caught.value.message
    got = fresh(report)
    assert got.status == Status.ASSIGNED and got.version == 0 and not ReportVersion.objects.exists()
    assert actions(report) == ["issue"]


def test_a_duplicate_row_is_refused(report: Report, people: SimpleNamespace) -> None:
    with pytest.raises(ValidationFailed) as caught:
        submit(report, people.street_handler, rows=[toilet_row(), toilet_row()])
    assert any(key.startswith("rows.2") for key in caught.value.fields)


def test_an_empty_report_is_refused(report: Report, people: SimpleNamespace) -> None:
    with pytest.raises(ValidationFailed) as caught:
        submit(report, people.street_handler, rows=[])
    assert "rows" in caught.value.fields


def test_a_large_change_needs_a_note(people: SimpleNamespace, district: SimpleNamespace) -> None:
    """August accepted with 4 completed; September's 10 (+150 %) needs the unit's note, which the ledger keeps."""
    august = Report.objects.get(task=issue(people.supervisor, units=[district.street.code], month=8))
    submit(august, people.street_handler, rows=[toilet_row(planned="20", completed="4")])
    services.report_accept(report=august.number, actor=people.supervisor)
    september = Report.objects.get(task=issue(people.supervisor, units=[district.street.code], month=9))
    rows = [toilet_row(planned="20", completed="10")]
    with pytest.raises(ValidationFailed) as caught:
        submit(september, people.street_handler, rows=rows)
    assert "notes.1" in caught.value.fields
    assert fresh(september).status == Status.ASSIGNED
    submit(september, people.street_handler, rows=rows, notes={"1": "集中验收了一批"})
    services.report_accept(report=september.number, actor=people.supervisor)
    row = ToiletRenovation.objects.get(year=2026, month=9, village="滨河社区")
    assert LedgerRowVersion.objects.get(kind="toilets", row_id=row.pk).note == "集中验收了一批"


def test_a_submitted_report_cannot_be_saved_or_submitted_again(report: Report, people: SimpleNamespace) -> None:
    submit(report, people.street_handler)
    with pytest.raises(InvalidTransition):
        services.report_rows_save(report=report.number, actor=people.street_handler, rows=[toilet_row()])
    with pytest.raises(InvalidTransition):
        submit(report, people.street_handler)


# --- the office decides -------------------------------------------------------------------------------------------


def test_return_needs_a_note_the_unit_reads_then_correct_and_resubmit(report: Report, people: SimpleNamespace) -> None:
    submit(report, people.street_handler)
    for empty in ("", "   ", None):
        with pytest.raises(ValidationFailed):
            services.report_return(report=report.number, actor=people.supervisor, note=empty)
    assert fresh(report).status == Status.SUBMITTED
    services.report_return(report=report.number, actor=people.supervisor, note="完成数与验收单不符")
    got = fresh(report)
    assert got.status == Status.RETURNED and got.is_open
    version = ReportVersion.objects.get(report=report, version=1)
    assert version.decision == Decision.RETURNED and version.decision_note == "完成数与验收单不符"
    services.report_rows_save(report=report.number, actor=people.street_handler, rows=[toilet_row(completed="5")])
    assert fresh(report).status == Status.RETURNED  # still returned while the unit corrects it
    services.report_submit(report=report.number, actor=people.street_handler)  # the saved rows
    got = fresh(report)
    assert got.status == Status.SUBMITTED and got.version == 2
    assert ReportVersion.objects.get(report=report, version=2).rows[0]["completed"] == "5"
    assert actions(report) == ["issue", "submit", "return", "save", "submit"]


def test_accepting_writes_the_ledger_in_the_same_transaction(report: Report, people: SimpleNamespace) -> None:
    submit(report, people.street_handler, rows=[toilet_row(), toilet_row(village="龙凤村", planned="8", completed="8")])
    accepted = services.report_accept(report=report.number, actor=people.supervisor, note="数据核实无误")
    assert accepted.status == Status.ACCEPTED and not accepted.is_open and accepted.closed_at is not None
    rows = ToiletRenovation.objects.filter(year=2026, month=9).order_by("village")
    assert [(r.village, r.completed, r.reporting_unit_id, r.source) for r in rows] == [
        ("滨河社区", 4, report.unit_id, f"report:{report.number}"),
        ("龙凤村", 8, report.unit_id, f"report:{report.number}"),
    ]
    version = ReportVersion.objects.get(report=report)
    assert version.decision == Decision.ACCEPTED and version.decided_by == people.supervisor
    event = CaseEvent.objects.get(case_id=report.pk, action="accept")
    assert event.data["created"] == 2 and sorted(event.data["row_ids"]) == sorted(r.pk for r in rows)
    assert "report.accept" in audited(report)
    with pytest.raises(InvalidTransition):
        services.report_accept(report=report.number, actor=people.supervisor)


def test_a_failing_ledger_write_accepts_nothing(report: Report, people: SimpleNamespace) -> None:
    submit(report, people.street_handler)
    with (
        mock.patch.object(services, "ledger_rows_write", side_effect=ValidationFailed("refused")),
        pytest.raises(ValidationFailed),
    ):
        services.report_accept(report=report.number, actor=people.supervisor)
    assert fresh(report).status == Status.SUBMITTED
    assert ReportVersion.objects.get(report=report).decision == ""
    assert "accept" not in actions(report)


def test_a_failure_after_the_ledger_write_rolls_the_ledger_back(report: Report, people: SimpleNamespace) -> None:
    submit(report, people.street_handler)
    with (
        mock.patch.object(services, "case_event_record", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        services.report_accept(report=report.number, actor=people.supervisor)
    assert not ToiletRenovation.objects.exists()
    assert fresh(report).status == Status.SUBMITTED


@pytest.mark.parametrize("who", ["street_handler", "street_admin", "leader", "handler_a"])
def test_only_the_office_returns_or_accepts(report: Report, people: SimpleNamespace, who: str) -> None:
    submit(report, people.street_handler)
    actor = getattr(people, who)
    with pytest.raises(PermissionDenied):
        services.report_accept(report=report.number, actor=actor)
    with pytest.raises(PermissionDenied):
        services.report_return(report=report.number, actor=actor, note="no")
    assert fresh(report).status == Status.SUBMITTED


def test_a_report_not_submitted_cannot_be_decided(report: Report, people: SimpleNamespace) -> None:
    with pytest.raises(InvalidTransition):
        services.report_accept(report=report.number, actor=people.supervisor)
    with pytest.raises(InvalidTransition):
        services.report_return(report=report.number, actor=people.supervisor, note="why")


def test_a_late_submission_is_marked_late(report: Report, people: SimpleNamespace) -> None:
    with time_machine.travel(datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI), tick=False):
        submit(report, people.street_handler)
    assert CaseEvent.objects.get(case_id=report.pk, action="submit").data["late"] is True
    assert ISSUED < DUE
