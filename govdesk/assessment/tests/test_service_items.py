"""Applications and 好差评 in the unit assessment: a month of applications decided on time and late (and one left
overdue), ratings good and bad (justified and unjustified), rectifications answered on time and late, scored by a
rule set weighing them. Every item value, point, deduction and rank below is computed by hand in the comments.

The application figures come from `stats.selectors.stats_application_unit_rates` (the statistics, not a copy here),
the ratings' from `evaluations.selectors.evaluation_rates`.
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from govdesk.applications import services as applications
from govdesk.applications.tests.factories import MATERIALS, publish_matter, submission
from govdesk.assessment.items import item_figures, item_label
from govdesk.assessment.models import AssessmentResult, AssessmentRuleSet, DeductionKind
from govdesk.assessment.selectors import assessment_month, assessment_trend, rule_set_describe
from govdesk.assessment.services import assessment_compute
from govdesk.common import clock
from govdesk.evaluations import services as evaluations
from govdesk.evaluations.models import Rectification
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .conftest import OCTOBER, moment, rule_set_make

pytestmark = pytest.mark.django_db
STREET_MATTER = "141102-BH-GG-0009"
REQUIRED = [m["code"] for m in MATERIALS if m["required"]]

SERVICE_RULES = [
    ("resolution", "20", "linear", None, None),
    ("application_on_time", "30", "linear", None, None),
    ("evaluation_satisfaction", "30", "range", "0.5", "1.0"),
    ("rectification_on_time", "20", "linear", None, None),
]
SERVICE_DEDUCTIONS = [("application_overdue", "", "2", "5"), ("bad_rating_justified", "", "3", None)]


def application_decided(hall: SimpleNamespace, code: str, handler: Any, decided_on: int, *, deliver: bool) -> str:
    """Submitted and accepted on Monday 12 October (5 working days: due Monday 19 October), approved on `decided_on`
    October, delivered the next day if `deliver`. Returns its number."""
    with clock.at(moment(2026, 10, 12, 9)):
        data = submission(matter=code, materials=REQUIRED)
        number = applications.application_submit(actor=hall.clerk, data=data).number
        applications.application_accept(application=number, actor=hall.clerk)
    if decided_on:
        with clock.at(moment(2026, 10, decided_on, 15)):
            applications.application_approve(application=number, actor=handler)
        if deliver:
            with clock.at(moment(2026, 10, decided_on + 1, 9)):
                applications.application_deliver(application=number, actor=hall.clerk)
    return number


def pad(case: Any, level: int, actor: Any, day: int) -> Rectification | None:
    with clock.at(moment(2026, 10, day, 11)):
        evaluation = evaluations.evaluation_create(case=case, level=level, channel="pad", actor=actor)
    return Rectification.objects.filter(evaluation=evaluation).first()


@pytest.fixture
def service_month(
    october: SimpleNamespace,
    hall: SimpleNamespace,
    fake_pdf: Any,
    people: SimpleNamespace,
    district: SimpleNamespace,
    categories: SimpleNamespace,
) -> SimpleNamespace:
    """October 2026, on top of the work orders of `october` (LS-ZJ: 2 closed + 1 replied; LS-RS: 1 closed, 1 visited
    unresolved, 1 handling):

    LS-ZJ (区住建局) — applications: A1 approved 13th (on time), rated 5; A2 approved 14th (on time), rated 1,
    justified, answered the next day (on time); A3 approved 27th (late), rated 2, found unjustified; A4 accepted and
    never decided (overdue since the 19th). Its closed work order rated 4.
    LS-RS (区人社局) — no applications. Its closed order rated 5; one more closed order rated 1, justified, answered
    on the 29th (its deadline was the 22nd: late).
    LS-BH (滨河街道) — no work orders; applications B1 approved 13th (on time), B2 approved 26th (late); no ratings.
    """
    p, d, c = people, district, categories
    publish_matter(d.street, code=STREET_MATTER, name="临时占用道路审批")
    a1 = application_decided(hall, "141102-ZJ-XK-0001", p.handler_a, 13, deliver=True)
    a2 = application_decided(hall, "141102-ZJ-XK-0001", p.handler_a, 14, deliver=True)
    a3 = application_decided(hall, "141102-ZJ-XK-0001", p.handler_a, 27, deliver=True)
    application_decided(hall, "141102-ZJ-XK-0001", p.handler_a, 0, deliver=False)  # A4: overdue, still open
    application_decided(hall, STREET_MATTER, p.street_handler, 13, deliver=True)
    application_decided(hall, STREET_MATTER, p.street_handler, 26, deliver=True)

    assert pad(a1, 5, hall.clerk, 15) is None
    zj_bad = pad(a2, 1, hall.clerk, 15)
    zj_unjustified = pad(a3, 2, hall.clerk, 28)
    assert pad(october.a[0], 4, p.operator, 15) is None
    assert pad(october.b[0], 5, p.operator, 15) is None
    with clock.at(moment(2026, 10, 15, 9)):
        rs_closed = make_order(p, d, c.wages, Status.CLOSED, unit=d.dept_b, handler=p.handler_b)
    rs_bad = pad(rs_closed, 1, p.operator, 15)
    assert zj_bad is not None and zj_unjustified is not None and rs_bad is not None
    with clock.at(moment(2026, 10, 15, 16)):
        evaluations.rectification_verify(number=zj_bad.number, actor=p.supervisor, justified=True)
        evaluations.rectification_verify(number=rs_bad.number, actor=p.supervisor, justified=True)
    with clock.at(moment(2026, 10, 16, 10)):
        evaluations.rectification_answer(number=zj_bad.number, actor=p.handler_a, answer="已简化材料，电话致歉。")
    with clock.at(moment(2026, 10, 28, 16)):
        evaluations.rectification_verify(
            number=zj_unjustified.number, actor=p.supervisor, justified=False, note="逾期系申请人补件所致"
        )
    with clock.at(moment(2026, 10, 29, 10)):
        evaluations.rectification_answer(number=rs_bad.number, actor=p.handler_b, answer="已补发待遇并回访。")
    rs_due = Rectification.objects.get(pk=rs_bad.pk).due_at
    assert rs_due is not None and rs_due < moment(2026, 10, 29)
    return SimpleNamespace(street=d.street)


def by_unit(results: list[AssessmentResult]) -> dict[str, AssessmentResult]:
    return {r.unit_code: r for r in results}


def figures(result: AssessmentResult, key: str) -> tuple[Any, ...]:
    part = result.parts[key]
    return part["numerator"], part["denominator"], part["points"]


def test_each_units_items_points_deductions_and_rank_are_the_hand_computed_ones(
    service_month: SimpleNamespace, frozen_now: Any
) -> None:
    rule_set_make("service hall", SERVICE_RULES, SERVICE_DEDUCTIONS)
    results = by_unit(assessment_compute(OCTOBER))
    assert set(results) == {"LS-ZJ", "LS-RS", "LS-BH"}
    zj, rs, bh = results["LS-ZJ"], results["LS-RS"], results["LS-BH"]

    # LS-ZJ: resolution 2/2 → 20; applications 2 of 3 decided on time → 30 × 2/3 = 20; ratings not found unjustified
    # 5, 4, 1 → 2/3 satisfied → 30 × (2/3 − 0.5) ÷ 0.5 = 10; rectifications 1/1 on time → 20. Base 70.
    # Deductions: 1 overdue open application × 2, 1 justified bad rating × 3 → 65.
    assert figures(zj, "resolution") == (2, 2, 20.0)
    assert figures(zj, "application_on_time") == (2, 3, 20.0)
    assert figures(zj, "evaluation_satisfaction") == (2, 3, 10.0)
    assert figures(zj, "rectification_on_time") == (1, 1, 20.0)
    assert zj.parts["application_on_time"]["rate"] == pytest.approx(2 / 3)
    assert [(x["kind"], x["count"], x["points"]) for x in zj.deductions] == [
        ("application_overdue", 1, 2.0),
        ("bad_rating_justified", 1, 3.0),
    ]
    assert float(zj.score) == 65.0
    assert (zj.total, zj.applications) == (3, 4)

    # LS-RS: resolution 2/3 (the extra closed order) → 13.33; no applications: the item is left out and the others
    # scaled to the full weight; ratings 5, 1 → 1/2 satisfied, at the 50 % floor → 0; rectification late → 0/1 → 0.
    # Base 13.33 × 100 ÷ 70 = 19.05; one justified bad rating −3 → 16.05.
    assert figures(rs, "resolution") == (2, 3, 13.33)
    assert figures(rs, "application_on_time") == (0, 0, None)
    assert rs.parts["application_on_time"]["rate"] is None
    assert figures(rs, "evaluation_satisfaction") == (1, 2, 0.0)
    assert figures(rs, "rectification_on_time") == (0, 1, 0.0)
    assert [(x["kind"], x["count"], x["points"]) for x in rs.deductions] == [
        ("application_overdue", 0, 0.0),
        ("bad_rating_justified", 1, 3.0),
    ]
    assert float(rs.score) == pytest.approx(round(20 * 2 / 3 * 100 / 70 - 3, 2))  # 16.05
    assert (rs.total, rs.applications) == (4, 0)

    # LS-BH: no work orders, no ratings: scored on its applications alone, 1 of 2 on time → 50 of 100.
    assert figures(bh, "application_on_time") == (1, 2, 15.0)
    assert figures(bh, "resolution") == (0, 0, None)
    assert figures(bh, "evaluation_satisfaction") == (0, 0, None)
    assert float(bh.score) == 50.0
    assert (bh.total, bh.applications) == (0, 2)

    assert [(r.unit_code, r.rank) for r in sorted(results.values(), key=lambda r: r.rank or 0)] == [
        ("LS-ZJ", 1),
        ("LS-BH", 2),
        ("LS-RS", 3),
    ]


def test_a_unit_without_applications_or_ratings_is_not_penalised_for_them(
    service_month: SimpleNamespace, frozen_now: Any
) -> None:
    rule_set_make(
        "half applications",
        [("resolution", "50", "linear", None, None), ("application_on_time", "50", "linear", None, None)],
    )
    results = by_unit(assessment_compute(OCTOBER))
    # LS-ZJ: 50 × 1 + 50 × 2/3 = 83.33. LS-RS has no applications: its resolution 2/3 fills the whole 100 → 66.67,
    # not the 33.33 it would get if the missing item counted as 0.
    assert float(results["LS-ZJ"].score) == pytest.approx(83.33)
    assert float(results["LS-RS"].score) == pytest.approx(66.67)
    assert results["LS-RS"].parts["application_on_time"]["points"] is None
    # With a rule set weighing only work orders, a unit with applications only is not scored at all (it would sit
    # at the bottom with 0 for no reason), and the others keep their work-order scores.
    rule_set_make("orders only", [("resolution", "100", "linear", None, None)])
    results = by_unit(assessment_compute(OCTOBER))
    assert set(results) == {"LS-ZJ", "LS-RS"}
    assert results["LS-ZJ"].applications == 4


def test_applications_count_towards_the_minimum_volume(service_month: SimpleNamespace, frozen_now: Any) -> None:
    rule_set_make("min 4", SERVICE_RULES, min_orders=4)
    results = by_unit(assessment_compute(OCTOBER))
    # LS-ZJ 3 orders + 4 applications, LS-RS 4 orders: ranked; LS-BH 2 applications: not ranked.
    assert (results["LS-ZJ"].ranked, results["LS-RS"].ranked, results["LS-BH"].ranked) == (True, True, False)
    assert results["LS-BH"].rank is None


def test_the_ranking_trend_and_rules_carry_the_new_items(service_month: SimpleNamespace, frozen_now: Any) -> None:
    rule_set = rule_set_make("service hall", SERVICE_RULES, SERVICE_DEDUCTIONS)
    assessment_compute(OCTOBER)
    rows = {r["unit"]: r for r in assessment_month(month=OCTOBER)}
    zj = rows["LS-ZJ"]
    assert zj["applications"] == 4
    assert zj["parts"]["application_on_time"] == {"rate": pytest.approx(2 / 3), "weight": 30.0, "points": 20.0}
    assert zj["rate_parts"]["application_on_time"]["numerator"] == 2
    assert rows["LS-RS"]["rate_parts"]["application_on_time"]["text"] == ""
    assert [d["kind"] for d in zj["deductions"]] == ["application_overdue", "bad_rating_justified"]
    trend = assessment_trend(unit_code="LS-ZJ", months=2, end=OCTOBER)
    assert trend["months"][-1]["service_rates"] == {
        "application_on_time": pytest.approx(2 / 3),
        "evaluation_satisfaction": pytest.approx(2 / 3),
        "rectification_on_time": 1.0,
    }
    assert trend["months"][-1]["applications"] == 4
    assert trend["months"][0]["service_rates"] == dict.fromkeys(trend["months"][0]["service_rates"])
    described = rule_set_describe(AssessmentRuleSet.objects.get(pk=rule_set.pk))
    assert [i["rate_key"] for i in described["items"]][1:] == [
        "application_on_time",
        "evaluation_satisfaction",
        "rectification_on_time",
    ]
    assert all(i["rate_formula"] for i in described["items"])
    assert [d["kind"] for d in described["deductions"]] == ["application_overdue", "bad_rating_justified"]


def test_the_page_shows_the_new_items_with_the_figures_behind_each_score(
    service_month: SimpleNamespace, people: SimpleNamespace, frozen_now: Any
) -> None:
    rule_set_make("service hall", SERVICE_RULES, SERVICE_DEDUCTIONS)
    assessment_compute(OCTOBER)
    client = Client()
    client.force_login(people.supervisor)
    text = client.get("/assessment/", {"month": "2026-10", "unit": "LS-ZJ"}).content.decode()
    with translation.override(settings.LANGUAGE_CODE):  # the page's language (Chinese once the .po has them)
        labels = [item_label(key) for key, *_rest in SERVICE_RULES[1:]]
        expected = [
            item_figures("application_on_time", 2, 3),  # "2/3 按时"
            item_figures("evaluation_satisfaction", 2, 3),  # "2/3 满意"
            item_figures("rectification_on_time", 1, 1),
            str(DeductionKind.APPLICATION_OVERDUE_OPEN.label),
            str(DeductionKind.BAD_RATING_JUSTIFIED.label),
        ]
    for shown in (*labels, *expected):
        assert shown in text, shown
    detail = text[text.index('data-testid="month-detail"') :]
    assert '<tr data-item="application_on_time">' in detail and "66.7%" in detail
    assert '<tr data-deduction="bad_rating_justified">' in detail and "−3.00" in detail
    with translation.override("en"):
        assert item_figures("application_on_time", 12, 15) == "12/15 on time"
        assert item_figures("application_on_time", 0, 0) == ""


def test_overdue_applications_are_their_own_deduction_not_overdue_orders(
    service_month: SimpleNamespace, frozen_now: Any
) -> None:
    # An application "handling" past its deadline is a case with the work order's status name: it counts once, as
    # an application (LS-ZJ's A4), never as an overdue work order (LS-ZJ has none open at month end).
    rule_set_make(
        "both", [("resolution", "100", "linear", None, None)], [("overdue_open", "", "1", None), *SERVICE_DEDUCTIONS]
    )
    zj = by_unit(assessment_compute(OCTOBER))["LS-ZJ"]
    assert [(x["kind"], x["count"]) for x in zj.deductions] == [
        ("overdue_open", 0),
        ("application_overdue", 1),
        ("bad_rating_justified", 1),
    ]
    assert float(zj.score) == 100 - 2 - 3


def test_the_excel_export_holds_the_new_items_and_the_applications(
    service_month: SimpleNamespace, people: SimpleNamespace, frozen_now: Any
) -> None:
    rule_set_make("service hall", SERVICE_RULES, SERVICE_DEDUCTIONS)
    assessment_compute(OCTOBER)
    client = Client()
    client.force_login(people.supervisor)
    response: Any = client.get("/reports/assessment.xlsx", {"month": "2026-10"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["考核排名"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    with translation.override(settings.LANGUAGE_CODE):
        assert f"{item_label('application_on_time')}得分" in header
    by_code = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert [code for code in by_code] == ["LS-ZJ", "LS-BH", "LS-RS"]
    assert (by_code["LS-ZJ"]["得分"], by_code["LS-ZJ"]["扣分"], by_code["LS-ZJ"]["办件数"]) == (65, 5, 4)
    assert by_code["LS-RS"]["办件数"] == 0
