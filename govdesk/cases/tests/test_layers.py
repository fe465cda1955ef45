"""The layers (docs/architecture.md, "Layers"): an app imports only apps of its own layer or below.

Parses every module of every app (ast, nothing is imported), so a lazy import inside a function counts as much as
one at the top. The apps above hear what happens below through case events and `workorders.hooks`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]

# Bottom to top. Apps on one line are one layer: they may import each other; nothing imports a higher line.
LAYERS: list[tuple[str, ...]] = [
    ("common",),
    # Audit records its actors through settings.AUTH_USER_MODEL; org writes audit events for account changes.
    ("audit",),
    ("org",),
    # Security (API tokens, two-factor) reacts to org's accounts: org never imports it.
    ("security", "calendar"),
    # Ledgers (台账) are records kept by units: they know units and the audit trail, nothing of the cases.
    ("catalog", "ledgers"),
    ("matters",),
    ("cases",),
    # A unit's periodic report (填报) into a ledger is a case: deadline, timeline, urging.
    ("workorders", "applications", "reporting"),
    # A package application is a parent case whose parts are applications.
    ("packages",),
    # The permit registry issues a permit for every approval; construction projects sit on packages and permits.
    ("permits",),
    ("projects",),
    ("dispatch", "open311", "knowledge", "stats", "supervision", "evaluations", "assessment", "reports", "ops"),
    # The annual work review reads the ledgers and every case type's records.
    ("review",),
    ("web", "demo"),
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}

# Tests that drive a lower app through real work orders or the demo data, and need nothing else from above.
TEST_IMPORTS_ALLOWED: dict[str, set[str]] = {
    "common": {"workorders"},  # the error handlers, answered by a real API view
    "audit": {"org", "workorders"},  # the chain over users' and a work order's events
    "cases": {"workorders"},  # attachments and the deadline sweep over work orders
    "workorders": {"open311"},  # Open311 submissions are work orders
    "open311": {"demo"},  # the demo's Open311 client key
    "matters": {"demo"},  # the demo catalogue is imported over the demo district's units
    "packages": {"demo"},  # the demo packages are imported over the demo district's units and catalogue
    "projects": {"demo"},  # the demo project types are imported over the demo district's packages
}


def _apps() -> list[str]:
    return sorted(p.parent.name for p in PACKAGE.glob("*/apps.py"))


def _imported_apps(source: str, module: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, app) of every `govdesk.<app>` import in the source of `module` (its dotted parts), relative imports
    resolved against it."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module[: len(module) - node.level]
                names = [".".join([*base, node.module] if node.module else base)]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "govdesk" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def test_every_app_has_a_layer() -> None:
    missing = [app for app in _apps() if app not in RANK]
    assert missing == [], f"place these apps in LAYERS (govdesk/cases/tests/test_layers.py): {missing}"


def test_no_app_imports_an_app_above_it() -> None:
    wrong: list[str] = []
    for app in _apps():
        if app not in RANK:
            continue
        for path in sorted((PACKAGE / app).rglob("*.py")):
            in_tests = "tests" in path.relative_to(PACKAGE / app).parts
            module = path.relative_to(PACKAGE.parent).with_suffix("").parts
            for line, imported in _imported_apps(path.read_text(encoding="utf-8"), module):
                if imported not in RANK or RANK[imported] <= RANK[app]:
                    continue
                if in_tests and imported in TEST_IMPORTS_ALLOWED.get(app, set()):
                    continue
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports govdesk.{imported}")
    assert wrong == [], "lower layers must not import higher ones (docs/architecture.md):\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from govdesk.dispatch import tasks", ["dispatch"]),
        ("def f():\n    import govdesk.supervision.services", ["supervision"]),
        ("from ..dispatch.duplicates import duplicate_signature_add", ["dispatch"]),
        ("from .models import WorkOrder", ["workorders"]),
        ("import django.db", []),
    ],
)
def test_the_import_reader_sees_lazy_and_relative_imports(source: str, expected: list[str]) -> None:
    module = ("govdesk", "workorders", "services")
    assert [app for _line, app in _imported_apps(source, module)] == expected
