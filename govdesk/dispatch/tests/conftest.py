"""Fixtures of smart dispatch's tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage


@pytest.fixture
def queue() -> Iterator[Any]:
    """A real (in-memory) queue instead of immediate mode, restored afterwards.

    Not through the `immediate` setter: switching it off would open the configured SQLite queue file.
    """
    saved = HUEY._immediate, HUEY.storage
    HUEY._immediate = False
    HUEY.storage = MemoryStorage(HUEY.name)
    try:
        yield HUEY
    finally:
        HUEY._immediate, HUEY.storage = saved
