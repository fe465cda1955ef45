"""Finished cases and ratings at known moments for the 好差评 tests, built through the real services."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from govdesk.evaluations import services
from govdesk.evaluations.models import Evaluation, Rectification
from govdesk.workorders import services as wo
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def citizen_order(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, *, unit: Any = None
) -> WorkOrder:
    """A closed order the citizen submitted themselves (so it is theirs: `created_by` is the citizen's account)."""
    order = wo.workorder_register(
        actor=people.citizen, data=intake(categories.facilities, channel="web"), citizen_user=people.citizen
    )
    wo.workorder_dispatch(order=order, actor=people.dispatcher, unit=unit or district.dept_a)
    handler = people.handler_b if unit is district.dept_b else people.handler_a
    wo.workorder_sign(order=order, actor=handler)
    wo.workorder_reply(order=order, actor=handler, reply="已修复路灯。")
    wo.workorder_visit(order=order, actor=people.operator, resolved=True, satisfaction="satisfied")
    return WorkOrder.objects.get(pk=order.pk)


def closed_order(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, **kw: Any
) -> WorkOrder:
    """A closed order registered by the operator (the citizen holds a rating link, or rates at the pad)."""
    return make_order(people, district, categories.facilities, Status.CLOSED, **kw)


def pad_rate(case: Any, level: Any, actor: Any, comment: str = "") -> Evaluation:
    return services.evaluation_create(case=case, level=level, comment=comment, channel="pad", actor=actor)


def bad_rating(
    people: SimpleNamespace,
    district: SimpleNamespace,
    categories: SimpleNamespace,
    *,
    moment: datetime | None = None,
    level: int = 1,
    **kw: Any,
) -> tuple[WorkOrder, Evaluation, Rectification]:
    """A citizen's closed order rated badly on the web (at `moment`), with the rectification it opened."""
    if moment is None:
        order = citizen_order(people, district, categories, **kw)
        evaluation = services.evaluation_create(
            case=order, level=level, comment="处理敷衍", channel="web", actor=people.citizen
        )
    else:
        with time_machine.travel(moment, tick=False):
            order = citizen_order(people, district, categories, **kw)
            evaluation = services.evaluation_create(
                case=order, level=level, comment="处理敷衍", channel="web", actor=people.citizen
            )
    return order, evaluation, Rectification.objects.get(evaluation=evaluation)


def fresh(rectification: Rectification) -> Rectification:
    return Rectification.objects.get(pk=rectification.pk)
