"""For `seed_demo`: a rule set weighing work orders, applications and 好差评, then the last three months (this month
so far and the two before) scored with it."""

from __future__ import annotations

from datetime import date

from govdesk.common.errors import ApplicationError

from .items import APPLICATION_ON_TIME, EVALUATION_SATISFACTION, RECTIFICATION_ON_TIME
from .models import AssessmentRuleSet, DeductionKind
from .selectors import month_current, month_shift
from .services import DeductionSpec, ItemSpec, assessment_compute, assessment_rule_set_create

DEMO_RULE_SET = "演示考核规则（工单、办件、好差评）"
# Weights summing to 100: the default rule set's work-order rates scaled to 74, the service hall's items 26.
DEMO_ITEMS = (
    ItemSpec("sign_on_time", "8"),
    ItemSpec("finish_on_time", "20", "range", "0.50", "0.95"),
    ItemSpec("response", "8"),
    ItemSpec("resolution", "15"),
    ItemSpec("satisfaction", "15", "range", "0.60", "0.95"),
    ItemSpec("visit", "8"),
    ItemSpec(APPLICATION_ON_TIME, "12", "range", "0.80", "1.00"),
    ItemSpec(EVALUATION_SATISFACTION, "8", "range", "0.60", "0.95"),
    ItemSpec(RECTIFICATION_ON_TIME, "6"),
)
DEMO_DEDUCTIONS = (
    DeductionSpec(DeductionKind.RATE, "0.2", "return", "5"),
    DeductionSpec(DeductionKind.RATE, "0.1", "repeat_call", "3"),
    DeductionSpec(DeductionKind.OVERDUE_OPEN, "0.5", max_points="10"),
    DeductionSpec(DeductionKind.RETURN_REJECTED, "1", max_points="5"),
    DeductionSpec(DeductionKind.APPLICATION_OVERDUE_OPEN, "0.5", max_points="5"),
    DeductionSpec(DeductionKind.BAD_RATING_JUSTIFIED, "1", max_points="5"),
)


def assessment_demo_rule_set_ensure() -> AssessmentRuleSet:
    """The demo's rule set, created once and made the active one (the default stays, retired, for comparison)."""
    existing = AssessmentRuleSet.objects.filter(name=DEMO_RULE_SET).first()
    if existing is not None:
        return existing
    return assessment_rule_set_create(
        name=DEMO_RULE_SET,
        effective_from=date(2000, 1, 1),
        items=DEMO_ITEMS,
        deductions=DEMO_DEDUCTIONS,
        min_orders=10,
        activate=True,
        description="工单按时签收8、按时办结20、响应8、解决15、满意15、回访8；办件按时办结12、好差评满意8、整改按时6；"
        "退单率、重复来电率、超期未办结工单与办件、属实差评扣分。",
    )


def assessment_demo_compute() -> str:
    rule_set = assessment_demo_rule_set_ensure()
    current = month_current()
    done = [f"rule set {rule_set}"]
    for back in (2, 1, 0):
        month = month_shift(current, -back)
        try:
            results = assessment_compute(month)
        except ApplicationError as exc:
            done.append(f"{month:%Y-%m} skipped ({exc.message})")
            continue
        done.append(f"{month:%Y-%m} {len(results)} units ({sum(1 for r in results if r.ranked)} ranked)")
    return "; ".join(done)
