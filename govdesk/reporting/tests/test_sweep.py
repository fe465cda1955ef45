"""The supervision sweep urges and escalates a report the unit still owes after its deadline, as any case, through
the kind registry (`case_kind_supervision_add`); a submitted or accepted report is the office's, never urged.

The sweep runs through its management command: supervision sits above reporting, which never imports it."""

from __future__ import annotations

import io
from datetime import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.core.management import call_command

from govdesk.cases.models import CaseEvent
from govdesk.cases.services import CASE_KIND_SUPERVISION
from govdesk.reporting import services
from govdesk.reporting.models import Report

from .conftest import SHANGHAI, issue, toilet_row

pytestmark = pytest.mark.django_db


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def sweep(moment: datetime) -> str:
    out = io.StringIO()
    with time_machine.travel(moment, tick=False):
        call_command("supervision_sweep", stdout=out)
    return out.getvalue()


def events(report: Report, action: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case_id=report.pk, action=action).order_by("pk"))


def test_reports_are_registered_with_the_sweep() -> None:
    registered = CASE_KIND_SUPERVISION["report"]
    assert set(registered.urge_statuses) == set(registered.escalate_statuses) == {"assigned", "draft", "returned"}


def test_an_overdue_report_is_urged_then_escalated(report: Report) -> None:
    # Due Tue 09-29 17:30: at 10:00 that day less than a working day is left.
    assert report.number in sweep(at(9, 29, 10))
    (due_soon,) = events(report, "urge")
    assert due_soon.data["auto"] is True and due_soon.data["kind"] == "due_soon"
    assert due_soon.note.startswith("自动催办")
    assert due_soon.from_status == due_soon.to_status == "assigned"
    # Overdue the next morning: urged again, as overdue.
    assert report.number in sweep(at(9, 30, 10))
    overdue = events(report, "urge")[-1]
    assert overdue.data["kind"] == "overdue" and overdue.data["sequence"] == 0
    assert Report.objects.get(pk=report.pk).is_overdue
    assert events(report, "escalate") == []
    # Two working days overdue (the National Day holiday between) it goes to the supervisors.
    sweep(at(10, 9, 10))
    (escalated,) = events(report, "escalate")
    assert escalated.data["auto"] is True
    # The same moment again does nothing more.
    before = CaseEvent.objects.filter(case_id=report.pk).count()
    sweep(at(10, 9, 10))
    assert CaseEvent.objects.filter(case_id=report.pk).count() == before


def test_a_returned_report_is_urged_too(report: Report, people: SimpleNamespace) -> None:
    services.report_submit(report=report.number, actor=people.street_handler, rows=[toilet_row()])
    services.report_return(report=report.number, actor=people.supervisor, note="请补充验收单")
    sweep(at(9, 30, 10))
    assert [e.to_status for e in events(report, "urge")] == ["returned"]


def test_a_submitted_or_accepted_report_is_not_urged(people: SimpleNamespace, district: SimpleNamespace) -> None:
    task = issue(people.supervisor, units=[district.street.code, district.dept_a.code])
    submitted = Report.objects.get(task=task, unit=district.street)
    accepted = Report.objects.get(task=task, unit=district.dept_a)
    services.report_submit(report=submitted.number, actor=people.street_handler, rows=[toilet_row()])
    services.report_submit(report=accepted.number, actor=people.handler_a, rows=[toilet_row(village="龙凤村")])
    services.report_accept(report=accepted.number, actor=people.supervisor)
    for moment in (at(9, 29, 10), at(9, 30, 10), at(10, 9, 10)):
        sweep(moment)
    for report in (submitted, accepted):
        assert events(report, "urge") == [] and events(report, "escalate") == []
