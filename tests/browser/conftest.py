"""Browser tests: Playwright's sync API drives Debian's chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django refuses ORM calls from a thread with a running
# loop unless told that this is deliberate. Only the browser tests set it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's chromium is needed for browser tests: {CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def pages_closed(browser: Any) -> Iterator[None]:
    """Close every page a test opened. A page left open (the hall's call display polls every few seconds) keeps
    calling the live server for the rest of the session, from its threads, while other tests run: CPython 3.11's
    ast.parse is not safe beside running threads (gh-106905), and the layer test failed on it."""
    yield
    for context in list(browser.contexts):
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def catalog_defaults(transactional_db: Any) -> None:
    """The request types and time-limit policies the catalogue's data migration creates.

    A live-server test runs in a real transaction and the database is flushed after it, migration data included.
    Serialized rollback did not bring it back for the second browser test when other tests ran first, so the
    migration's own idempotent step is run again instead.
    """
    from importlib import import_module

    from django.apps import apps

    migration = import_module("govdesk.catalog.migrations.0003_default_types_and_policies")
    migration.forwards(apps, None)
