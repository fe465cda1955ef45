from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from .models import Counter


def counter_next(*, key: str) -> int:
    """The next value of a named sequence; must run inside the caller's transaction.

    The row lock is held until the caller commits, so two concurrent callers never get the same value,
    and a rolled-back caller gives its value back.
    """
    q = connection.ops.quote_name
    # One statement that both locks and increments (PostgreSQL and SQLite >= 3.35 both support RETURNING).
    sql = (
        f"UPDATE {q(Counter._meta.db_table)} SET {q('value')} = {q('value')} + 1 "  # noqa: S608 (names are ours)
        f"WHERE {q('key')} = %s RETURNING {q('value')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    Counter.objects.create(key=key, value=0)
            except IntegrityError:
                pass  # another transaction created it first; wait for its lock below
            cursor.execute(sql, [key])
            row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def counter_take(*, key: str) -> int | None:
    """The next value of a named sequence, taken and committed at once, where that helps: on PostgreSQL, outside any
    transaction. The row lock is then held for one statement instead of until the caller's transaction commits, so
    callers no longer queue behind each other's whole transactions. The price: a caller that fails afterwards (a
    crash, a lost connection) leaves its value unused; it is never given out again. None elsewhere (SQLite, whose
    writers take turns anyway; or inside a transaction, whose rollback must give the value back): take it with
    `counter_next` inside the transaction, gap-free."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    with transaction.atomic():
        # No wait for the disk: the caller's own commit, later in the same write-ahead log, makes this one durable
        # with it; if the server crashes before that, no record holds the value and giving it out again is harmless.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        return counter_next(key=key)
