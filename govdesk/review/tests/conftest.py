from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def world(district: SimpleNamespace, people: SimpleNamespace, categories: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(district=district, people=people, categories=categories)
