"""The arithmetic of a unit's score: pure functions over rates and rule values, no ORM (tested by hand computations).

- An item's points: linear: weight × rate (the rate × 100 on a 0–100 scale, weighted); range: weight × (rate − floor)
  / (target − floor), clipped to 0..weight.
- Items whose rate has no data (denominator 0) are left out and the others are scaled up to the full weight, so a
  unit is not rewarded or punished for what it had no orders for: base = Σ points × Σ weights / Σ weights with data.
- Deductions are subtracted (each capped at its maximum); the score is never below 0.
"""

from __future__ import annotations

from dataclasses import dataclass

SCORE_PLACES = 2


@dataclass(frozen=True)
class ItemRule:
    rate_key: str
    weight: float
    method: str  # "linear" | "range"
    floor: float | None = None
    target: float | None = None


@dataclass(frozen=True)
class DeductionRule:
    kind: str  # "rate" | "overdue_open" | "return_rejected"
    points: float
    rate_key: str = ""
    max_points: float | None = None


def item_points(rule: ItemRule, rate: float | None) -> float | None:
    if rate is None:
        return None
    if rule.method == "range":
        floor, target = rule.floor or 0.0, rule.target if rule.target is not None else 1.0
        if target <= floor:
            return rule.weight if rate >= target else 0.0
        fraction = (rate - floor) / (target - floor)
        return rule.weight * min(1.0, max(0.0, fraction))
    return rule.weight * min(1.0, max(0.0, rate))


def deduction_points(rule: DeductionRule, *, rates: dict[str, float | None], counts: dict[str, int]) -> float:
    if rule.kind == "rate":
        rate = rates.get(rule.rate_key)
        amount = 0.0 if rate is None else rule.points * rate * 100
    else:
        amount = rule.points * counts.get(rule.kind, 0)
    if rule.max_points is not None:
        amount = min(amount, rule.max_points)
    return max(0.0, amount)


@dataclass(frozen=True)
class Score:
    score: float
    base: float
    parts: dict[str, dict[str, float | int | None]]
    deductions: list[dict[str, float | int | str | None]]


def score_unit(
    items: list[ItemRule],
    deductions: list[DeductionRule],
    *,
    rates: dict[str, float | None],
    rate_parts: dict[str, dict[str, int]],
    counts: dict[str, int],
) -> Score:
    total_weight = sum(i.weight for i in items)
    weight_with_data = 0.0
    earned = 0.0
    parts: dict[str, dict[str, float | int | None]] = {}
    for rule in items:
        rate = rates.get(rule.rate_key)
        points = item_points(rule, rate)
        if points is not None:
            weight_with_data += rule.weight
            earned += points
        numbers = rate_parts.get(rule.rate_key, {})
        parts[rule.rate_key] = {
            "rate": rate,
            "weight": rule.weight,
            "points": None if points is None else round(points, SCORE_PLACES),
            "numerator": numbers.get("numerator", 0),
            "denominator": numbers.get("denominator", 0),
        }
    base = earned * total_weight / weight_with_data if weight_with_data else 0.0
    lines: list[dict[str, float | int | str | None]] = []
    deducted = 0.0
    for deduction in deductions:
        amount = deduction_points(deduction, rates=rates, counts=counts)
        deducted += amount
        lines.append(
            {
                "kind": deduction.kind,
                "rate_key": deduction.rate_key or None,
                "rate": rates.get(deduction.rate_key) if deduction.kind == "rate" else None,
                "count": None if deduction.kind == "rate" else counts.get(deduction.kind, 0),
                "points": round(amount, SCORE_PLACES),
            }
        )
    return Score(
        score=round(max(0.0, base - deducted), SCORE_PLACES),
        base=round(base, SCORE_PLACES),
        parts=parts,
        deductions=lines,
    )


def competition_ranks(scores: list[tuple[str, float, int]]) -> dict[str, int]:
    """Rank (1 = best) by score, ties sharing a rank (1, 1, 3); `scores` is (key, score, total)."""
    ordered = sorted(scores, key=lambda s: (-s[1], -s[2], s[0]))
    ranks: dict[str, int] = {}
    previous: float | None = None
    rank = 0
    for position, (key, score, _total) in enumerate(ordered, start=1):
        if score != previous:
            rank, previous = position, score
        ranks[key] = rank
    return ranks
