"""The 12345 work order's lifecycle (DOMAIN.md §2), as a table. Pure Python: no ORM, no Django.

`TRANSITIONS[(status, action)]` says where an action leads from a status, which roles may take it, which units'
members may take it (`scope`), and the named guards that must hold. A pair not in the table is not possible in that
status (HTTP 409). Role and scope failures are permission failures (HTTP 403).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"  # 待派单: registered, waiting for the dispatcher
    DISPATCHED = "dispatched"  # 待签收: sent to a unit, waiting for it to sign for it
    HANDLING = "handling"  # 办理中: signed for; the unit is working on it
    RETURNED = "returned"  # 退单待审: the unit says it is not responsible; the dispatcher reviews
    REPLIED = "replied"  # 待回访: the unit has replied; the centre calls the citizen back
    MERGED = "merged"  # 已并单: a duplicate, merged into a master order; closes with it
    CLOSED = "closed"  # 已办结
    CANCELLED = "cancelled"  # 已撤销


OPEN_STATUSES = frozenset(
    {Status.NEW, Status.DISPATCHED, Status.HANDLING, Status.RETURNED, Status.REPLIED, Status.MERGED}
)


class Action(StrEnum):
    DISPATCH = "dispatch"
    SIGN = "sign"
    RETURN = "return"
    REVIEW_RETURN = "review-return"
    REQUEST_EXTENSION = "request-extension"
    REVIEW_EXTENSION = "review-extension"
    REPLY = "reply"
    VISIT = "visit"
    REOPEN = "reopen"
    MERGE = "merge"
    URGE = "urge"
    SUPERVISE = "supervise"
    NOTE = "note"
    ANSWER = "answer"
    CANCEL = "cancel"
    CLOSE_WITH_MASTER = "close-with-master"


class Scope(StrEnum):
    CENTRE = "centre"  # hotline-centre staff, on any order
    PRIMARY_UNIT = "primary_unit"  # members of the order's primary unit (主办)
    ASSIGNED_UNIT = "assigned_unit"  # members of the primary unit or a co-unit (协办)
    SYSTEM = "system"  # the platform itself, never a person


OPERATOR = "operator"
DISPATCHER = "dispatcher"
SUPERVISOR = "supervisor"
HANDLER = "handler"
UNIT_ADMIN = "unit_admin"
CENTRE = frozenset({OPERATOR, DISPATCHER, SUPERVISOR})
UNIT = frozenset({HANDLER, UNIT_ADMIN})


@dataclass(frozen=True)
class Transition:
    source: Status
    action: Action
    targets: tuple[Status, ...]
    roles: frozenset[str]
    scope: Scope = Scope.CENTRE
    guards: tuple[str, ...] = ()


def _t(
    sources: tuple[Status, ...],
    action: Action,
    targets: tuple[Status, ...] | None,
    roles: frozenset[str],
    scope: Scope = Scope.CENTRE,
    guards: tuple[str, ...] = (),
) -> list[Transition]:
    """One row per source; `targets=None` means the action keeps the status."""
    return [Transition(s, action, targets or (s,), roles, scope, guards) for s in sources]


S = Status
A = Action
_ROWS: list[Transition] = [
    # Intake and the centre's first decisions.
    *_t((S.NEW,), A.DISPATCH, (S.DISPATCHED,), frozenset({DISPATCHER})),
    *_t((S.NEW,), A.ANSWER, (S.CLOSED,), frozenset({OPERATOR, DISPATCHER}), guards=("type_allows_direct_answer",)),
    # The unit signs for it, or returns it within the sign-for limit (a reason and the legal basis required).
    *_t((S.DISPATCHED,), A.SIGN, (S.HANDLING,), UNIT, Scope.PRIMARY_UNIT),
    *_t((S.DISPATCHED,), A.RETURN, (S.RETURNED,), UNIT, Scope.PRIMARY_UNIT, guards=("within_sign_limit",)),
    # The dispatcher re-dispatches (改派) to another unit, or sends it back to the same one.
    *_t((S.RETURNED,), A.REVIEW_RETURN, (S.DISPATCHED,), frozenset({DISPATCHER})),
    # Handling: extension requested before the deadline, reviewed by the centre; then the reply.
    *_t(
        (S.HANDLING,),
        A.REQUEST_EXTENSION,
        None,
        UNIT,
        Scope.PRIMARY_UNIT,
        guards=("no_pending_extension", "before_due"),
    ),
    *_t(
        (S.HANDLING,), A.REVIEW_EXTENSION, None, frozenset({DISPATCHER, SUPERVISOR}), guards=("has_pending_extension",)
    ),
    *_t((S.HANDLING,), A.REPLY, (S.REPLIED,), UNIT, Scope.PRIMARY_UNIT),
    # Return visit: resolved and not dissatisfied closes; otherwise it goes back to the unit (重办).
    *_t((S.REPLIED,), A.VISIT, (S.CLOSED, S.HANDLING), frozenset({OPERATOR, DISPATCHER})),
    # A closed order reopens to its unit; a directly answered one goes back to the dispatcher.
    *_t((S.CLOSED,), A.REOPEN, (S.HANDLING, S.NEW), frozenset({DISPATCHER}), guards=("not_merged_child",)),
    # Duplicates: merged into an open master, and closed when the master closes.
    *_t(
        (S.NEW, S.DISPATCHED, S.HANDLING, S.RETURNED),
        A.MERGE,
        (S.MERGED,),
        frozenset({OPERATOR, DISPATCHER}),
        guards=("valid_master", "has_no_children"),
    ),
    *_t((S.MERGED,), A.CLOSE_WITH_MASTER, (S.CLOSED,), frozenset(), Scope.SYSTEM),
    # Supervision: 催办 and 督办 notes on any order still being worked on.
    *_t((S.DISPATCHED, S.HANDLING, S.RETURNED), A.URGE, None, frozenset({SUPERVISOR, DISPATCHER})),
    *_t((S.NEW, S.DISPATCHED, S.HANDLING, S.RETURNED, S.REPLIED), A.SUPERVISE, None, frozenset({SUPERVISOR})),
    # Process notes (办理过程 / 协办意见) by the units involved or the centre.
    *_t(
        (S.DISPATCHED, S.HANDLING, S.REPLIED),
        A.NOTE,
        None,
        UNIT | frozenset({OPERATOR, DISPATCHER}),
        Scope.ASSIGNED_UNIT,
    ),
    # Cancellation (撤销): the operator only before dispatch; the dispatcher while no reply has been given.
    *_t((S.NEW,), A.CANCEL, (S.CANCELLED,), frozenset({OPERATOR, DISPATCHER}), guards=("has_no_open_children",)),
    *_t(
        (S.DISPATCHED, S.HANDLING, S.RETURNED),
        A.CANCEL,
        (S.CANCELLED,),
        frozenset({DISPATCHER}),
        guards=("has_no_open_children",),
    ),
]

TRANSITIONS: dict[tuple[Status, Action], Transition] = {(row.source, row.action): row for row in _ROWS}
assert len(TRANSITIONS) == len(_ROWS), "a (status, action) pair appears twice"

# Actions a person can take through the API and the UI (close-with-master is the platform's own).
PUBLIC_ACTIONS = tuple(a for a in Action if a is not Action.CLOSE_WITH_MASTER)


def transition_for(status: str, action: str) -> Transition | None:
    try:
        return TRANSITIONS.get((Status(status), Action(action)))
    except ValueError:
        return None


def actions_from(status: str) -> list[Action]:
    return [row.action for row in _ROWS if row.source == status]
