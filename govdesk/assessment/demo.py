"""For `seed_demo`: score the last three months (this month so far and the two before) with the rules in force."""

from __future__ import annotations

from govdesk.common.errors import ApplicationError

from .selectors import month_current, month_shift
from .services import assessment_compute


def assessment_demo_compute() -> str:
    current = month_current()
    done = []
    for back in (2, 1, 0):
        month = month_shift(current, -back)
        try:
            results = assessment_compute(month)
        except ApplicationError as exc:
            done.append(f"{month:%Y-%m} skipped ({exc.message})")
            continue
        done.append(f"{month:%Y-%m} {len(results)} units ({sum(1 for r in results if r.ranked)} ranked)")
    return "; ".join(done)
