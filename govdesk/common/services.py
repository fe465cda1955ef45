from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import Counter


def counter_next(*, key: str) -> int:
    """The next value of a named sequence; must run inside the caller's transaction.

    The row lock is held until the caller commits, so two concurrent callers never get the same value,
    and a rolled-back caller gives its value back.
    """
    updated = Counter.objects.select_for_update().filter(key=key).first()
    if updated is None:
        try:
            with transaction.atomic():
                Counter.objects.create(key=key, value=0)
        except IntegrityError:
            pass  # another transaction created it first; lock theirs
        updated = Counter.objects.select_for_update().get(key=key)
    updated.value += 1
    updated.save(update_fields=["value"])
    return updated.value
