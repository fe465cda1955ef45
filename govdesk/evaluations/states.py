"""The rectification (整改) lifecycle of a bad rating (好差评, 国办发〔2019〕51号), as a table. Pure Python: no ORM.

A rating of 1 or 2 (差评) opens a rectification for the rated case's responsible unit. The supervisor verifies the
rating: justified → the unit rectifies and answers by the deadline (counted from the rating); unjustified → closed,
and the rating no longer counts. While it is being verified or rectified the unit may appeal (申诉) once; the
supervisor upholds the appeal (the rating is unjustified, closed) or rejects it (back where it was). Once answered,
the citizen is told and may rate the rectification, which closes it; the supervisor may also close an answered one
the citizen never rates. A pair not in the table is "not possible now" (HTTP 409); a role or unit failure is a
permission failure (HTTP 403), checked first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RectificationStatus(StrEnum):
    VERIFYING = "verifying"  # 待核实: the supervisor checks whether the bad rating is justified
    RECTIFYING = "rectifying"  # 整改中: the unit rectifies and answers by the deadline
    APPEALED = "appealed"  # 申诉中: the unit says the rating is unjustified; the supervisor decides
    ANSWERED = "answered"  # 已整改: the unit answered; the citizen is told and may rate the rectification
    CLOSED = "closed"  # 已办结


# The unit still owes work (the deadline sweep flags these when overdue); answered and closed ones are finished.
OPEN_STATUSES = frozenset({RectificationStatus.VERIFYING, RectificationStatus.RECTIFYING, RectificationStatus.APPEALED})


class RectificationAction(StrEnum):
    VERIFY = "verify"  # 核实: justified or not
    ANSWER = "answer"  # 整改答复
    APPEAL = "appeal"  # 申诉
    DECIDE_APPEAL = "decide-appeal"  # 申诉复核: upheld or rejected
    RATE = "rate"  # the citizen rates the rectification (an evaluation of the rectification case)
    CLOSE = "close"  # 结案 without the citizen's rating


class Actor(StrEnum):
    SUPERVISOR = "supervisor"  # the centre's supervisors
    UNIT = "unit"  # handlers and unit administrators of the rectification's unit
    RATER = "rater"  # whoever may rate the rectification case (the citizen, a link holder, the counter pad)


@dataclass(frozen=True)
class RectificationTransition:
    source: RectificationStatus
    action: RectificationAction
    targets: tuple[RectificationStatus, ...]
    actor: Actor
    guards: tuple[str, ...] = ()


S = RectificationStatus
A = RectificationAction
_ROWS: list[RectificationTransition] = [
    RectificationTransition(S.VERIFYING, A.VERIFY, (S.RECTIFYING, S.CLOSED), Actor.SUPERVISOR),
    RectificationTransition(S.RECTIFYING, A.ANSWER, (S.ANSWERED,), Actor.UNIT),
    RectificationTransition(S.VERIFYING, A.APPEAL, (S.APPEALED,), Actor.UNIT, guards=("not_appealed_before",)),
    RectificationTransition(S.RECTIFYING, A.APPEAL, (S.APPEALED,), Actor.UNIT, guards=("not_appealed_before",)),
    # Upheld closes it; rejected goes back to the status the appeal came from.
    RectificationTransition(S.APPEALED, A.DECIDE_APPEAL, (S.CLOSED, S.VERIFYING, S.RECTIFYING), Actor.SUPERVISOR),
    RectificationTransition(S.ANSWERED, A.RATE, (S.CLOSED,), Actor.RATER),
    # A second channel's rating of a closed, answered rectification is recorded; the status stays.
    RectificationTransition(S.CLOSED, A.RATE, (S.CLOSED,), Actor.RATER, guards=("was_answered",)),
    RectificationTransition(S.ANSWERED, A.CLOSE, (S.CLOSED,), Actor.SUPERVISOR),
]

TRANSITIONS: dict[tuple[RectificationStatus, RectificationAction], RectificationTransition] = {
    (r.source, r.action): r for r in _ROWS
}
assert len(TRANSITIONS) == len(_ROWS), "a (status, action) pair appears twice"

# Who takes each action, whatever the status (checked before the status, so a stranger learns nothing).
ACTION_ACTOR: dict[RectificationAction, Actor] = {r.action: r.actor for r in _ROWS}

# The actions a person takes through the API and the pages (rating goes through POST /api/v1/evaluations/).
API_ACTIONS = (A.VERIFY, A.ANSWER, A.APPEAL, A.DECIDE_APPEAL, A.CLOSE)


def transition_for(status: str, action: str) -> RectificationTransition | None:
    try:
        return TRANSITIONS.get((RectificationStatus(status), RectificationAction(action)))
    except ValueError:
        return None


def actions_from(status: str) -> list[RectificationAction]:
    return [r.action for r in _ROWS if r.source == status]
