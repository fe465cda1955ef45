"""The package's status, derived from its parts' states, walked over EVERY combination of part outcomes and every
order of decisions: no part ever waits forever, and the package always reaches decided, then closed."""

from __future__ import annotations

import itertools

import pytest

from govdesk.packages.states import (
    CANCELLED,
    TRANSITIONS,
    WAITING,
    Action,
    Outcome,
    Status,
    package_status_derive,
    part_outcome,
    parts_next,
    transition_for,
)

# 3 parts: B needs A (a chain), C on its own; and a longer chain with an independent part for transitivity.
THREE = {"A": [], "B": ["A"], "C": []}
FOUR = {"A": [], "B": ["A"], "C": ["B"], "D": []}
# How a started part ends: approved, denied by its unit, or refused at the window before it was accepted.
ENDINGS = ("approved", "denied", "refused")


def _outcomes(states: dict[str, str]) -> dict[str, Outcome]:
    return {part: part_outcome(state) for part, state in states.items()}


def _run(
    depends: dict[str, list[str]], endings: dict[str, str], order: tuple[str, ...]
) -> tuple[list[tuple[str, Status]], dict[str, str]]:
    """Decide the started parts in `order` (a part not started yet when its turn comes is decided later), applying
    parts_next after each decision as the services do. Returns each step's derived status, and the final states."""
    states = dict.fromkeys(depends, WAITING)
    history: list[tuple[str, Status]] = []

    def settle() -> None:
        while True:
            start, cancel = parts_next(depends, _outcomes(states))
            if not start and not cancel:
                return
            for part in cancel:
                states[part] = CANCELLED
            for part in start:
                states[part] = "handling"

    settle()  # the acceptance's fan-out
    history.append(("accept", package_status_derive(states.values())))
    queue = list(order)
    guard = 0
    while any(state == "handling" for state in states.values()):
        guard += 1
        assert guard < 50, f"no progress: {states}"
        part = next(p for p in queue if states[p] == "handling")
        queue.remove(part)
        states[part] = endings[part]
        settle()
        history.append((part, package_status_derive(states.values())))
    # Nothing waits once every started part is decided: the promise "no part waits forever".
    assert WAITING not in states.values(), states
    for part, state in states.items():
        if state == CANCELLED:
            # Cancelled only behind a part that failed (directly or through another cancelled part).
            assert any(states[d] in ("denied", "refused", CANCELLED) for d in depends[part]), (part, states)
        else:
            assert all(states[d] == "approved" for d in depends[part]), (part, states)
    return [*history, ("final", package_status_derive(states.values()))], states


def _deliver(states: dict[str, str]) -> dict[str, str]:
    return {part: "closed" if state in ("approved", "denied") else state for part, state in states.items()}


@pytest.mark.parametrize("depends", [THREE, FOUR], ids=["three-parts", "four-parts"])
def test_every_combination_of_outcomes_in_every_order_ends_decided_then_closed(depends: dict[str, list[str]]) -> None:
    parts = list(depends)
    walked = 0
    for combo in itertools.product(ENDINGS, repeat=len(parts)):
        endings = dict(zip(parts, combo, strict=True))
        for order in itertools.permutations(parts):
            history, _ = _run(depends, endings, order)
            walked += 1
            statuses = [status for _, status in history]
            # handling until the last decision, decided after it, never closed before delivery.
            assert statuses[-1] is Status.DECIDED, (endings, order, history)
            assert all(status is Status.HANDLING for status in statuses[:-2]), (endings, order, history)
            assert Status.CLOSED not in statuses
    assert walked == 3 ** len(parts) * len(list(itertools.permutations(parts)))


@pytest.mark.parametrize("combo", list(itertools.product(ENDINGS, repeat=3)))
def test_delivery_closes_the_package_whatever_the_outcomes(combo: tuple[str, ...]) -> None:
    _, states = _run(THREE, dict(zip(THREE, combo, strict=True)), ("A", "B", "C"))
    assert package_status_derive(states.values()) is Status.DECIDED
    delivered = _deliver(states)
    assert package_status_derive(delivered.values(), delivered=True) is Status.CLOSED
    # Parts delivered one by one close the package too, once every part is closed (or had nothing to deliver);
    # with nothing to deliver at all, only the package's own delivery (of its result notice) closes it.
    expected = Status.CLOSED if "closed" in delivered.values() else Status.DECIDED
    assert package_status_derive(delivered.values()) is expected


def test_a_denied_part_cancels_what_needs_it_transitively_naming_the_part_it_needed() -> None:
    states = {"A": "denied", "B": WAITING, "C": WAITING, "D": "handling"}
    start, cancel = parts_next(FOUR, _outcomes(states))
    assert start == []
    assert cancel == {"B": "A", "C": "B"}


def test_a_part_waits_while_what_it_needs_is_pending_and_starts_once_approved() -> None:
    assert parts_next(THREE, _outcomes({"A": "suspended", "B": WAITING, "C": "handling"})) == ([], {})
    assert parts_next(THREE, _outcomes({"A": "approved", "B": WAITING, "C": "denied"})) == (["B"], {})
    # A part approved and already delivered (closed) still counts as approved for the parts that need it.
    outcomes = {"A": part_outcome("closed", approved=True), "B": Outcome.WAITING, "C": Outcome.PENDING}
    assert parts_next(THREE, outcomes) == (["B"], {})
    outcomes["A"] = part_outcome("closed", approved=False)
    assert parts_next(THREE, outcomes) == ([], {"B": "A"})


@pytest.mark.parametrize(
    ("states", "delivered", "expected"),
    [
        (["handling", WAITING, "approved"], False, Status.HANDLING),
        (["suspended", "approved", "approved"], False, Status.HANDLING),
        (["submitted", "approved", "approved"], False, Status.HANDLING),
        (["approved", "denied", CANCELLED], False, Status.DECIDED),
        (["refused", CANCELLED, "refused"], False, Status.DECIDED),
        (["refused", CANCELLED, "refused"], True, Status.CLOSED),
        (["closed", "approved", "closed"], False, Status.DECIDED),
        (["closed", CANCELLED, "closed"], False, Status.CLOSED),
        ([], False, Status.HANDLING),
        (["something-unknown"], False, Status.HANDLING),
    ],
)
def test_status_derivation(states: list[str], delivered: bool, expected: Status) -> None:
    assert package_status_derive(states, delivered=delivered) is expected


def test_the_table_before_acceptance() -> None:
    assert transition_for("submitted", "accept") is not None
    assert transition_for("handling", "accept") is None
    assert transition_for("decided", "deliver") is not None
    assert transition_for("closed", "deliver") is None
    assert transition_for("nonsense", "accept") is None
    # After acceptance only delivery is taken by a person; the rest is derived.
    assert {action for (status, action) in TRANSITIONS if status in (Status.HANDLING, Status.DECIDED)} == {
        Action.DELIVER
    }
