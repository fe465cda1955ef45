"""A construction project's stages, as a table, and the rules that follow from their statuses. Pure Python: no ORM,
no Django.

`TRANSITIONS[(status, event)]` says where a stage goes when something happens to it. A stage is `locked` until the
stage before it is done (or, where the flow says `opens_with_previous`, until the stage before it opens); `open`, it
is applied for (its package application submitted) and is `under_way`; the package's decision makes it `done` (every
part approved) or `not_passed` (a part denied, cancelled or refused, or the package refused), and a stage not passed
is applied for again. A pair not in the table is not possible (HTTP 409).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class StageStatus(StrEnum):
    """The same values as `models.StageStatus` (a test keeps them in step)."""

    LOCKED = "locked"
    OPEN = "open"
    UNDER_WAY = "under_way"
    NOT_PASSED = "not_passed"
    DONE = "done"


class StageEvent(StrEnum):
    OPEN = "open"  # the stage before is done (or opened, for a stage that opens with it)
    APPLY = "apply"  # its package application was submitted
    PASS = "pass"  # noqa: S105 (not a password) its package application was decided with every part approved
    FAIL = "fail"  # a part was not approved, or the package was refused


S = StageStatus
E = StageEvent
TRANSITIONS: dict[tuple[StageStatus, StageEvent], StageStatus] = {
    (S.LOCKED, E.OPEN): S.OPEN,
    (S.OPEN, E.APPLY): S.UNDER_WAY,
    (S.NOT_PASSED, E.APPLY): S.UNDER_WAY,
    (S.UNDER_WAY, E.PASS): S.DONE,
    (S.UNDER_WAY, E.FAIL): S.NOT_PASSED,
}


def stage_next(status: str, event: str) -> StageStatus | None:
    """Where `event` takes a stage in `status`, or None when it is not possible."""
    try:
        return TRANSITIONS.get((StageStatus(status), StageEvent(event)))
    except ValueError:
        return None


@dataclass(frozen=True)
class StageView:
    """What the opening rule needs of a stage."""

    no: int
    status: str
    opens_with_previous: bool = False


def stages_to_open(stages: Sequence[StageView]) -> list[int]:
    """The locked stages that open now: those whose every earlier stage is done, and those that open with the stage
    before them once that one is no longer locked (transitively: a chain of parallel stages opens together)."""
    ordered = sorted(stages, key=lambda s: s.no)
    status = {s.no: s.status for s in ordered}
    opened: list[int] = []
    changed = True
    while changed:
        changed = False
        for position, stage in enumerate(ordered):
            if status[stage.no] != S.LOCKED:
                continue
            before = ordered[:position]
            all_done = all(status[b.no] == S.DONE for b in before)
            with_previous = stage.opens_with_previous and bool(before) and status[before[-1].no] != S.LOCKED
            if all_done or with_previous:
                status[stage.no] = S.OPEN
                opened.append(stage.no)
                changed = True
    return sorted(opened)


# --- the outcome of a stage's package -----------------------------------------------------------------------------

# A part's state as packages report it (packages.case_services.package_part_state): "waiting", "cancelled" or its
# application's status. A closed part counts by its decision (`approved_closed`).
_PENDING = frozenset({"waiting", "submitted", "correction", "handling", "suspended"})


def stage_outcome(part_states: Iterable[tuple[str, bool]]) -> StageEvent | None:
    """PASS when every part is approved, FAIL when every part is decided and one is not approved, None while a
    part is pending. `part_states`: (state, approved) pairs, `approved` telling a closed part's decision."""
    states = list(part_states)
    if not states or any(state in _PENDING for state, _approved in states):
        return None
    if all(state == "approved" or (state == "closed" and approved) for state, approved in states):
        return E.PASS
    return E.FAIL


def joint_outcome(part_states: Iterable[tuple[str, bool]]) -> StageEvent | None:
    """The joint acceptance's result from its parts' states: FAIL as soon as one unit's inspection is not approved
    (the acceptance cannot pass any more), PASS when every one is approved, None while any is pending."""
    states = list(part_states)
    if not states:
        return None
    failed = [state for state, approved in states if state not in _PENDING and not (state == "approved" or approved)]
    if failed:
        return E.FAIL
    if any(state in _PENDING for state, _approved in states):
        return None
    return E.PASS


# --- the clocks ---------------------------------------------------------------------------------------------------

AT_RISK_SHARE = 0.8  # an open stage past this share of its limit is at risk


@dataclass(frozen=True)
class StageClock:
    limit_days: int
    elapsed_days: int  # working days used so far (government time only); 0 before acceptance
    running: bool  # accepted and not decided
    done: bool
    with_previous: bool = False  # runs beside the stage before it (opens_with_previous)


def _groups(stages: Sequence[StageClock]) -> list[list[StageClock]]:
    """Stages that run side by side (each opening with the one before) form one group: the project's clock counts
    a group's longest stage, not the sum of stages that ran at the same time."""
    groups: list[list[StageClock]] = []
    for stage in stages:
        if stage.with_previous and groups:
            groups[-1].append(stage)
        else:
            groups.append([stage])
    return groups


def project_days(stages: Sequence[StageClock]) -> tuple[int, int]:
    """(working days used, working days the stages not done may still use): per group of side-by-side stages the
    longest, in order."""
    used = remaining = 0
    for group in _groups(stages):
        used += max(stage.elapsed_days for stage in group)
        remaining += max((max(s.limit_days - s.elapsed_days, 0) for s in group if not s.done), default=0)
    return used, remaining


def project_at_risk(stages: Sequence[StageClock], total_limit_days: int) -> bool:
    """At risk: a running stage has used more than 80% of its limit, or the working days used plus what the stages
    not finished may still use (their limits; a running stage's remainder) exceed the project's total limit."""
    for stage in stages:
        if stage.running and stage.elapsed_days > AT_RISK_SHARE * stage.limit_days:
            return True
    used, remaining = project_days(stages)
    return used + remaining > total_limit_days
