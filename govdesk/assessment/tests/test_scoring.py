"""The score arithmetic on its own: linear and floor/target items, missing rates, capped deductions, tied ranks."""

from __future__ import annotations

import pytest

from govdesk.assessment.scoring import DeductionRule, ItemRule, competition_ranks, item_points, score_unit


def test_linear_points_are_the_weight_times_the_rate() -> None:
    assert item_points(ItemRule("visit", 10, "linear"), 0.8) == pytest.approx(8.0)
    assert item_points(ItemRule("visit", 10, "linear"), None) is None


@pytest.mark.parametrize(("rate", "points"), [(0.4, 0.0), (0.6, 0.0), (0.8, 10.0), (0.95, 17.5), (1.0, 20.0)])
def test_range_points_go_from_zero_at_the_floor_to_the_weight_at_the_target(rate: float, points: float) -> None:
    assert item_points(ItemRule("satisfaction", 20, "range", 0.6, 1.0), rate) == pytest.approx(points)


def test_rates_without_data_are_left_out_and_the_rest_scaled_to_the_full_weight() -> None:
    items = [ItemRule("resolution", 60, "linear"), ItemRule("visit", 40, "linear")]
    score = score_unit(items, [], rates={"resolution": 0.5, "visit": None}, rate_parts={}, counts={})
    # 60 × 0.5 = 30 of the 60 weight with data → 50 of 100.
    assert score.score == 50.0
    assert score.parts["visit"]["points"] is None
    assert score.parts["resolution"]["points"] == 30.0


def test_deductions_are_capped_and_the_score_never_goes_below_zero() -> None:
    items = [ItemRule("resolution", 100, "linear")]
    deductions = [
        DeductionRule("rate", 0.2, "return", 5),  # 0.2 × 30 points = 6 → capped at 5
        DeductionRule("overdue_open", 0.5),  # 0.5 × 3
    ]
    score = score_unit(
        items, deductions, rates={"resolution": 0.9, "return": 0.3}, rate_parts={}, counts={"overdue_open": 3}
    )
    assert score.score == pytest.approx(90 - 5 - 1.5)
    assert [d["points"] for d in score.deductions] == [5.0, 1.5]
    low = score_unit(
        items, [DeductionRule("overdue_open", 50)], rates={"resolution": 0.1}, rate_parts={}, counts={"overdue_open": 1}
    )
    assert low.score == 0.0


def test_ties_share_a_rank() -> None:
    ranks = competition_ranks([("A", 90.0, 5), ("B", 95.0, 5), ("C", 90.0, 9), ("D", 80.0, 1)])
    assert ranks == {"B": 1, "C": 2, "A": 2, "D": 4}
