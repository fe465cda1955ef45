"""The periodic sweep: automatic 催办 and escalation, idempotent, timed in working days across real holidays."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import CaseEvent
from govdesk.supervision import tasks
from govdesk.supervision.models import Escalation, EscalationStatus, SupervisionSettings, SupervisionUrge
from govdesk.supervision.services import SYSTEM_USERNAME, supervision_sweep
from govdesk.workorders import services as wo_services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status

from .helpers import at, order_at

pytestmark = pytest.mark.django_db

# Registered Mon 2026-09-28 10:00: a consultation is due at close of business two working days later, Wed 09-30
# 17:30, right before the National Day holiday (Oct 1-7 off; Sat Oct 10 is a make-up working day).
REGISTERED = at(2026, 9, 28, 10, 0)
DUE = at(2026, 9, 30, 17, 30)


def sweep(moment: datetime) -> Any:
    with time_machine.travel(moment, tick=False):
        return supervision_sweep()


def urges(order: WorkOrder) -> list[tuple[str, int]]:
    return list(SupervisionUrge.objects.filter(case_id=order.pk).values_list("kind", "sequence"))


@pytest.fixture
def order(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> WorkOrder:
    created = order_at(REGISTERED, people, district, categories)
    assert created.due_at == DUE
    return created


def test_due_soon_is_urged_once_and_recorded_on_the_timeline(order: WorkOrder) -> None:
    assert sweep(at(2026, 9, 29, 10, 0)).counts()["urged_due_soon"] == 0  # 13 working hours left: not soon
    result = sweep(at(2026, 9, 30, 10, 0))  # 6 working hours left
    assert result.urged_due_soon == [order.number]
    assert sweep(at(2026, 9, 30, 10, 0)).counts()["urged_due_soon"] == 0  # the same moment again: nothing
    assert sweep(at(2026, 9, 30, 15, 0)).counts()["urged_due_soon"] == 0
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert fresh.urge_count == 1
    event = CaseEvent.objects.get(case_id=order.pk, action="urge")
    assert event.note.startswith("自动催办")
    assert event.actor is not None and event.actor.username == SYSTEM_USERNAME
    assert event.data["auto"] is True and event.data["kind"] == "due_soon"
    assert AuditEvent.objects.filter(action="workorder.urge", object_id=order.number).count() == 1


def test_overdue_is_urged_then_every_working_day_skipping_the_holiday(order: WorkOrder) -> None:
    sweep(at(2026, 9, 30, 10, 0))
    assert sweep(at(2026, 9, 30, 17, 35)).urged_overdue == [order.number]
    assert sweep(at(2026, 9, 30, 17, 35)).urged_overdue == []  # idempotent
    assert sweep(at(2026, 9, 30, 23, 0)).urged_overdue == []
    for holiday in (1, 3, 7):
        assert sweep(at(2026, 10, holiday, 10, 0)).urged_overdue == [], holiday
    assert sweep(at(2026, 10, 8, 8, 59)).urged_overdue == []
    assert sweep(at(2026, 10, 8, 9, 0)).urged_overdue == [order.number]  # first working day after the holiday
    assert sweep(at(2026, 10, 8, 16, 0)).urged_overdue == []
    assert sweep(at(2026, 10, 9, 9, 5)).urged_overdue == [order.number]
    assert sweep(at(2026, 10, 10, 9, 5)).urged_overdue == [order.number]  # Saturday, a make-up working day
    assert sweep(at(2026, 10, 11, 9, 5)).urged_overdue == []  # Sunday
    assert sweep(at(2026, 10, 12, 9, 5)).urged_overdue == [order.number]
    assert urges(order) == [("due_soon", 0)] + [("overdue", n) for n in range(5)]
    assert WorkOrder.objects.get(pk=order.pk).urge_count == 6


def test_reurge_interval_is_configurable(order: WorkOrder) -> None:
    SupervisionSettings.objects.update_or_create(pk=1, defaults={"reurge_interval_days": 2})
    sweep(at(2026, 9, 30, 17, 35))
    assert sweep(at(2026, 10, 8, 9, 0)).urged_overdue == []
    assert sweep(at(2026, 10, 9, 9, 0)).urged_overdue == [order.number]


def test_switches_off(order: WorkOrder) -> None:
    SupervisionSettings.objects.update_or_create(pk=1, defaults={"urge_due_soon": False})
    assert sweep(at(2026, 9, 30, 10, 0)).urged_due_soon == []
    SupervisionSettings.objects.filter(pk=1).update(auto_urge_enabled=False)
    assert sweep(at(2026, 9, 30, 17, 35)).urged_overdue == []
    assert WorkOrder.objects.get(pk=order.pk).urge_count == 0


def test_escalation_after_two_working_days_once_per_episode(order: WorkOrder) -> None:
    assert sweep(at(2026, 10, 9, 17, 29)).escalated == []  # Oct 8 and 9 are the two working days after Sep 30
    assert sweep(at(2026, 10, 9, 17, 30)).escalated == [order.number]
    assert sweep(at(2026, 10, 9, 17, 30)).escalated == []
    assert sweep(at(2026, 10, 12, 10, 0)).escalated == []
    escalation = Escalation.objects.get(case_id=order.pk)
    assert escalation.status == EscalationStatus.OPEN and escalation.due_at == DUE
    event = CaseEvent.objects.get(case_id=order.pk, action="escalate")
    assert event.note.startswith("升级督办") and event.from_status == event.to_status == Status.HANDLING
    assert AuditEvent.objects.filter(action="workorder.escalate", object_id=order.number).exists()
    assert WorkOrder.objects.get(pk=order.pk).status == Status.HANDLING


def test_a_new_deadline_is_a_new_episode(order: WorkOrder, people: SimpleNamespace) -> None:
    sweep(at(2026, 10, 9, 17, 30))
    with time_machine.travel(at(2026, 10, 12, 10, 0), tick=False):
        # 重办 after the reply gives the order a fresh deadline: the old escalation is moot, a new episode begins.
        wo_services.workorder_reply(order=order.number, actor=people.handler_a, reply="已处理完毕。联系人：李工")
        wo_services.workorder_visit(
            order=order.number, actor=people.operator, resolved=False, satisfaction="unsatisfied"
        )
    new_due = WorkOrder.objects.get(pk=order.pk).due_at
    assert new_due is not None and new_due > DUE
    sweep(at(2026, 10, 12, 10, 5))
    assert Escalation.objects.get(case_id=order.pk).status == EscalationStatus.RESOLVED
    assert sweep(at(2026, 10, 14, 17, 35)).urged_overdue == [order.number]
    assert sweep(at(2026, 10, 16, 17, 30)).escalated == [order.number]
    assert Escalation.objects.filter(case_id=order.pk).count() == 2


def test_escalation_delay_in_working_hours(order: WorkOrder) -> None:
    SupervisionSettings.objects.update_or_create(
        pk=1, defaults={"escalation_delay": 4, "escalation_delay_unit": "working_hours"}
    )
    assert sweep(at(2026, 10, 8, 12, 59)).escalated == []  # 09:00-12:00 is three working hours
    assert sweep(at(2026, 10, 8, 14, 30)).escalated == [order.number]


def test_closed_orders_are_not_urged_and_their_escalations_resolve(order: WorkOrder, people: SimpleNamespace) -> None:
    sweep(at(2026, 10, 9, 17, 30))
    with time_machine.travel(at(2026, 10, 12, 10, 0), tick=False):
        wo_services.workorder_reply(order=order.number, actor=people.handler_a, reply="已处理完毕。联系人：李工")
        wo_services.workorder_visit(order=order.number, actor=people.operator, resolved=True, satisfaction="satisfied")
    result = sweep(at(2026, 10, 13, 9, 0))
    assert result.urged_overdue == [] and result.escalations_resolved == 1


def test_only_orders_with_a_unit_at_work_are_urged(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    new = order_at(REGISTERED, people, district, categories, status=Status.NEW)
    returned = order_at(REGISTERED, people, district, categories, status=Status.RETURNED)
    dispatched = order_at(REGISTERED, people, district, categories, status=Status.DISPATCHED)
    result = sweep(at(2026, 9, 30, 17, 35))
    assert result.urged_overdue == [dispatched.number]
    assert WorkOrder.objects.get(pk=new.pk).urge_count == 0
    assert WorkOrder.objects.get(pk=returned.pk).urge_count == 0
    # Escalation also covers the orders stuck with the centre.
    assert set(sweep(at(2026, 10, 9, 17, 30)).escalated) == {new.number, returned.number, dispatched.number}


def test_the_system_account_cannot_log_in(order: WorkOrder) -> None:
    sweep(at(2026, 9, 30, 10, 0))
    from govdesk.org.models import User

    user = User.objects.get(username=SYSTEM_USERNAME)
    assert not user.is_active and not user.has_usable_password() and user.has_role("supervisor")


def test_periodic_task_calls_the_sweep() -> None:
    assert tasks.supervision_sweep_task.name == "supervision.sweep"
    with mock.patch.object(tasks.services, "supervision_sweep", wraps=supervision_sweep) as called:
        tasks.supervision_sweep_task.call_local()
    called.assert_called_once_with()


def test_periodic_task_runs_every_five_minutes() -> None:
    validate = tasks.supervision_sweep_task.s().validate_datetime
    assert validate(datetime(2026, 10, 8, 9, 5)) and validate(datetime(2026, 10, 8, 9, 0))
    assert not validate(datetime(2026, 10, 8, 9, 3))


def test_management_command_prints_what_it_did(order: WorkOrder, capsys: pytest.CaptureFixture[str]) -> None:
    with time_machine.travel(at(2026, 9, 30, 17, 35), tick=False):
        call_command("supervision_sweep")
        call_command("supervision_sweep")
    out = capsys.readouterr().out
    assert f"urged (overdue): {order.number}" in out
    assert "nothing to do" in out


def test_demo_seed_urges_escalates_and_opens_cases(order: WorkOrder) -> None:
    from govdesk.supervision.demo import supervision_demo_seed
    from govdesk.supervision.models import SupervisionCase

    with time_machine.travel(at(2026, 10, 12, 10, 0), tick=False):
        counts = supervision_demo_seed()
    assert counts["urged_overdue"] == 1 and counts["escalated"] == 1 and counts["cases_opened"] == 1
    assert SupervisionCase.objects.get().case_id == order.pk
    assert Escalation.objects.get().status == EscalationStatus.HANDLED
