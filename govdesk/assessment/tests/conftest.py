"""October 2026 orders of two departments, driven through the real work-order services; rule sets for the tests;
the applications' service hall."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from govdesk.applications.tests.factories import fake_pdf, hall
from govdesk.assessment.models import AssessmentDeduction, AssessmentRuleItem, AssessmentRuleSet
from govdesk.common import clock
from govdesk.workorders import services
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

# The service hall (its window clerk and matters) and the stand-in PDF renderer, for the applications' tests.
__all__ = ["fake_pdf", "hall"]
SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = date(2026, 10, 1)
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


def moment(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=SHANGHAI)


@pytest.fixture
def october(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> SimpleNamespace:
    """dept_a (LS-ZJ): 2 closed (resolved, satisfied) + 1 replied. dept_b (LS-RS): 1 closed + 1 visited unresolved
    and unsatisfied (back to handling) + 1 handling. Every step at one moment, so every deadline is met."""
    p, d, c = people, district, categories
    with clock.at(moment(2026, 10, 12)):
        a = [make_order(p, d, c.facilities, Status.CLOSED) for _ in range(2)]
        a.append(make_order(p, d, c.facilities, Status.REPLIED))
        b = [make_order(p, d, c.wages, Status.CLOSED, unit=d.dept_b, handler=p.handler_b)]
        redo = make_order(p, d, c.wages, Status.REPLIED, unit=d.dept_b, handler=p.handler_b)
        services.workorder_visit(order=redo, actor=p.operator, resolved=False, satisfaction="unsatisfied")
        b.append(redo)
        b.append(make_order(p, d, c.wages, Status.HANDLING, unit=d.dept_b, handler=p.handler_b))
    return SimpleNamespace(a=a, b=b)


def rule_set_make(
    name: str,
    items: list[tuple[str, str, str, str | None, str | None]],
    deductions: list[tuple[str, str, str, str | None]] = (),  # type: ignore[assignment]
    *,
    min_orders: int = 1,
    active: bool = True,
    effective_from: date = date(2020, 1, 1),
) -> AssessmentRuleSet:
    if active:
        AssessmentRuleSet.objects.filter(active=True).update(active=False)
    rule_set = AssessmentRuleSet.objects.create(
        name=name, active=active, effective_from=effective_from, min_orders=min_orders
    )
    for key, weight, method, floor, target in items:
        AssessmentRuleItem.objects.create(
            rule_set=rule_set,
            rate_key=key,
            weight=Decimal(weight),
            method=method,
            floor=None if floor is None else Decimal(floor),
            target=None if target is None else Decimal(target),
        )
    for kind, key, points, cap in deductions:
        AssessmentDeduction.objects.create(
            rule_set=rule_set,
            kind=kind,
            rate_key=key,
            points=Decimal(points),
            max_points=None if cap is None else Decimal(cap),
        )
    return rule_set


@pytest.fixture
def frozen_now() -> Any:
    with clock.at(NOW):
        yield NOW


@pytest.fixture
def two_months(
    october: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> SimpleNamespace:
    """October ranked by visits (LS-RS 1st, LS-ZJ 2nd), November by resolution (LS-ZJ 1st, LS-RS 2nd)."""
    from govdesk.assessment.services import assessment_compute

    p, d, c = people, district, categories
    with clock.at(moment(2026, 11, 10)):
        make_order(p, d, c.facilities, Status.CLOSED)
        redo = make_order(p, d, c.wages, Status.REPLIED, unit=d.dept_b, handler=p.handler_b)
        services.workorder_visit(order=redo, actor=p.operator, resolved=False, satisfaction="unsatisfied")
    with clock.at(NOW):
        rule_set_make("visits", [("visit", "100", "linear", None, None)], effective_from=OCTOBER)
        assessment_compute(OCTOBER)
        rule_set_make("resolution", [("resolution", "100", "linear", None, None)], effective_from=date(2026, 11, 1))
        assessment_compute(date(2026, 11, 1))
    return october
