"""The report's transition table: every pair it allows, who takes it, and that nothing else is possible."""

from __future__ import annotations

import pytest

from govdesk.reporting.states import (
    OPEN_STATUSES,
    TRANSITIONS,
    UNIT_OWES_STATUSES,
    Action,
    Actor,
    Status,
    actions_from,
    transition_for,
)

EXPECTED = {
    (Status.ASSIGNED, Action.SAVE): (Status.DRAFT, Actor.UNIT),
    (Status.DRAFT, Action.SAVE): (Status.DRAFT, Actor.UNIT),
    (Status.RETURNED, Action.SAVE): (Status.RETURNED, Actor.UNIT),
    (Status.ASSIGNED, Action.SUBMIT): (Status.SUBMITTED, Actor.UNIT),
    (Status.DRAFT, Action.SUBMIT): (Status.SUBMITTED, Actor.UNIT),
    (Status.RETURNED, Action.SUBMIT): (Status.SUBMITTED, Actor.UNIT),
    (Status.SUBMITTED, Action.RETURN): (Status.RETURNED, Actor.OFFICE),
    (Status.SUBMITTED, Action.ACCEPT): (Status.ACCEPTED, Actor.OFFICE),
}


def test_the_table_is_exactly_the_designed_lifecycle() -> None:
    assert {pair: (row.target, row.actor) for pair, row in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_other_pair_is_not_possible(status: Status, action: Action) -> None:
    row = transition_for(status, action)
    assert (row is not None) == ((status, action) in EXPECTED)


def test_accepted_is_final_and_closed() -> None:
    assert actions_from(Status.ACCEPTED, Actor.UNIT) == actions_from(Status.ACCEPTED, Actor.OFFICE) == []
    assert Status.ACCEPTED not in OPEN_STATUSES
    assert set(OPEN_STATUSES) == set(Status) - {Status.ACCEPTED}


def test_the_unit_owes_a_report_until_it_submits() -> None:
    assert set(UNIT_OWES_STATUSES) == {Status.ASSIGNED, Status.DRAFT, Status.RETURNED}


def test_unknown_names_are_not_transitions() -> None:
    assert transition_for("nonsense", "save") is None
    assert transition_for("draft", "approve") is None
