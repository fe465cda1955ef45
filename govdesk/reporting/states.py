"""A unit's report's (填报) lifecycle, as a table. Pure Python: no ORM, no Django.

`TRANSITIONS[(status, action)]` says where an action leads from a status and who may take it: the reporting unit's
handlers and administrators fill and submit (`UNIT`), the office (区政府办公室/督查室, supervisors) returns or accepts
(`OFFICE`). A pair not in the table is not possible in that status (HTTP 409); a role or unit failure is 403/404.

assigned → (save) draft → (submit) submitted → (return) returned → (save/submit) … → (accept) accepted (closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    ASSIGNED = "assigned"  # 待填报: issued to the unit, nothing saved yet
    DRAFT = "draft"  # 填报中: rows saved, not submitted
    SUBMITTED = "submitted"  # 待审核: waiting for the office
    RETURNED = "returned"  # 已退回: the office sent it back with a note; the unit corrects it
    ACCEPTED = "accepted"  # 已采用: written into the ledger (closed)


OPEN_STATUSES = frozenset({Status.ASSIGNED, Status.DRAFT, Status.SUBMITTED, Status.RETURNED})
# The unit owes the work in these: they are the ones urged, escalated and flagged overdue after the deadline.
UNIT_OWES_STATUSES = (Status.ASSIGNED, Status.DRAFT, Status.RETURNED)


class Action(StrEnum):
    SAVE = "save"
    SUBMIT = "submit"
    RETURN = "return"
    ACCEPT = "accept"


class Actor(StrEnum):
    UNIT = "unit"  # a handler or unit administrator of the report's unit
    OFFICE = "office"  # a supervisor


@dataclass(frozen=True)
class Transition:
    source: Status
    action: Action
    target: Status
    actor: Actor


S = Status
A = Action
_ROWS: list[Transition] = [
    Transition(S.ASSIGNED, A.SAVE, S.DRAFT, Actor.UNIT),
    Transition(S.DRAFT, A.SAVE, S.DRAFT, Actor.UNIT),
    # A returned report stays "returned" while the unit corrects it: the office's note stays in front of both.
    Transition(S.RETURNED, A.SAVE, S.RETURNED, Actor.UNIT),
    # The rows may be submitted as prefilled or uploaded, without a separate save.
    Transition(S.ASSIGNED, A.SUBMIT, S.SUBMITTED, Actor.UNIT),
    Transition(S.DRAFT, A.SUBMIT, S.SUBMITTED, Actor.UNIT),
    Transition(S.RETURNED, A.SUBMIT, S.SUBMITTED, Actor.UNIT),
    Transition(S.SUBMITTED, A.RETURN, S.RETURNED, Actor.OFFICE),
    Transition(S.SUBMITTED, A.ACCEPT, S.ACCEPTED, Actor.OFFICE),
]

TRANSITIONS: dict[tuple[Status, Action], Transition] = {(row.source, row.action): row for row in _ROWS}
assert len(TRANSITIONS) == len(_ROWS), "a (status, action) pair appears twice"


def transition_for(status: str, action: str) -> Transition | None:
    try:
        return TRANSITIONS.get((Status(status), Action(action)))
    except ValueError:
        return None


def actions_from(status: str, actor: Actor) -> list[Action]:
    return [row.action for row in _ROWS if row.source == status and row.actor is actor]
