"""The 好差评 rates, checked against counts made by hand from a small, known set of ratings."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine

from govdesk.evaluations import services
from govdesk.evaluations.models import Rectification
from govdesk.evaluations.selectors import evaluation_rates

from .helpers import at, citizen_order, closed_order, pad_rate

pytestmark = pytest.mark.django_db
DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))


@pytest.fixture
def ratings(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> SimpleNamespace:
    """Unit A (web and link): 5, 4, 1 (justified, answered on time), 2 (unjustified), 4 (link).
    Unit B (pad): 3, 5, 1 (justified, never answered, overdue by the 20th). The rectification of A's 1 is rated 5.
    Outside December: one more 1 for A at the pad (and its rectification)."""

    def web(level: int) -> Rectification | None:
        order = citizen_order(people, district, categories)
        evaluation = services.evaluation_create(case=order, level=level, channel="web", actor=people.citizen)
        return Rectification.objects.filter(evaluation=evaluation).first()

    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        pad_rate(closed_order(people, district, categories), 1, people.operator)
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        web(5)
        web(4)
        r1 = web(1)
        r2 = web(2)
        linked = citizen_order(people, district, categories)
        services.evaluation_create(
            case=linked, level=4, channel="link", link_token=services.evaluation_link_token(linked)
        )
        b = {"unit": district.dept_b, "handler": people.handler_b}
        pad_rate(closed_order(people, district, categories, **b), 3, people.operator)
        pad_rate(closed_order(people, district, categories, **b), 5, people.operator)
        r3 = Rectification.objects.get(
            evaluation=pad_rate(closed_order(people, district, categories, **b), 1, people.operator)
        )
        assert r1 is not None and r2 is not None
        services.rectification_verify(number=r1.number, actor=people.supervisor, justified=True)
        services.rectification_verify(number=r2.number, actor=people.supervisor, justified=False, note="不属实")
        services.rectification_verify(number=r3.number, actor=people.supervisor, justified=True)
    with time_machine.travel(at(2026, 12, 3, 10), tick=False):
        services.rectification_answer(number=r1.number, actor=people.handler_a, answer="已整改。")
        services.evaluation_create(case=r1.number, level=5, channel="web", actor=people.citizen)
    return SimpleNamespace(r1=r1, r2=r2, r3=r3)


def _levels(row: Any) -> dict[int, int]:
    return {level: n for level, n in row.levels.items() if n}


def test_totals(ratings, district) -> None:
    with time_machine.travel(at(2026, 12, 20, 10), tick=False):
        report = evaluation_rates(DECEMBER)
    total = report.total
    assert _levels(total) == {5: 2, 4: 2, 3: 1, 1: 2}
    assert (total.total, total.satisfied, total.bad, total.unjustified) == (7, 4, 2, 1)
    assert total.satisfaction_rate == pytest.approx(4 / 7)
    assert (total.rectifications_due, total.rectifications_on_time, total.on_time_rate) == (2, 1, 0.5)


def test_per_unit_and_channel_and_kind(ratings, district) -> None:
    with time_machine.travel(at(2026, 12, 20, 10), tick=False):
        report = evaluation_rates(DECEMBER)
    units = {row.label: row for row in report.by_unit}
    a, b = units[district.dept_a.name], units[district.dept_b.name]
    assert (_levels(a), a.unjustified, a.bad, a.satisfaction_rate, a.on_time_rate) == (
        {5: 1, 4: 2, 1: 1},
        1,
        1,
        0.75,
        1.0,
    )
    assert (_levels(b), b.unjustified, b.bad, b.on_time_rate) == ({5: 1, 3: 1, 1: 1}, 0, 1, 0.0)
    assert b.satisfaction_rate == pytest.approx(1 / 3)
    channels = {row.key: row for row in report.by_channel}
    assert [row.key for row in report.by_channel] == ["web", "link", "pad"]
    assert (channels["web"].total, channels["web"].unjustified, channels["web"].on_time_rate) == (3, 1, 1.0)
    assert channels["web"].satisfaction_rate == pytest.approx(2 / 3)
    assert (channels["link"].total, channels["link"].satisfaction_rate) == (1, 1.0)
    assert (channels["pad"].total, channels["pad"].rectifications_due, channels["pad"].on_time_rate) == (3, 1, 0.0)
    kinds = {row.key: row for row in report.by_kind}
    assert kinds["workorder"].total == 7
    # The rectification's own rating counts only here, not in the service's rates.
    assert (kinds["rectification"].total, kinds["rectification"].satisfaction_rate) == (1, 1.0)


def test_filters_and_an_open_rectification_within_its_limit(ratings, district) -> None:
    with time_machine.travel(at(2026, 12, 20, 10), tick=False):
        only_b = evaluation_rates(DECEMBER, unit=district.dept_b)
        only_pad = evaluation_rates(DECEMBER, channel="pad")
        november = evaluation_rates((date(2026, 11, 1), date(2026, 11, 30)))
    assert (only_b.total.total, [r.label for r in only_b.by_unit]) == (3, [district.dept_b.name])
    assert only_pad.total.total == 3 and [r.key for r in only_pad.by_channel] == ["pad"]
    assert (november.total.total, november.total.bad) == (1, 1)
    # November's rectification is not verified yet: not justified, so not in the on-time figures.
    assert november.total.rectifications_due == 0
    # Before B's deadline (8 December) its unanswered rectification is neither on time nor late.
    with time_machine.travel(at(2026, 12, 4, 10), tick=False):
        early = evaluation_rates(DECEMBER)
    assert (early.total.rectifications_due, early.total.rectifications_on_time) == (1, 1)


@pytest.fixture
def application_ratings(
    hall: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace, fake_pdf: Any
) -> SimpleNamespace:
    """December ratings of applications: the permit matter (dept_a) 5, 4 and 1 (justified, answered on time), the
    instant matter (dept_a) 2 (unjustified), the other unit's matter (dept_b) 3; and one work order rated 5."""
    from govdesk.applications import services as applications
    from govdesk.applications.states import Status as ApplicationStatus
    from govdesk.applications.tests.factories import INSTANT_CODE, OTHER_UNIT_CODE, make_application

    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        for level in (5, 4):
            pad_rate(make_application(hall, people, ApplicationStatus.CLOSED).number, level, hall.clerk)
        bad = pad_rate(make_application(hall, people, ApplicationStatus.CLOSED).number, 1, hall.clerk)
        # A 即办件 is approved at acceptance; delivered at the window, it may be rated.
        instant = make_application(hall, people, ApplicationStatus.HANDLING, matter=INSTANT_CODE)
        applications.application_deliver(application=instant.number, actor=hall.clerk)
        unjustified = pad_rate(instant.number, 2, hall.clerk)
        other = make_application(hall, people, ApplicationStatus.HANDLING, matter=OTHER_UNIT_CODE)
        applications.application_approve(application=other.number, actor=people.handler_b)
        applications.application_deliver(application=other.number, actor=hall.clerk)
        pad_rate(other.number, 3, hall.clerk)
        rect = Rectification.objects.get(evaluation=bad)
        services.rectification_verify(number=rect.number, actor=people.supervisor, justified=True)
        services.rectification_verify(
            number=Rectification.objects.get(evaluation=unjustified).number,
            actor=people.supervisor,
            justified=False,
            note="不属实",
        )
    with time_machine.travel(at(2026, 12, 2, 10), tick=False):
        services.rectification_answer(number=rect.number, actor=people.handler_a, answer="已整改。")
    return SimpleNamespace(rect=rect)


