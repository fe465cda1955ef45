"""audit_batch: the events appended inside it are chained in one go at its end, in the order they were made, on the
same chain as single appends; dropped with their transaction; nested blocks join the outer one. (A block outside
any transaction is refused; pytest-django runs every test in one, so that is not tested here.)"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from govdesk.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from govdesk.audit.services import audit_append, audit_batch, audit_chain_verify
from govdesk.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _append(n: int, actor: Any = None) -> AuditEvent:
    return audit_append(action=f"test.step{n}", actor=actor, object_type="test", object_id=n, note=f"第{n}步")


def test_a_batch_is_one_chain_with_the_single_appends_around_it() -> None:
    actor = UserFactory(username="clerk")
    _append(0)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries, audit_batch():
            made = [_append(n, actor) for n in range(1, 6)]
            assert AuditEvent.objects.count() == 1  # nothing written before the block ends
            assert all(event.pk is None for event in made)
        # The head's lock and its update once, one insert of the five.
        sqls = [q["sql"] for q in queries.captured_queries]
        assert len([s for s in sqls if "audit_audithead" in s]) == 2
        assert len([s for s in sqls if s.startswith("INSERT") and "audit_auditevent" in s]) == 1
    _append(6)
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == [f"test.step{n}" for n in range(7)]
    assert [e.pk for e in events[1:6]] == [e.pk for e in made]  # the returned events got their ids
    assert events[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    # Each event keeps the moment it was made, not the moment the batch was written.
    assert [e.occurred_at for e in events[1:6]] == [e.occurred_at for e in made]
    head = AuditHead.objects.get(pk=1)
    assert (head.last_hash, head.count) == (events[-1].hash, 7)
    report = audit_chain_verify()
    assert report.ok and report.checked == 7


def test_a_failed_batch_leaves_no_event_and_the_chain_intact() -> None:
    _append(0)

    def fails() -> None:
        with transaction.atomic(), audit_batch():
            _append(1)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fails()
    _append(2)  # a later append is not swallowed by the failed batch
    assert [e.action for e in AuditEvent.objects.order_by("id")] == ["test.step0", "test.step2"]
    assert audit_chain_verify().ok


def test_nested_batches_are_written_once_by_the_outermost() -> None:
    with transaction.atomic(), audit_batch():
        _append(1)
        with audit_batch():
            _append(2)
        assert AuditEvent.objects.count() == 0
        _append(3)
    assert [e.action for e in AuditEvent.objects.order_by("id")] == ["test.step1", "test.step2", "test.step3"]
    assert audit_chain_verify().ok
