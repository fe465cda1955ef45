"""A knowledge article's revision's (知识修订) lifecycle, as a table. Pure Python: no ORM, no Django.

`TRANSITIONS[(status, action)]` says where an action leads from a status and who may take it: the article's
responsible unit's handlers and administrators write the draft and submit it (`UNIT`); the 12345 centre's dispatchers
and supervisors return or publish it (`CENTRE`); either may discard a draft. A pair not in the table is not possible
in that status (HTTP 409); a role or unit failure is 403/404.

draft → (save) draft → (submit) submitted → (return) returned → (save/submit) … → (publish) published (closed);
draft/returned → (discard) discarded (closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"  # 草稿: the unit writes it (new, edit, expiry review, or a seeded draft to check)
    SUBMITTED = "submitted"  # 待审核: waiting for the centre
    RETURNED = "returned"  # 已退回: the centre sent it back with a note; the unit corrects it
    PUBLISHED = "published"  # 已发布: became the article's next version (closed)
    DISCARDED = "discarded"  # 已废弃: dropped, nothing published (closed)


OPEN_STATUSES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.RETURNED})
# The unit owes the work in these: they are the ones urged, escalated and flagged overdue after the deadline.
UNIT_OWES_STATUSES = (Status.DRAFT, Status.RETURNED)


class Action(StrEnum):
    SAVE = "save"
    SUBMIT = "submit"
    RETURN = "return"
    PUBLISH = "publish"
    DISCARD = "discard"


class Actor(StrEnum):
    UNIT = "unit"  # a handler or unit administrator of the article's responsible unit
    CENTRE = "centre"  # a dispatcher or supervisor of the 12345 centre


@dataclass(frozen=True)
class Transition:
    source: Status
    action: Action
    target: Status
    actors: frozenset[Actor]

    @property
    def actor(self) -> Actor:
        """The one actor of a row that has one (every row but discard)."""
        return next(iter(sorted(self.actors)))


S = Status
A = Action
UNIT = frozenset({Actor.UNIT})
CENTRE = frozenset({Actor.CENTRE})
_ROWS: list[Transition] = [
    Transition(S.DRAFT, A.SAVE, S.DRAFT, UNIT),
    # A returned draft stays "returned" while the unit corrects it: the centre's note stays in front of both.
    Transition(S.RETURNED, A.SAVE, S.RETURNED, UNIT),
    Transition(S.DRAFT, A.SUBMIT, S.SUBMITTED, UNIT),
    Transition(S.RETURNED, A.SUBMIT, S.SUBMITTED, UNIT),
    Transition(S.SUBMITTED, A.RETURN, S.RETURNED, CENTRE),
    Transition(S.SUBMITTED, A.PUBLISH, S.PUBLISHED, CENTRE),
    # The centre may drop a draft too: a seeded draft nobody should answer from, or a unit that left it.
    Transition(S.DRAFT, A.DISCARD, S.DISCARDED, UNIT | CENTRE),
    Transition(S.RETURNED, A.DISCARD, S.DISCARDED, UNIT | CENTRE),
]

TRANSITIONS: dict[tuple[Status, Action], Transition] = {(row.source, row.action): row for row in _ROWS}
assert len(TRANSITIONS) == len(_ROWS), "a (status, action) pair appears twice"


def transition_for(status: str, action: str) -> Transition | None:
    try:
        return TRANSITIONS.get((Status(status), Action(action)))
    except ValueError:
        return None


def actions_from(status: str, actor: Actor) -> list[Action]:
    return [row.action for row in _ROWS if row.source == status and actor in row.actors]
