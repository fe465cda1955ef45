"""The stage table and the rules that follow from stage statuses (pure functions)."""

from __future__ import annotations

import pytest

from govdesk.projects import models
from govdesk.projects.states import (
    TRANSITIONS,
    StageClock,
    StageEvent,
    StageStatus,
    StageView,
    joint_outcome,
    project_at_risk,
    project_days,
    stage_next,
    stage_outcome,
    stages_to_open,
)

S, E = StageStatus, StageEvent


def test_the_statuses_are_the_models() -> None:
    assert set(StageStatus) == set(models.StageStatus.values)


@pytest.mark.parametrize(
    ("status", "event", "target"),
    [
        (S.LOCKED, E.OPEN, S.OPEN),
        (S.OPEN, E.APPLY, S.UNDER_WAY),
        (S.NOT_PASSED, E.APPLY, S.UNDER_WAY),
        (S.UNDER_WAY, E.PASS, S.DONE),
        (S.UNDER_WAY, E.FAIL, S.NOT_PASSED),
    ],
)
def test_the_table_allows(status: StageStatus, event: StageEvent, target: StageStatus) -> None:
    assert stage_next(status, event) is target


def test_everything_else_is_not_possible() -> None:
    allowed = set(TRANSITIONS)
    refused = [(s, e) for s in S for e in E if (s, e) not in allowed]
    assert len(refused) == len(S) * len(E) - 5
    assert all(stage_next(s, e) is None for s, e in refused)
    assert stage_next(S.LOCKED, E.APPLY) is None  # applied for before the stage before is done
    assert stage_next(S.DONE, E.APPLY) is None
    assert stage_next("nonsense", "apply") is None


def views(*statuses: str, parallel: tuple[int, ...] = ()) -> list[StageView]:
    return [StageView(no=n, status=s, opens_with_previous=n in parallel) for n, s in enumerate(statuses, start=1)]


def test_the_first_stage_opens_and_the_next_when_every_earlier_one_is_done() -> None:
    assert stages_to_open(views("locked", "locked", "locked")) == [1]
    assert stages_to_open(views("done", "locked", "locked")) == [2]
    assert stages_to_open(views("under_way", "locked")) == []
    assert stages_to_open(views("not_passed", "locked")) == []
    assert stages_to_open(views("done", "done", "done")) == []


def test_parallel_stages_open_with_the_one_before_transitively() -> None:
    assert stages_to_open(views("locked", "locked", "locked", parallel=(2, 3))) == [1, 2, 3]
    assert stages_to_open(views("done", "locked", "locked", "locked", parallel=(3,))) == [2, 3]
    # A stage after a parallel pair waits for both.
    assert stages_to_open(views("done", "done", "under_way", "locked", parallel=(3,))) == []
    assert stages_to_open(views("done", "done", "done", "locked", parallel=(3,))) == [4]


@pytest.mark.parametrize(
    ("parts", "outcome"),
    [
        ([("approved", True), ("approved", True)], E.PASS),
        ([("approved", True), ("closed", True)], E.PASS),
        ([("approved", True), ("closed", False)], E.FAIL),
        ([("approved", True), ("denied", False)], E.FAIL),
        ([("cancelled", False), ("denied", False)], E.FAIL),
        ([("refused", False), ("approved", True)], E.FAIL),
        ([("approved", True), ("handling", False)], None),
        ([("denied", False), ("waiting", False)], None),
        ([("suspended", False)], None),
        ([], None),
    ],
)
def test_the_stage_outcome_waits_for_every_part(parts: list[tuple[str, bool]], outcome: StageEvent | None) -> None:
    assert stage_outcome(parts) is outcome


def test_the_joint_outcome_fails_at_the_first_denial() -> None:
    assert joint_outcome([("denied", False), ("handling", False)]) is E.FAIL
    assert joint_outcome([("approved", True), ("handling", False)]) is None
    assert joint_outcome([("approved", True), ("closed", True)]) is E.PASS
    assert joint_outcome([]) is None


def clock(limit: int, elapsed: int, *, running: bool = False, done: bool = False, beside: bool = False) -> StageClock:
    return StageClock(limit_days=limit, elapsed_days=elapsed, running=running, done=done, with_previous=beside)


def test_at_risk_past_80_percent_of_a_running_stage() -> None:
    assert not project_at_risk([clock(10, 8, running=True), clock(10, 0)], 40)
    assert project_at_risk([clock(10, 9, running=True), clock(10, 0)], 40)
    # A stage done late is history: only what is left is projected.
    assert not project_at_risk([clock(10, 12, done=True), clock(10, 0)], 40)


def test_at_risk_when_used_and_remaining_limits_exceed_the_total() -> None:
    assert not project_at_risk([clock(10, 5, done=True), clock(10, 0), clock(10, 0)], 25)
    assert project_at_risk([clock(10, 7, done=True), clock(10, 0), clock(10, 0)], 26)
    assert project_at_risk([clock(10, 0), clock(10, 0)], 19)
    assert not project_at_risk([clock(10, 0), clock(10, 0)], 20)


def test_stages_side_by_side_count_their_longest_once() -> None:
    side_by_side = [clock(10, 6, done=True), clock(8, 3, running=True, beside=True), clock(10, 0)]
    assert project_days(side_by_side) == (6, 5 + 10)
    assert not project_at_risk(side_by_side, 21)
    assert project_at_risk(side_by_side, 20)
    assert project_days([clock(10, 4, done=True), clock(10, 7, done=True)]) == (11, 0)
