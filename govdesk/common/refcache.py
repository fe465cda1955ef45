"""Per-process caches of reference data that every request reads (types, categories, time-limit policies).

Each process keeps a copy for a short time; saving a row through the ORM clears this process's copy at once (see
the apps' `ready()`), other processes pick the change up when their copy expires.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

_registry: list[ReferenceCache[object]] = []


class ReferenceCache(Generic[T]):
    def __init__(self, loader: Callable[[], T], *, seconds: float = 60.0) -> None:
        self._loader = loader
        self._seconds = seconds
        self._lock = threading.Lock()
        self._value: tuple[float, T] | None = None
        _registry.append(self)  # type: ignore[arg-type]

    def get(self) -> T:
        with self._lock:
            if self._value is not None and time.monotonic() - self._value[0] < self._seconds:
                return self._value[1]
        value = self._loader()
        with self._lock:
            self._value = (time.monotonic(), value)
        return value

    def invalidate(self, *args: object, **kwargs: object) -> None:
        with self._lock:
            self._value = None


def reference_caches_invalidate() -> None:
    """Forget every cached copy (tests call this between cases, since rolled-back rows must not linger)."""
    for cache in _registry:
        cache.invalidate()
