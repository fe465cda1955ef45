from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.common.errors import NotFound, ValidationFailed
from govdesk.ledgers.models import (
    LedgerRowVersion,
    MajorProject,
    MajorProjectProgress,
    ToiletRenovation,
)
from govdesk.ledgers.selectors import ledger_rows
from govdesk.ledgers.services import (
    LedgerValidationFailed,
    ledger_changes_needing_note,
    ledger_row_void,
    ledger_rows_clean,
    ledger_rows_write,
)

from .core_fixtures import project, toilet

pytestmark = pytest.mark.django_db


def _write(kind: str, rows: list[dict[str, Any]], actor: Any = None, **kwargs: Any) -> Any:
    kwargs.setdefault("year", 2022)
    kwargs.setdefault("source", "admin")
    return ledger_rows_write(kind=kind, rows=rows, actor=actor, **kwargs)


def _ledger_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__startswith="ledger.").order_by("id"))


def test_write_creates_rows_with_a_first_version_and_one_audit_event(people: SimpleNamespace) -> None:
    result = _write(
        "toilets",
        [toilet(village="东村"), toilet(village="西村", planned="8", completed="8")],
        actor=people.supervisor,
        month=3,
        source="import:abc123",
    )
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    rows = {row.village: row for row in ToiletRenovation.objects.all()}
    assert rows["西村"].planned == 8 and rows["西村"].completed == 8
    assert rows["东村"].version == 1 and rows["东村"].source == "import:abc123"
    assert rows["东村"].updated_by == people.supervisor
    version = LedgerRowVersion.objects.get(kind="toilets", row_id=rows["东村"].pk)
    assert version.version == 1
    assert version.data["completed"] == 4 and version.data["month"] == 3 and version.data["year"] == 2022
    assert version.changed_by == people.supervisor
    events = _ledger_events()
    assert [(e.action, e.object_type, e.object_id) for e in events] == [("ledger.write", "toilets", "2022-03")]
    assert "created=2" in events[0].note
    assert audit_chain_verify().ok
    assert sorted(result.row_ids) == sorted(rows[v].pk for v in rows)


def test_unchanged_rewrite_writes_nothing(people: SimpleNamespace) -> None:
    _write("toilets", [toilet()], actor=people.supervisor, month=3)
    before_versions = LedgerRowVersion.objects.count()
    before_events = len(_ledger_events())
    # The same values as a spreadsheet gives them back: strings and floats.
    result = _write("toilets", [toilet(planned="10", completed=4.0)], actor=people.supervisor, month=3)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert LedgerRowVersion.objects.count() == before_versions
    assert len(_ledger_events()) == before_events
    assert ToiletRenovation.objects.get().version == 1


def test_changed_row_bumps_version_keeps_history_and_the_note(people: SimpleNamespace) -> None:
    _write("toilets", [toilet(completed=4)], actor=people.supervisor, month=3)
    result = _write(
        "toilets", [toilet(completed=9)], actor=people.street_handler, month=3, unit=None, notes={1: "集中攻坚"}
    )
    assert (result.created, result.updated) == (0, 1)
    row = ToiletRenovation.objects.get()
    assert row.version == 2 and row.completed == 9
    versions = list(LedgerRowVersion.objects.filter(kind="toilets", row_id=row.pk).order_by("version"))
    assert [v.data["completed"] for v in versions] == [4, 9]
    assert versions[1].note == "集中攻坚" and versions[0].note == ""
    assert len(_ledger_events()) == 2


def test_a_batch_with_one_bad_row_writes_nothing(people: SimpleNamespace) -> None:
    rows = [toilet(village="东村"), toilet(village="西村", planned=3, completed=5)]
    with pytest.raises(LedgerValidationFailed) as caught:
        _write("toilets", rows, actor=people.supervisor, month=3)
    assert ToiletRenovation.objects.count() == 0
    assert LedgerRowVersion.objects.count() == 0
    assert _ledger_events() == []
    errors = caught.value.errors
    assert [(e.row, e.field) for e in errors] == [(2, "completed")]
    assert "2.completed" in caught.value.fields
    assert isinstance(caught.value, ValidationFailed) and caught.value.status_code == 400


