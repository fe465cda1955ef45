"""The revision's table: who may take which action from which status (pure, no database)."""

from __future__ import annotations

from govdesk.knowledge.states import (
    OPEN_STATUSES,
    TRANSITIONS,
    UNIT_OWES_STATUSES,
    Action,
    Actor,
    Status,
    actions_from,
    transition_for,
)


def test_the_table() -> None:
    assert {(s.value, a.value, row.target.value) for (s, a), row in TRANSITIONS.items()} == {
        ("draft", "save", "draft"),
        ("returned", "save", "returned"),
        ("draft", "submit", "submitted"),
        ("returned", "submit", "submitted"),
        ("submitted", "return", "returned"),
        ("submitted", "publish", "published"),
        ("draft", "discard", "discarded"),
        ("returned", "discard", "discarded"),
    }
    assert {Status.DRAFT, Status.SUBMITTED, Status.RETURNED} == OPEN_STATUSES
    assert set(UNIT_OWES_STATUSES) == {Status.DRAFT, Status.RETURNED}


def test_who_takes_each_action() -> None:
    assert actions_from("draft", Actor.UNIT) == [Action.SAVE, Action.SUBMIT, Action.DISCARD]
    assert actions_from("draft", Actor.CENTRE) == [Action.DISCARD]
    assert actions_from("submitted", Actor.UNIT) == []
    assert actions_from("submitted", Actor.CENTRE) == [Action.RETURN, Action.PUBLISH]
    assert actions_from("published", Actor.CENTRE) == actions_from("discarded", Actor.UNIT) == []


def test_unknown_values_have_no_transition() -> None:
    assert transition_for("draft", "fly") is None
    assert transition_for("lost", "save") is None
    assert transition_for("published", "save") is None
    row = transition_for("draft", "discard")
    assert row is not None and row.actors == {Actor.UNIT, Actor.CENTRE}
