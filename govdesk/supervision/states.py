"""The 督办 (supervision case) lifecycle, as a table. Pure Python: no ORM, no Django.

A supervisor opens a 督办 on a work order with a reason and a deadline for the unit's answer; the order's primary
unit answers; the supervisor closes it, or reopens it when the answer is not good enough (a new answer deadline).
A 督办 still open after its answer deadline is overdue (a flag the sweep keeps, not a state). A pair not in the table
is "not possible now" (HTTP 409); a role or unit failure is a permission failure (HTTP 403), checked first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"  # 督办中: waiting for the unit's answer
    ANSWERED = "answered"  # 已答复: the unit answered; the supervisor reviews it
    CLOSED = "closed"  # 已办结


# At most one of these per work order (a database constraint).
ACTIVE_STATUSES = frozenset({CaseStatus.OPEN, CaseStatus.ANSWERED})


class CaseAction(StrEnum):
    NOTE = "note"  # a supervisor's note (督办意见)
    ANSWER = "answer"  # the unit's answer (督办答复)
    CLOSE = "close"  # 办结督办
    REOPEN = "reopen"  # 重新督办: the answer is not good enough


class Actor(StrEnum):
    SUPERVISOR = "supervisor"  # the centre's supervisors
    PRIMARY_UNIT = "primary_unit"  # handlers and unit administrators of the order's primary unit


@dataclass(frozen=True)
class CaseTransition:
    source: CaseStatus
    action: CaseAction
    target: CaseStatus
    actor: Actor


S = CaseStatus
A = CaseAction
_ROWS: list[CaseTransition] = [
    CaseTransition(S.OPEN, A.NOTE, S.OPEN, Actor.SUPERVISOR),
    CaseTransition(S.ANSWERED, A.NOTE, S.ANSWERED, Actor.SUPERVISOR),
    CaseTransition(S.OPEN, A.ANSWER, S.ANSWERED, Actor.PRIMARY_UNIT),
    CaseTransition(S.ANSWERED, A.CLOSE, S.CLOSED, Actor.SUPERVISOR),
    # Withdrawn without an answer (e.g. the order was settled another way); the note says why.
    CaseTransition(S.OPEN, A.CLOSE, S.CLOSED, Actor.SUPERVISOR),
    CaseTransition(S.ANSWERED, A.REOPEN, S.OPEN, Actor.SUPERVISOR),
]

CASE_TRANSITIONS: dict[tuple[CaseStatus, CaseAction], CaseTransition] = {(r.source, r.action): r for r in _ROWS}
assert len(CASE_TRANSITIONS) == len(_ROWS), "a (status, action) pair appears twice"

# Who takes each action, whatever the status (checked before the status, so a stranger learns nothing).
ACTION_ACTOR: dict[CaseAction, Actor] = {r.action: r.actor for r in _ROWS}


def case_transition_for(status: str, action: str) -> CaseTransition | None:
    try:
        return CASE_TRANSITIONS.get((CaseStatus(status), CaseAction(action)))
    except ValueError:
        return None


def case_actions_from(status: str) -> list[CaseAction]:
    return [r.action for r in _ROWS if r.source == status]
