"""assessment_compute: scores equal a hand computation from the rules and the rates of orders built through the
services; weights change the ranking; minimum volume; recompute replaces and is audited; the deductions."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.assessment.models import AssessmentResult, AssessmentRuleSet
from govdesk.assessment.selectors import assessment_month, assessment_trend, rule_set_for_month
from govdesk.assessment.services import assessment_compute
from govdesk.audit.models import AuditEvent
from govdesk.common import clock
from govdesk.common.errors import ApplicationError
from govdesk.stats.selectors import stats_unit_rates
from govdesk.workorders import services
from govdesk.workorders.tests.factories import intake

from .conftest import OCTOBER, moment, rule_set_make

pytestmark = pytest.mark.django_db


def by_unit(results: list[AssessmentResult]) -> dict[str, AssessmentResult]:
    return {r.unit_code: r for r in results}


def test_the_rates_behind_the_scores_are_the_hand_counted_ones(october: SimpleNamespace, frozen_now: Any) -> None:
    rates = {r["unit"]: r["rates"] for r in stats_unit_rates(date_from=OCTOBER, date_to=OCTOBER.replace(day=31))}
    assert rates["LS-ZJ"] == pytest.approx(
        {
            "sign_on_time": 1.0,
            "finish_on_time": 1.0,
            "response": 1.0,
            "resolution": 1.0,
            "satisfaction": 1.0,
            "return": 0.0,
            "repeat_call": 0.0,
            "visit": 2 / 3,
        }
    )
    assert rates["LS-RS"] == pytest.approx(
        {
            "sign_on_time": 1.0,
            "finish_on_time": 1.0,
            "response": 1.0,
            "resolution": 0.5,
            "satisfaction": 0.5,
            "return": 0.0,
            "repeat_call": 0.0,
            "visit": 1.0,
        }
    )


def test_the_default_rule_set_scores_as_computed_by_hand(october: SimpleNamespace, frozen_now: Any) -> None:
    default = AssessmentRuleSet.objects.get(active=True)
    assert default.min_orders == 10
    assert sum(i.weight for i in default.items.all()) == 100
    results = by_unit(assessment_compute(OCTOBER))
    # 按时签收 10×1 + 按时办结 25×(1 between 50% and 95% → full) + 响应 10×1 + 解决 20×1
    # + 满意 25 (100% ≥ 95%) + 回访 10×2/3; no returns, no duplicates, nothing overdue.
    assert float(results["LS-ZJ"].score) == pytest.approx(round(10 + 25 + 10 + 20 + 25 + 10 * 2 / 3, 2))
    # 解决 20×0.5 = 10; 满意 50% is below the 60% floor → 0; 回访 10×1.
    assert float(results["LS-RS"].score) == pytest.approx(10 + 25 + 10 + 10 + 0 + 10)
    assert results["LS-RS"].parts["satisfaction"] == {
        "rate": 0.5,
        "weight": 25.0,
        "points": 0.0,
        "numerator": 1,
        "denominator": 2,
    }
    # Three orders each: below the default minimum of 10, so nobody is ranked.
    assert all(not r.ranked and r.rank is None for r in results.values())


def test_weights_edited_change_the_ranking(october: SimpleNamespace, frozen_now: Any) -> None:
    rule_set_make(
        "resolution first", [("resolution", "80", "linear", None, None), ("visit", "20", "linear", None, None)]
    )
    results = by_unit(assessment_compute(OCTOBER))
    assert float(results["LS-ZJ"].score) == pytest.approx(round(80 * 1 + 20 * 2 / 3, 2))  # 93.33
    assert float(results["LS-RS"].score) == pytest.approx(80 * 0.5 + 20 * 1)  # 60
    assert (results["LS-ZJ"].rank, results["LS-RS"].rank) == (1, 2)

    rule_set_make("visits first", [("resolution", "20", "linear", None, None), ("visit", "80", "linear", None, None)])
    results = by_unit(assessment_compute(OCTOBER))
    assert float(results["LS-ZJ"].score) == pytest.approx(round(20 + 80 * 2 / 3, 2))  # 73.33
    assert float(results["LS-RS"].score) == pytest.approx(20 * 0.5 + 80)  # 90
    assert (results["LS-ZJ"].rank, results["LS-RS"].rank) == (2, 1)
    assert results["LS-RS"].rule_set_name == "visits first"


def test_units_below_the_minimum_volume_are_not_ranked(
    october: SimpleNamespace, people: SimpleNamespace, categories: SimpleNamespace, frozen_now: Any
) -> None:
    with clock.at(moment(2026, 10, 13)):
        services.workorder_register(actor=people.operator, data=intake(categories.facilities))  # not dispatched
    rule_set_make("min 3", [("resolution", "100", "linear", None, None)], min_orders=3)
    results = by_unit(assessment_compute(OCTOBER))
    assert results["LS-ZJ"].ranked and results["LS-RS"].ranked
    rule_set_make("min 4", [("resolution", "100", "linear", None, None)], min_orders=4)
    results = by_unit(assessment_compute(OCTOBER))
    assert not results["LS-ZJ"].ranked and results["LS-ZJ"].rank is None
    rows = assessment_month(month=OCTOBER)
    assert [r["rank"] for r in rows] == [None, None]
    assert {r["unit"] for r in rows} == {"LS-ZJ", "LS-RS"}


def test_recompute_replaces_the_month_in_one_audited_step(
    october: SimpleNamespace, people: SimpleNamespace, frozen_now: Any
) -> None:
    rule_set_make("r", [("visit", "100", "linear", None, None)])
    first = assessment_compute(OCTOBER)
    second = assessment_compute(OCTOBER, actor=people.supervisor)
    assert AssessmentResult.objects.filter(month=OCTOBER).count() == 2
    assert {r.pk for r in first}.isdisjoint({r.pk for r in AssessmentResult.objects.all()})
    assert {r.pk for r in second} == set(AssessmentResult.objects.values_list("pk", flat=True))
    events = list(AuditEvent.objects.filter(action="assessment.compute").order_by("pk"))
    assert [e.object_id for e in events] == ["2026-10", "2026-10"]
    assert events[1].actor == people.supervisor
    assert "2" in events[1].note  # units scored and results replaced


def test_a_failing_recompute_keeps_the_old_snapshot(
    october: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, frozen_now: Any
) -> None:
    rule_set_make("r", [("visit", "100", "linear", None, None)])
    assessment_compute(OCTOBER)
    before = set(AssessmentResult.objects.values_list("pk", "score"))

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr("govdesk.assessment.services.audit_append", broken)
    with pytest.raises(RuntimeError):
        assessment_compute(OCTOBER)
    assert set(AssessmentResult.objects.values_list("pk", "score")) == before


def test_previous_rank_and_trend(october: SimpleNamespace, frozen_now: Any) -> None:
    rule_set_make("r", [("visit", "100", "linear", None, None)])
    assessment_compute(OCTOBER)
    rule_set_make("r2", [("resolution", "100", "linear", None, None)])
    november = OCTOBER.replace(month=11)
    assessment_compute(november)  # no November orders: no results
    assert assessment_month(month=november) == []
    rows = {r["unit"]: r for r in assessment_month(month=OCTOBER)}
    assert rows["LS-RS"]["rank"] == 1 and rows["LS-RS"]["previous_rank"] is None
    assert set(rows["LS-RS"]["parts"]["visit"]) == {"rate", "weight", "points"}
    trend = assessment_trend(unit_code="LS-RS", months=3)
    assert [m["month"] for m in trend["months"]] == ["2026-09", "2026-10", "2026-11"]
    assert [m["score"] for m in trend["months"]] == [None, 100.0, None]
    assert [m["rank"] for m in trend["months"]] == [None, 1, None]


def test_overdue_orders_open_at_month_end_and_rejected_returns_are_deducted(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, frozen_now: Any
) -> None:
    p, d, c = people, district, categories
    with clock.at(moment(2026, 10, 12)):
        late = services.workorder_register(actor=p.operator, data=intake(c.facilities, request_type="consultation"))
        services.workorder_dispatch(order=late, actor=p.dispatcher, unit=d.dept_a)
        services.workorder_sign(order=late, actor=p.handler_a)
        bounced = services.workorder_register(actor=p.operator, data=intake(c.wages))
        services.workorder_dispatch(order=bounced, actor=p.dispatcher, unit=d.dept_b)
        services.workorder_return(order=bounced, actor=p.handler_b, reason="非本单位职责", legal_basis="三定方案")
        services.workorder_review_return(order=bounced, actor=p.dispatcher, approve=False, note="属于本单位职责")
    with clock.at(moment(2026, 11, 5)):  # replied after month end: it was still open and overdue on 31 October
        services.workorder_reply(order=late, actor=p.handler_a, reply="已答复市民。")
    rule_set_make(
        "deductions",
        # (a weighted 退单率 is odd, but it makes both units score something before the deductions)
        [("response", "50", "linear", None, None), ("return", "50", "linear", None, None)],
        [("overdue_open", "", "2", None), ("return_rejected", "", "3", None)],
    )
    results = by_unit(assessment_compute(OCTOBER))
    # LS-ZJ: signed (response 1) and never returned: 50 + 0, one overdue order open on 31 October.
    assert float(results["LS-ZJ"].score) == pytest.approx(50 - 2)
    # LS-RS: no response (the order went back to 待签收), returned once: 0 + 50, one rejected return.
    assert float(results["LS-RS"].score) == pytest.approx(50 - 3)
    assert [(x["kind"], x["count"], x["points"]) for x in results["LS-ZJ"].deductions] == [
        ("overdue_open", 1, 2.0),
        ("return_rejected", 0, 0.0),
    ]


def test_the_rule_set_in_force_follows_the_effective_month(db: Any) -> None:
    default = AssessmentRuleSet.objects.get(active=True)
    newer = rule_set_make("2026", [("visit", "100", "linear", None, None)], effective_from=OCTOBER)
    assert rule_set_for_month(OCTOBER) == newer
    assert rule_set_for_month(OCTOBER.replace(month=9)) == default
    AssessmentRuleSet.objects.all().delete()
    with pytest.raises(ApplicationError):
        rule_set_for_month(OCTOBER)
