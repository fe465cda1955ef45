"""The current time, in one place.

Services read the time from here so that `seed_demo` can replay a district's history at the moments it
happened. Tests freeze time with time-machine, which this follows because it calls `timezone.now()`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

_local = threading.local()


def now() -> datetime:
    fixed: datetime | None = getattr(_local, "fixed", None)
    return fixed if fixed is not None else timezone.now()


@contextlib.contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (this thread only)."""
    if timezone.is_naive(moment):
        raise ValueError("clock.at needs an aware datetime")
    previous = getattr(_local, "fixed", None)
    _local.fixed = moment
    try:
        yield
    finally:
        _local.fixed = previous
