"""A scenario of orders across days, weeks and months, driven through the real services at past moments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from govdesk.applications.tests.factories import fake_pdf, hall
from govdesk.common import clock
from govdesk.workorders import services
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")


@contextmanager
def at(y: int, m: int, d: int, h: int = 10, minute: int = 0) -> Iterator[None]:
    with clock.at(datetime(y, m, d, h, minute, tzinfo=SHANGHAI)):
        yield


@pytest.fixture
def scenario(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> SimpleNamespace:
    """Orders through the lifecycle: on-time and late sign-for, return and re-dispatch, reopen after an unsatisfied
    visit, merge and close with master, cancel, direct answer and reopen, reopen of a closed order."""
    p, d, c = people, district, categories
    reg = services.workorder_register
    o: dict[str, Any] = {}
    with at(2026, 10, 30):  # the previous period of a November overview
        o["prev_closed"] = make_order(p, d, c.facilities, Status.CLOSED)
        o["prev_new"] = make_order(p, d, c.wages, Status.NEW, channel="web")
    with at(2026, 11, 2, 23, 30):  # late evening: 2 Nov in Shanghai, still 2 Nov 15:30 UTC
        o["new"] = make_order(p, d, c.bus, Status.NEW, address="")
    with at(2026, 11, 2):
        o["closed"] = make_order(p, d, c.facilities, Status.CLOSED)
        o["late_sign"] = reg(actor=p.operator, data=intake(c.housing, request_type="help"))
        services.workorder_dispatch(order=o["late_sign"], actor=p.dispatcher, unit=d.dept_a)
        o["returned"] = reg(actor=p.operator, data=intake(c.wages, channel="web"))
        services.workorder_dispatch(order=o["returned"], actor=p.dispatcher, unit=d.dept_a)
        services.workorder_return(order=o["returned"], actor=p.handler_a, reason="非本单位职责", legal_basis="三定方案")
        services.workorder_review_return(order=o["returned"], actor=p.dispatcher, approve=True, unit=d.dept_b)
        services.workorder_sign(order=o["returned"], actor=p.handler_b)
        services.workorder_reply(order=o["returned"], actor=p.handler_b, reply="已协调用人单位支付。")
        o["child"] = reg(actor=p.operator, data=intake(c.facilities, channel="other"))
        o["master"] = make_order(p, d, c.facilities, Status.HANDLING)
        services.workorder_merge(order=o["child"], actor=p.operator, master=o["master"])
        o["cancelled"] = make_order(p, d, c.greening, Status.CANCELLED)
        o["answered"] = reg(actor=p.operator, data=intake(c.bus, request_type="consultation", address=""))
        services.workorder_answer(order=o["answered"], actor=p.operator, answer="公交线路调整见公告。")
        o["street"] = make_order(p, d, c.greening, Status.HANDLING, unit=d.street, handler=p.street_handler)
    with at(2026, 11, 3, 15):  # the next day: past the 2-working-hour sign-for limit
        services.workorder_sign(order=o["late_sign"], actor=p.handler_a)
        services.workorder_visit(order=o["returned"], actor=p.operator, resolved=False, satisfaction="unsatisfied")
        services.workorder_reply(order=o["master"], actor=p.handler_a, reply="已修复。")
        services.workorder_visit(order=o["master"], actor=p.operator, resolved=True, satisfaction="basically")
    with at(2026, 11, 10):
        o["reopened"] = make_order(p, d, c.housing, Status.CLOSED, channel="web", request_type="suggestion")
        services.workorder_reopen(order=o["reopened"], actor=p.dispatcher, reason="市民再次来电")
        services.workorder_reopen(order=o["answered"], actor=p.dispatcher, reason="市民对答复有疑问")
        services.workorder_reply(order=o["returned"], actor=p.handler_b, reply="再次核实并已支付。")
        o["replied"] = make_order(p, d, c.wages, Status.REPLIED, unit=d.dept_b, handler=p.handler_b)
        o["dispatched"] = make_order(p, d, c.facilities, Status.DISPATCHED, unit=d.community)
    with at(2026, 12, 22):  # after the completion deadline of November's orders
        services.workorder_visit(order=o["returned"], actor=p.operator, resolved=True, satisfaction="satisfied")
        services.workorder_reply(order=o["late_sign"], actor=p.handler_a, reply="已处理。")
        o["december"] = make_order(p, d, c.housing, Status.CLOSED, channel="api")
    return SimpleNamespace(orders=o)


def at_time(moment: datetime) -> Any:
    return clock.at(moment)


__all__ = ["SHANGHAI", "at", "at_time", "fake_pdf", "hall", "timedelta"]
