"""`case_events_coalesced`: a coalescing listener hears each case once, at the end of the block, with its last
event; other listeners hear every event as it happens; outside a block nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from govdesk.cases import services
from govdesk.cases.models import Case, CaseEvent, CaseKind
from govdesk.common import clock

pytestmark = pytest.mark.django_db


def _case(number: str) -> Case:
    now = clock.now()
    return Case.objects.create(
        kind=CaseKind.WORKORDER, number=number, status="new", title=number, created_at=now, updated_at=now
    )


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple[str, str]]]:
    log: dict[str, list[tuple[str, str]]] = {"each": [], "once": []}

    def each(case: Case, event: CaseEvent) -> None:
        log["each"].append((case.number, event.action))

    def once(case: Case, event: CaseEvent) -> None:
        log["once"].append((case.number, event.action))

    monkeypatch.setattr(services, "CASE_EVENT_LISTENERS", [])
    monkeypatch.setattr(services, "_COALESCING", set())
    services.case_event_listener_add(each)
    services.case_event_listener_add(once, coalesce=True)
    return log


def _record(case: Case, action: str) -> None:
    services.case_event_record(case=case, action=action, actor=None)


def test_a_coalescing_listener_hears_each_case_once_with_its_last_event(heard: dict[str, Any]) -> None:
    a, b = _case("A1"), _case("B1")
    with transaction.atomic(), services.case_events_coalesced():
        _record(a, "register")
        _record(b, "register")
        _record(a, "accept")
        with services.case_events_coalesced():  # nested: joins the outer block
            _record(b, "accept")
        assert heard["once"] == []
    assert heard["each"] == [("A1", "register"), ("B1", "register"), ("A1", "accept"), ("B1", "accept")]
    assert heard["once"] == [("A1", "accept"), ("B1", "accept")]


def test_outside_a_block_every_listener_hears_every_event(heard: dict[str, Any]) -> None:
    a = _case("A2")
    with transaction.atomic():
        _record(a, "register")
        _record(a, "accept")
    assert heard["once"] == heard["each"] == [("A2", "register"), ("A2", "accept")]


def test_a_block_that_raises_is_not_heard(heard: dict[str, Any]) -> None:
    a = _case("A3")

    def fails() -> None:
        with transaction.atomic(), services.case_events_coalesced():
            _record(a, "register")
            raise LookupError("the action failed")

    with pytest.raises(LookupError, match="the action failed"):
        fails()
    assert heard["once"] == []
    assert heard["each"] == [("A3", "register")]
