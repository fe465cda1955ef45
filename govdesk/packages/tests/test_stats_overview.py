"""The package's own statistics over a constructed November 2026 (no public holiday in it), every figure worked out
by hand below: a package decided on time, one decided late, one with a cancelled part, one never accepted, one
received outside the period. The role rules: district roles see all, a unit administrator the packages their unit
leads, anyone else nothing."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest

from govdesk.calendar.selectors import calendar_get
from govdesk.common.errors import PermissionDenied
from govdesk.packages.stats import package_stats_overview, working_days_between
from govdesk.packages.tests.case_factories import PACKAGE, birth, fake_pdfs
from govdesk.packages.tests.stats_fixtures import NOVEMBER, SH, constructed_month

pytestmark = pytest.mark.django_db
__all__ = ["birth", "constructed_month", "fake_pdfs"]  # fixtures


def test_working_days_count_as_a_time_limit_does() -> None:
    cal = calendar_get()
    friday = datetime(2026, 9, 25, 16, 0, tzinfo=SH)
    assert working_days_between(friday, datetime(2026, 9, 25, 17, 0, tzinfo=SH), cal) == 0
    # Mon 28 – Wed 30 Sep; 1–7 Oct is the National Day holiday; Thu 8, Fri 9 and the make-up Saturday 10 Oct work.
    assert working_days_between(friday, datetime(2026, 10, 10, 9, 0, tzinfo=SH), cal) == 6
    assert working_days_between(friday, datetime(2026, 10, 7, 9, 0, tzinfo=SH), cal) == 3


def test_month_figures_as_computed_by_hand(constructed_month: SimpleNamespace, people: SimpleNamespace) -> None:
    overview = package_stats_overview(user=people.leader, date_from=NOVEMBER[0], date_to=NOVEMBER[1])
    totals = overview["totals"]
    assert {key: totals[key] for key in ("received", "accepted", "decided", "closed")} == {
        "received": 4,
        "accepted": 3,
        "decided": 3,
        "closed": 1,
    }
    assert (totals["with_limit"], totals["on_time"], totals["on_time_rate"]) == (3, 2, round(2 / 3, 4))
    # 9 parts, 8 decided (the cancelled registration never was); on time: 3 + 1 + 2.
    assert (totals["parts"], totals["parts_decided"], totals["parts_on_time"], totals["parts_cancelled"]) == (
        9,
        8,
        6,
        1,
    )
    assert totals["parts_on_time_rate"] == 0.75
    assert totals["avg_total_days"] == round((3 + 14 + 2) / 3, 2)
    assert totals["avg_sequential_days"] == round((5 + 24 + 3) / 3, 2)
    assert totals["avg_saved_days"] == round((2 + 10 + 1) / 3, 2)
    # Three matters, one visit each: 3 forms and 3 visits become 1 per accepted package.
    assert (totals["forms_saved"], totals["visits_saved"]) == (6, 6)
    [row] = overview["by_package"]
    assert (row["package"], row["lead_unit"], row["received"], row["on_time"]) == (PACKAGE, "LS-ZJ", 4, 2)
    [unit_row] = overview["by_unit"]
    assert (unit_row["unit"], unit_row["decided"], unit_row["avg_total_days"]) == ("LS-ZJ", 3, 6.33)


def test_period_and_package_filters(constructed_month: SimpleNamespace, people: SimpleNamespace) -> None:
    december = package_stats_overview(user=people.leader, date_from=date(2026, 12, 1), date_to=date(2026, 12, 31))
    assert (december["totals"]["received"], december["totals"]["accepted"]) == (1, 0)
    assert december["totals"]["avg_total_days"] is None and december["totals"]["on_time_rate"] is None
    other = package_stats_overview(
        user=people.leader, date_from=NOVEMBER[0], date_to=NOVEMBER[1], package_code="YJS-NONE"
    )
    assert other["totals"]["received"] == 0 and other["by_package"] == []


def test_role_rules(constructed_month: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace) -> None:
    # The lead unit's administrator sees its packages; the street's administrator leads none of them.
    own = package_stats_overview(user=people.unit_admin_a, date_from=NOVEMBER[0], date_to=NOVEMBER[1])
    assert own["totals"]["received"] == 4
    street = package_stats_overview(user=people.street_admin, date_from=NOVEMBER[0], date_to=NOVEMBER[1])
    assert street["totals"]["received"] == 0
    with pytest.raises(PermissionDenied):
        package_stats_overview(
            user=people.street_admin, date_from=NOVEMBER[0], date_to=NOVEMBER[1], unit_ids=[district.dept_a.pk]
        )
    for user in (people.handler_a, people.operator, people.citizen):
        with pytest.raises(PermissionDenied):
            package_stats_overview(user=user, date_from=NOVEMBER[0], date_to=NOVEMBER[1])