def test_ratings_of_applications_per_matter(
    application_ratings: SimpleNamespace,
    hall: SimpleNamespace,
    people: SimpleNamespace,
    district: SimpleNamespace,
    categories: SimpleNamespace,
    django_assert_max_num_queries: Any,
) -> None:
    from govdesk.applications.tests.factories import INSTANT_CODE, MATTER_CODE, OTHER_UNIT_CODE

    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        pad_rate(closed_order(people, district, categories), 5, people.operator)
    with time_machine.travel(at(2026, 12, 20, 10), tick=False), django_assert_max_num_queries(3):
        # The ratings grouped once, the unit names, the rectifications: no query per matter or per rating.
        report = evaluation_rates(DECEMBER)
    # The most rated first (unjustified ratings are not in the total).
    assert [row.key for row in report.by_matter] == [MATTER_CODE, OTHER_UNIT_CODE, INSTANT_CODE]
    matters = {row.key: row for row in report.by_matter}
    permit, instant, other = matters[MATTER_CODE], matters[INSTANT_CODE], matters[OTHER_UNIT_CODE]
    assert permit.label == "建筑工程施工许可" and other.label == "就业创业证申领"
    assert (_levels(permit), permit.bad, permit.satisfaction_rate) == ({5: 1, 4: 1, 1: 1}, 1, pytest.approx(2 / 3))
    assert (permit.rectifications_due, permit.rectifications_on_time, permit.on_time_rate) == (1, 1, 1.0)
    # The unjustified bad rating is left out of the rates, and counted as unjustified.
    assert (instant.total, instant.unjustified, instant.satisfaction_rate, instant.rectifications_due) == (
        0,
        1,
        None,
        0,
    )
    assert (_levels(other), other.satisfaction_rate) == ({3: 1}, 0.0)
    # The work order's rating counts in the total, never under a matter.
    assert report.total.total == 5 and sum(row.total for row in report.by_matter) == 4
    assert report.by_matter[0].as_dict()["levels"] == {"5": 1, "4": 1, "3": 0, "2": 0, "1": 1}


def test_the_units_filter_keeps_only_their_ratings(
    application_ratings: SimpleNamespace, district: SimpleNamespace
) -> None:
    with time_machine.travel(at(2026, 12, 20, 10), tick=False):
        only_b = evaluation_rates(DECEMBER, unit_ids={district.dept_b.pk})
        none = evaluation_rates(DECEMBER, unit_ids=set())
        both = evaluation_rates(DECEMBER, unit_ids={district.dept_a.pk, district.dept_b.pk})
    assert [row.label for row in only_b.by_matter] == ["就业创业证申领"] and only_b.total.total == 1
    assert (none.total.total, none.by_matter, none.by_unit) == (0, [], [])
    assert both.total.total == 4 and both.total.unjustified == 1