def test_error_messages_name_the_row_and_the_column_header(db: Any) -> None:
    with translation.override("en"):
        result = ledger_rows_clean("toilets", [toilet(), toilet(village="西村", planned="十")], year=2022, month=3)
    [error] = result.errors
    assert error.row == 2 and error.header == "计划（座）"
    assert error.message == "Row 2, “计划（座）”: enter a whole number."
    assert error.problem == "enter a whole number."


def test_void_keeps_the_row_with_a_version_and_hides_it(people: SimpleNamespace) -> None:
    _write("toilets", [toilet()], actor=people.supervisor, month=3)
    row = ToiletRenovation.objects.get()
    with pytest.raises(ValidationFailed):
        ledger_row_void(kind="toilets", row_id=row.pk, actor=people.supervisor, reason="  ")
    ledger_row_void(kind="toilets", row_id=row.pk, actor=people.supervisor, reason="重复填报")
    row.refresh_from_db()
    assert row.is_void and row.version == 2
    last = LedgerRowVersion.objects.get(kind="toilets", row_id=row.pk, version=2)
    assert last.note == "重复填报" and last.data["is_void"] is True
    assert _ledger_events()[-1].action == "ledger.void"
    assert not ledger_rows("toilets", year=2022).exists()
    with pytest.raises(ValidationFailed):
        ledger_row_void(kind="toilets", row_id=row.pk, actor=people.supervisor, reason="再撤一次")
    with pytest.raises(NotFound):
        ledger_row_void(kind="toilets", row_id=row.pk + 100, actor=people.supervisor, reason="不存在")
    # Written again, the withdrawn row comes back as a new version.
    _write("toilets", [toilet()], actor=people.supervisor, month=3)
    row.refresh_from_db()
    assert not row.is_void and row.version == 3


def test_a_unit_cannot_overwrite_another_units_row(district: SimpleNamespace, people: SimpleNamespace) -> None:
    _write("toilets", [toilet()], actor=people.street_handler, month=3, unit=district.street)
    with pytest.raises(LedgerValidationFailed) as caught:
        _write("toilets", [toilet(completed=5)], actor=people.handler_a, month=3, unit=district.dept_a)
    assert caught.value.errors[0].row == 1
    assert ToiletRenovation.objects.get().completed == 4
    # The office's own import (no unit) may correct it; the reporting unit stays.
    _write("toilets", [toilet(completed=5)], actor=people.supervisor, month=3)
    row = ToiletRenovation.objects.get()
    assert row.completed == 5 and row.reporting_unit == district.street


def test_progress_keeps_the_projects_annual_completed_equal_to_its_sum(people: SimpleNamespace) -> None:
    _write("projects", [project(annual_completed="50")], actor=people.supervisor)
    result = _write(
        "project_progress",
        [
            {"project": "交口煤业", "month": 1, "month_completed": "100"},
            {"project": "交口煤业", "month": 2, "month_completed": "120.5", "percent_complete": 30},
        ],
        actor=people.supervisor,
    )
    assert result.created == 2
    project_row = MajorProject.objects.get()
    assert project_row.annual_completed == Decimal("220.50")
    assert project_row.version == 2
    assert LedgerRowVersion.objects.filter(kind="projects", row_id=project_row.pk).count() == 2
    assert MajorProjectProgress.objects.get(month=2).year == 2022

    # The project written again with another annual figure is refused; a blank one takes the sum.
    with pytest.raises(LedgerValidationFailed) as caught:
        _write("projects", [project(annual_completed="300")], actor=people.supervisor)
    assert caught.value.errors[0].field == "annual_completed"
    result = _write("projects", [project()], actor=people.supervisor)
    assert result.unchanged == 1

    # Voiding a month's progress recounts the project.
    ledger_row_void(
        kind="project_progress",
        row_id=MajorProjectProgress.objects.get(month=1).pk,
        actor=people.supervisor,
        reason="误报",
    )
    project_row.refresh_from_db()
    assert project_row.annual_completed == Decimal("120.50")


