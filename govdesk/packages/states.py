"""A package application's lifecycle, as a table, and its status after acceptance, derived from its parts'.
Pure Python: no ORM, no Django.

Before acceptance the package is one case at the window, like an application: submit, ask once for everything
missing across all parts (one 一次性告知书), supplement, refuse (不予受理) or accept. Acceptance fans it out into one
part per needed matter; from then on the package's status is never set by hand: `package_status_derive` computes it
from its parts' states (`handling` while any part waits or is open, `decided` when every part has its outcome,
`closed` when the results are delivered), and `parts_next` says which waiting parts can start and which can never
start, so no part waits forever behind a part that was denied, refused or cancelled. `deliver` hands over every
decided part's result at once, with the package's one result notice.

Status names are the applications' where they mean the same (submitted, correction, refused, handling, closed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"  # 待受理: one form and one set of materials, at the window or online
    CORRECTION = "correction"  # 待补正: told once what is missing across all parts
    REFUSED = "refused"  # 不予受理: the whole package, with reasons and remedies
    HANDLING = "handling"  # 办理中: accepted and fanned out; some part still waits or is open
    DECIDED = "decided"  # 已出结果, 待送达: every part has its outcome; the one result notice is issued
    CLOSED = "closed"  # 已办结: every part's result delivered (or no part had one to deliver)


OPEN_STATUSES = frozenset({Status.SUBMITTED, Status.CORRECTION, Status.HANDLING, Status.DECIDED})


class Action(StrEnum):
    ACCEPT = "accept"
    REQUEST_CORRECTION = "request-correction"
    SUPPLEMENT = "supplement"
    REFUSE = "refuse"
    DELIVER = "deliver"


class Scope(StrEnum):
    HALL = "hall"  # the service hall's window clerks, on any package
    APPLICANT = "applicant"  # the citizen whose package it is


WINDOW_CLERK = "window_clerk"
CITIZEN = "citizen"
CLERK = frozenset({WINDOW_CLERK})


@dataclass(frozen=True)
class Transition:
    source: Status
    action: Action
    targets: tuple[Status, ...]
    roles: frozenset[str]
    scopes: frozenset[Scope]
    guards: tuple[str, ...] = ()


S = Status
A = Action
HALL = frozenset({Scope.HALL})
HALL_OR_APPLICANT = frozenset({Scope.HALL, Scope.APPLICANT})
_ROWS: list[Transition] = [
    # Complete → 受理 and fan-out; the status right after is derived (every part instant: decided at once).
    Transition(S.SUBMITTED, A.ACCEPT, (S.HANDLING, S.DECIDED), CLERK, HALL, ("materials_complete",)),
    # Incomplete → ONE notice for everything missing across all parts, each merged material once.
    Transition(S.SUBMITTED, A.REQUEST_CORRECTION, (S.CORRECTION,), CLERK, HALL, ("something_to_correct",)),
    Transition(S.SUBMITTED, A.SUPPLEMENT, (S.SUBMITTED,), CLERK | {CITIZEN}, HALL_OR_APPLICANT),
    Transition(S.CORRECTION, A.SUPPLEMENT, (S.CORRECTION, S.SUBMITTED), CLERK | {CITIZEN}, HALL_OR_APPLICANT),
    Transition(S.SUBMITTED, A.REFUSE, (S.REFUSED,), CLERK, HALL),
    Transition(S.CORRECTION, A.REFUSE, (S.REFUSED,), CLERK, HALL),
    # Once, at the end: every decided part's result handed over with the package's one result notice.
    Transition(S.DECIDED, A.DELIVER, (S.CLOSED,), CLERK, HALL),
]

TRANSITIONS: dict[tuple[Status, Action], Transition] = {(row.source, row.action): row for row in _ROWS}
assert len(TRANSITIONS) == len(_ROWS), "a (status, action) pair appears twice"

# The derived moves after acceptance: the timeline's action names (nobody takes them; the parts' outcomes do).
DERIVED_ACTIONS = {Status.DECIDED: "decide", Status.CLOSED: "close"}


def transition_for(status: str, action: str) -> Transition | None:
    try:
        return TRANSITIONS.get((Status(status), Action(action)))
    except ValueError:
        return None


def actions_from(status: str) -> list[Action]:
    return [row.action for row in _ROWS if row.source == status]


def roles_for(action: Action) -> frozenset[str]:
    roles: set[str] = set()
    for row in _ROWS:
        if row.action is action:
            roles |= row.roles
    return frozenset(roles)


# --- parts --------------------------------------------------------------------------------------------------------

# A part's state: "waiting" / "cancelled" before it is an application, else its application's status.
WAITING = "waiting"
CANCELLED = "cancelled"
# Application statuses (applications/states.py) by what they mean for the package.
PENDING_PART_STATES = frozenset({WAITING, "submitted", "correction", "handling", "suspended"})
DECIDED_PART_STATES = frozenset({"approved", "denied"})  # decided, result not yet delivered
FINISHED_PART_STATES = frozenset({"closed", "refused", CANCELLED})  # nothing left to do or deliver


class Outcome(StrEnum):
    """What a part means for the parts that need it."""

    WAITING = "waiting"  # not started yet
    PENDING = "pending"  # an application not decided yet
    APPROVED = "approved"  # its result can be passed on
    FAILED = "failed"  # denied, refused or cancelled: the parts that need it can never start


def part_outcome(state: str, *, approved: bool | None = None) -> Outcome:
    """The outcome of a part in `state`; a closed part's outcome is its decision's (`approved`)."""
    if state == WAITING:
        return Outcome.WAITING
    if state == "approved" or (state == "closed" and approved):
        return Outcome.APPROVED
    if state in ("denied", "refused", CANCELLED, "closed"):
        return Outcome.FAILED
    return Outcome.PENDING


def package_status_derive(part_states: Iterable[str], *, delivered: bool = False) -> Status:
    """The package's status from its parts' states (after acceptance).

    `handling` while any part waits or is open; `closed` once every part is finished (closed, refused or cancelled)
    and the results went out (the package's delivery, or parts delivered one by one); else `decided`."""
    states = list(part_states)
    if not states or any(
        s in PENDING_PART_STATES or s not in DECIDED_PART_STATES | FINISHED_PART_STATES for s in states
    ):
        return Status.HANDLING
    if all(s in FINISHED_PART_STATES for s in states) and (delivered or "closed" in states):
        return Status.CLOSED
    return Status.DECIDED


def parts_next(
    depends_on: Mapping[str, Sequence[str]], outcomes: Mapping[str, Outcome]
) -> tuple[list[str], dict[str, str]]:
    """Which waiting parts start now (every part they need approved) and which are cancelled (some part they need
    failed, directly or through a part cancelled here: transitively), each with the part whose failure stops it.

    `depends_on`: part → the parts it needs (needs outside `outcomes` are ignored: a matter not needed in this
    situation). A waiting part that can neither start nor be cancelled waits for a part that is still pending or
    waiting itself, so when every started part is decided, no part waits (the dependencies form no cycle)."""
    current = dict(outcomes)
    cancelled: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for part, outcome in current.items():
            if outcome is not Outcome.WAITING:
                continue
            failed = [d for d in depends_on.get(part, ()) if current.get(d) is Outcome.FAILED]
            if failed:
                cancelled[part] = failed[0]
                current[part] = Outcome.FAILED
                changed = True
    start = [
        part
        for part, outcome in current.items()
        if outcome is Outcome.WAITING
        and all(current.get(d, Outcome.APPROVED) is Outcome.APPROVED for d in depends_on.get(part, ()))
    ]
    return start, cancelled
