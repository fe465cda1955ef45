"""Named sequences: `counter_next` inside the caller's transaction (gap-free), `counter_take` committed at once where
that spares the caller's transaction the lock (PostgreSQL, outside a transaction)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from govdesk.common.models import Counter
from govdesk.common.services import counter_next, counter_take


def _failing_caller(take: bool) -> None:
    with transaction.atomic():
        if take:
            counter_next(key="t")
        raise RuntimeError("the caller failed")


@pytest.mark.django_db
def test_a_rolled_back_caller_gives_its_value_back() -> None:
    assert counter_next(key="t") == 1
    with pytest.raises(RuntimeError):
        _failing_caller(take=True)
    assert counter_next(key="t") == 2


@pytest.mark.django_db
def test_inside_a_transaction_nothing_is_taken_early() -> None:
    assert counter_take(key="t") is None
    assert not Counter.objects.filter(key="t").exists()


# serialized_rollback: the flush after a plain transactional test re-runs post_migrate, whose rows would collide
# with those a later serialized_rollback test (ops' backups) restores; this restores the migrations' rows itself.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_the_value_is_taken_and_kept() -> None:
    taken = counter_take(key="t")
    if connection.vendor != "postgresql":
        assert taken is None  # SQLite's writers take turns anyway: the caller takes it in its transaction
        return
    assert taken == 1
    # Committed at once: a caller failing afterwards does not give it back, and it is never given out again.
    with pytest.raises(RuntimeError):
        _failing_caller(take=False)
    assert counter_take(key="t") == 2
    assert Counter.objects.get(key="t").value == 2
