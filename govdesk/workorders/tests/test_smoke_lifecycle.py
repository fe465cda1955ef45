from __future__ import annotations

from typing import Any

import pytest

from govdesk.audit.services import audit_chain_verify
from govdesk.workorders import services
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake

pytestmark = pytest.mark.django_db


def test_a_call_goes_from_intake_to_closed(people: Any, district: Any, categories: Any) -> None:
    order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    assert order.status == Status.NEW
    assert len(order.number) == 14
    services.workorder_dispatch(order=order, actor=people.dispatcher, unit=district.dept_a, co_units=[district.street])
    services.workorder_sign(order=order.number, actor=people.handler_a)
    services.workorder_reply(order=order.number, actor=people.handler_a, reply="已修复")
    closed = services.workorder_visit(
        order=order.number, actor=people.operator, resolved=True, satisfaction="satisfied"
    )
    assert closed.status == Status.CLOSED
    assert [e.action for e in closed.events.order_by("id")] == ["register", "dispatch", "sign", "reply", "visit"]
    report = audit_chain_verify()
    assert report.ok and report.checked == 5
