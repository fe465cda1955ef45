"""The application's (办件) lifecycle (行政许可法 第32条, 第42条, 第45条), as a table. Pure Python: no ORM, no Django.

`TRANSITIONS[(status, action)]` says where an action leads from a status, which roles may take it, whose applications
they may take it on (`scope`), and the named guards that must hold. A pair not in the table is not possible in that
status (HTTP 409); a role or scope failure is a permission failure (HTTP 403).

The window clerk registers, accepts (受理), asks for everything missing at once (一次性告知), refuses (不予受理) and
delivers the result; the applicant submits online and supplements their own application; the matter's implementing
unit handles it: suspends the clock for a hearing, testing or expert review, resumes it, approves or denies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"  # 待受理: registered at the window or submitted online
    CORRECTION = "correction"  # 待补正: told once what is missing; the clock has not started
    REFUSED = "refused"  # 不予受理
    HANDLING = "handling"  # 办理中: accepted; the implementing unit decides within the promised limit
    SUSPENDED = "suspended"  # 中止: hearing, testing, expert review; the clock stands
    APPROVED = "approved"  # 准予: decided, result waiting to be delivered
    DENIED = "denied"  # 不予许可: decided with reasons, waiting to be delivered
    CLOSED = "closed"  # 已办结: the result was delivered


OPEN_STATUSES = frozenset(
    {Status.SUBMITTED, Status.CORRECTION, Status.HANDLING, Status.SUSPENDED, Status.APPROVED, Status.DENIED}
)


class Action(StrEnum):
    ACCEPT = "accept"
    REQUEST_CORRECTION = "request-correction"
    SUPPLEMENT = "supplement"
    REFUSE = "refuse"
    SUSPEND = "suspend"
    RESUME = "resume"
    APPROVE = "approve"
    DENY = "deny"
    DELIVER = "deliver"


class Scope(StrEnum):
    HALL = "hall"  # the service hall's window clerks, on any application
    UNIT = "unit"  # members of the matter's implementing unit (the application's primary unit)
    APPLICANT = "applicant"  # the citizen whose application it is


WINDOW_CLERK = "window_clerk"
HANDLER = "handler"
UNIT_ADMIN = "unit_admin"
CITIZEN = "citizen"
UNIT = frozenset({HANDLER, UNIT_ADMIN})
CLERK = frozenset({WINDOW_CLERK})


@dataclass(frozen=True)
class Transition:
    source: Status
    action: Action
    targets: tuple[Status, ...]
    roles: frozenset[str]
    scopes: frozenset[Scope]
    guards: tuple[str, ...] = ()


def _t(
    sources: tuple[Status, ...],
    action: Action,
    targets: tuple[Status, ...],
    roles: frozenset[str],
    scopes: frozenset[Scope],
    guards: tuple[str, ...] = (),
) -> list[Transition]:
    return [Transition(s, action, targets, roles, scopes, guards) for s in sources]


S = Status
A = Action
HALL = frozenset({Scope.HALL})
OWN_UNIT = frozenset({Scope.UNIT})
_ROWS: list[Transition] = [
    # At the window: complete → 受理 (a 即办件 is decided on the spot, so it goes straight to approved).
    *_t((S.SUBMITTED,), A.ACCEPT, (S.HANDLING, S.APPROVED), CLERK, HALL, guards=("materials_complete",)),
    # Incomplete → one notice listing everything missing (一次性告知); the clock starts only when complete.
    *_t((S.SUBMITTED,), A.REQUEST_CORRECTION, (S.CORRECTION,), CLERK, HALL, guards=("something_to_correct",)),
    # Materials handed in later: by the clerk before acceptance, or by the clerk or the applicant after the notice.
    *_t((S.SUBMITTED,), A.SUPPLEMENT, (S.SUBMITTED,), CLERK | {CITIZEN}, frozenset({Scope.HALL, Scope.APPLICANT})),
    *_t(
        (S.CORRECTION,),
        A.SUPPLEMENT,
        (S.CORRECTION, S.SUBMITTED),
        CLERK | {CITIZEN},
        frozenset({Scope.HALL, Scope.APPLICANT}),
    ),
    # Outside competence, or not needing a licence: 不予受理 with reasons and the applicant's remedies.
    *_t((S.SUBMITTED, S.CORRECTION), A.REFUSE, (S.REFUSED,), CLERK, HALL),
    # The implementing unit decides; special procedures stop the clock (第45条).
    *_t((S.HANDLING,), A.SUSPEND, (S.SUSPENDED,), UNIT, OWN_UNIT),
    *_t((S.SUSPENDED,), A.RESUME, (S.HANDLING,), UNIT, OWN_UNIT),
    *_t((S.HANDLING,), A.APPROVE, (S.APPROVED,), UNIT, OWN_UNIT),
    *_t((S.HANDLING,), A.DENY, (S.DENIED,), UNIT, OWN_UNIT),
    # The result goes back through the same window (pickup, post or electronic).
    *_t((S.APPROVED, S.DENIED), A.DELIVER, (S.CLOSED,), CLERK, HALL),
]

TRANSITIONS: dict[tuple[Status, Action], Transition] = {(row.source, row.action): row for row in _ROWS}
assert len(TRANSITIONS) == len(_ROWS), "a (status, action) pair appears twice"


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
