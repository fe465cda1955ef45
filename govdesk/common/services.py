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
