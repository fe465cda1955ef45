from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are matched in English here (one test checks the Chinese ones explicitly), whatever language an
    earlier test's request left active or the site's default is."""
    with translation.override("en"):
        yield
