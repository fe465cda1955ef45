"""Build orders in a given state by driving the real services, so every fixture has a true history and audit."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status

VALID_INTAKE: dict[str, Any] = {
    "channel": "phone",
    "request_type": "complaint",
    "urgency": "normal",
    "title": "滨河北路路灯不亮",
    "content": "滨河北路与永宁路交叉口的三盏路灯已经一周不亮，晚上行人很不安全。",
    "address": "离石区滨河北路18号",
    "citizen_name": "王小明",
    "citizen_phone": "13812345678",
    "citizen_id_number": "11010519491231002X",
}


def intake(category: Any, **overrides: Any) -> dict[str, Any]:
    return {**VALID_INTAKE, "category": category, **overrides}


def make_order(
    people: SimpleNamespace,
    district: SimpleNamespace,
    category: Any,
    status: Status,
    *,
    unit: Any = None,
    co_units: Sequence[Any] = (),
    handler: Any = None,
    citizen_user: Any = None,
    **overrides: Any,
) -> WorkOrder:
    """An order in `status`, reached through the services.

    Where it has a unit it is assigned to `unit` (default district.dept_a) with `co_units`, and `handler` (default
    people.handler_a) signs, returns and replies for it.
    """
    unit = unit if unit is not None else district.dept_a
    handler = handler if handler is not None else people.handler_a
    order = services.workorder_register(
        actor=people.operator, data=intake(category, **overrides), citizen_user=citizen_user
    )
    if status is Status.NEW:
        return order
    if status is Status.CANCELLED:
        return services.workorder_cancel(order=order, actor=people.operator, reason="市民撤回")
    if status is Status.MERGED:
        master = services.workorder_register(actor=people.operator, data=intake(category))
        return services.workorder_merge(order=order, actor=people.operator, master=master)
    services.workorder_dispatch(order=order, actor=people.dispatcher, unit=unit, co_units=co_units)
    if status is Status.DISPATCHED:
        return _fresh(order)
    if status is Status.RETURNED:
        return services.workorder_return(order=order, actor=handler, reason="不属于本单位职责", legal_basis="三定方案")
    services.workorder_sign(order=order, actor=handler)
    if status is Status.HANDLING:
        return _fresh(order)
    services.workorder_reply(order=order, actor=handler, reply="经核实，已于当日修复路灯。联系人：李工 0358-1234567")
    if status is Status.REPLIED:
        return _fresh(order)
    services.workorder_visit(order=order, actor=people.operator, resolved=True, satisfaction="satisfied")
    assert status is Status.CLOSED
    return _fresh(order)


def with_pending_extension(order: WorkOrder, actor: Any, working_days: int = 3) -> WorkOrder:
    """A HANDLING order whose unit has asked for more time (waiting for the centre's review)."""
    services.workorder_request_extension(
        order=order, actor=actor, working_days=working_days, reason="需协调多部门现场核查"
    )
    return _fresh(order)


def _fresh(order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.get(pk=order.pk)