def test_progress_cannot_exceed_the_total_investment(people: SimpleNamespace) -> None:
    _write("projects", [project(total_investment="200")], actor=people.supervisor)
    _write("project_progress", [{"project": "交口煤业", "month": 1, "month_completed": "150"}], actor=people.supervisor)
    with pytest.raises(LedgerValidationFailed) as caught:
        _write(
            "project_progress",
            [{"project": "交口煤业", "month": 2, "month_completed": "60"}],
            actor=people.supervisor,
            month=2,
        )
    assert caught.value.errors[0].field == "month_completed"
    # Rewriting month 1 itself lower is fine (its old value is not counted twice).
    _write("project_progress", [{"project": "交口煤业", "month": 1, "month_completed": "190"}], actor=people.supervisor)
    assert MajorProject.objects.get().annual_completed == Decimal("190")


def test_progress_needs_a_project_of_that_year(people: SimpleNamespace) -> None:
    _write("projects", [project()], actor=people.supervisor, year=2021)
    result = ledger_rows_clean(
        "project_progress", [{"project": "交口煤业", "month": 1, "month_completed": "1"}], year=2022
    )
    assert [(e.row, e.field) for e in result.errors] == [(1, "project")]


def test_change_needing_note_against_the_units_previous_month(
    district: SimpleNamespace, people: SimpleNamespace
) -> None:
    _write(
        "toilets",
        [toilet(month=2, planned=20, completed=10)],
        actor=people.street_handler,
        month=2,
        unit=district.street,
    )
    # Another unit's row of February is not this unit's previous period.
    _write(
        "toilets",
        [toilet(month=2, village="北村", planned=10, completed=10)],
        actor=people.handler_a,
        month=2,
        unit=district.dept_a,
    )
    rows = [
        toilet(month=3, planned=20, completed=16),  # +60 %: needs a note
        toilet(month=3, village="北村", planned=40, completed=30),  # someone else's February: nothing to compare
        toilet(month=3, village="新村", planned=10, completed=1),  # no February at all
    ]
    flagged = ledger_changes_needing_note("toilets", rows, unit=district.street, year=2022, month=3)
    assert [(e.row, e.field) for e in flagged] == [(1, "completed")]
    calm = ledger_changes_needing_note(
        "toilets", [toilet(month=3, planned=20, completed=15)], unit=district.street, year=2022, month=3
    )
    assert calm == []  # exactly 50 % is not more than 50 %
    # January compares with the previous December.
    _write(
        "toilets",
        [toilet(month=12, planned=10, completed=10)],
        actor=people.street_handler,
        year=2021,
        month=12,
        unit=district.street,
    )
    flagged = ledger_changes_needing_note(
        "toilets", [toilet(month=1, planned=10, completed=2)], unit=district.street, year=2022, month=1
    )
    assert [(e.row, e.field) for e in flagged] == [(1, "completed")]


def test_change_needing_note_for_an_annual_kind_compares_last_year(people: SimpleNamespace) -> None:
    _write("projects", [project(total_investment="1000")], actor=people.supervisor, year=2021)
    flagged = ledger_changes_needing_note(
        "projects", [project(total_investment="2000")], unit=None, year=2022, month=None
    )
    assert [(e.row, e.field) for e in flagged] == [(1, "total_investment")]
    assert (
        ledger_changes_needing_note("projects", [project(total_investment="1100")], unit=None, year=2022, month=None)
        == []
    )


def test_unknown_kind_is_not_found(db: Any) -> None:
    with pytest.raises(NotFound):
        ledger_rows_clean("nonsense", [], year=2022)


def test_a_period_that_is_not_one_is_refused(db: Any) -> None:
    with pytest.raises(ValidationFailed):
        ledger_rows_clean("toilets", [toilet()], year=2022, month=13)
    with pytest.raises(ValidationFailed):
        _write("toilets", [toilet()], year=12)
    with pytest.raises(ValidationFailed):
        ledger_rows_clean("toilets", [toilet(month=None)], year=2022, month=0)
    # An indicator's month 0 is its annual value.
    assert ledger_rows_clean("indicators", [], year=2022, month=0).errors == []
