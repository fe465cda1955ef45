"""The transition table, walked pair by pair through the services: every (status, action) the table allows works for
its role, and every pair it does not list answers 409, with nothing written."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.applications import services
from govdesk.applications.models import Application
from govdesk.applications.states import OPEN_STATUSES, TRANSITIONS, Action, Status, actions_from
from govdesk.applications.tests.factories import make_application
from govdesk.cases.models import CaseEvent
from govdesk.common.errors import InvalidTransition

pytestmark = pytest.mark.django_db

INPUTS: dict[Action, dict[str, Any]] = {
    Action.ACCEPT: {},
    Action.REQUEST_CORRECTION: {},
    Action.SUPPLEMENT: {"materials": ["M02"]},
    Action.REFUSE: {"reason": "不属于本机关职权范围"},
    Action.SUSPEND: {"reason": "组织听证", "kind": "hearing"},
    Action.RESUME: {},
    Action.APPROVE: {},
    Action.DENY: {"reason": "不符合条件"},
    Action.DELIVER: {"delivery": "post"},
}


def actor_for(action: Action, hall: SimpleNamespace, people: SimpleNamespace) -> Any:
    if action in (Action.SUSPEND, Action.RESUME, Action.APPROVE, Action.DENY):
        return people.handler_a
    return hall.clerk


def test_the_statuses_and_actions_are_the_contracts_names() -> None:
    assert [s.value for s in Status] == [
        "submitted",
        "correction",
        "refused",
        "handling",
        "suspended",
        "approved",
        "denied",
        "closed",
    ]
    assert {a.value for a in Action} == {
        "accept",
        "request-correction",
        "supplement",
        "refuse",
        "suspend",
        "resume",
        "approve",
        "deny",
        "deliver",
    }
    assert set(Status) - {Status.REFUSED, Status.CLOSED} == OPEN_STATUSES
    assert actions_from(Status.REFUSED) == [] and actions_from(Status.CLOSED) == []


ALL_PAIRS = [(status, action) for status in Status for action in Action]


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=[f"{s.value}-{a.value}" for s, a in ALL_PAIRS])
def test_every_pair_of_the_table(
    hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: object, status: Status, action: Action
) -> None:
    application = make_application(hall, people, status)
    if status is Status.SUBMITTED and action is Action.ACCEPT:
        # The table allows it; the guard wants the materials first (tested on its own below).
        services.application_supplement(application=application.number, actor=hall.clerk, materials=["M02", "M03"])
    events = CaseEvent.objects.filter(case_id=application.pk).count()
    service = services.ACTION_SERVICES[action]
    row = TRANSITIONS.get((status, action))
    if row is None:
        with pytest.raises(InvalidTransition):
            service(application=application.number, actor=actor_for(action, hall, people), **INPUTS[action])
        assert Application.objects.get(pk=application.pk).status == status
        assert CaseEvent.objects.filter(case_id=application.pk).count() == events
        return
    result = service(application=application.number, actor=actor_for(action, hall, people), **INPUTS[action])
    assert result.status in row.targets
    assert Application.objects.get(pk=application.pk).status == result.status
    assert CaseEvent.objects.filter(case_id=application.pk, action=action.value).exists()
