"""One lock order for a package and its parts: package → part, whichever service acts (the package's delivery, or a
clerk acting on one part, whose application services lock the package first through the applications' lock-first
hook). With the opposite orders the two deadlocked on PostgreSQL."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govdesk.applications import services as application_services
from govdesk.common.errors import InvalidTransition
from govdesk.packages import case_services
from govdesk.packages.models import PackageApplication, PackagePart
from govdesk.packages.tests.case_factories import (
    CARD,
    CERTIFICATE,
    REGISTRATION,
    FakePdf,
    accepted_package,
    birth,
    fake_pdfs,
    fresh,
)

__all__ = ["birth", "fake_pdfs"]  # fixtures


def _decided_package(birth: SimpleNamespace) -> PackageApplication:
    package_application = accepted_package(birth)
    for code in (CERTIFICATE, REGISTRATION, CARD):
        part = PackagePart.objects.select_related("application").get(
            package_application=package_application, matter__code=code
        )
        assert part.application is not None
        application_services.application_approve(application=part.application.number, actor=birth.deciders[code])
    assert fresh(package_application).status == "decided"
    return package_application


def _first(queries: list[dict[str, Any]], table: str) -> int:
    return next(i for i, query in enumerate(queries) if f'FROM "{table}"' in query["sql"])


@pytest.mark.django_db
def test_a_clerk_delivering_one_part_locks_the_package_before_the_part(
    birth: SimpleNamespace, fake_pdfs: FakePdf
) -> None:
    package_application = _decided_package(birth)
    part = PackagePart.objects.select_related("application").get(
        package_application=package_application, matter__code=CARD
    )
    assert part.application is not None
    with CaptureQueriesContext(connection) as captured:
        application_services.application_deliver(application=part.application.number, actor=birth.clerk)
    queries = captured.captured_queries
    assert _first(queries, "packages_packageapplication") < _first(queries, "applications_application")
    if connection.features.has_select_for_update:
        package_lock = queries[_first(queries, "packages_packageapplication")]["sql"]
        assert "FOR UPDATE" in package_lock


@pytest.mark.django_db
def test_an_application_of_no_package_takes_no_package_lock(people: SimpleNamespace) -> None:
    with CaptureQueriesContext(connection) as captured:
        case_services.package_lock_for_part("NO-SUCH-NUMBER")
    assert not any('FROM "packages_packageapplication"' in q["sql"] for q in captured.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_delivering_the_package_and_one_part_at_once_does_not_deadlock(
    birth: SimpleNamespace, fake_pdfs: FakePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: the two-thread deadlock test needs PostgreSQL (DATABASE_URL)")
    package_application = _decided_package(birth)
    part = PackagePart.objects.select_related("application").get(
        package_application=package_application, matter__code=CARD
    )
    assert part.application is not None
    part_number = part.application.number
    clerk_started = threading.Event()
    errors: list[BaseException] = []
    original = case_services.application_deliver

    def delivering_part_by_part(**kwargs: Any) -> Any:
        # The package is locked now; let the clerk's own delivery of a part reach its locks before the package's
        # delivery locks that part (the interleaving that deadlocked when the clerk's path took part → package).
        clerk_started.wait(timeout=10)
        time.sleep(0.5)
        return original(**kwargs)

    def deliver_package() -> None:
        try:
            case_services.package_deliver(package_application=package_application.number, actor=birth.clerk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    def deliver_part() -> None:
        try:
            clerk_started.set()
            application_services.application_deliver(application=part_number, actor=birth.clerk)
        except InvalidTransition:
            pass  # the package's delivery came first and delivered this part: a 409, not a deadlock
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    monkeypatch.setattr(case_services, "application_deliver", delivering_part_by_part)
    package_thread = threading.Thread(target=deliver_package)
    part_thread = threading.Thread(target=deliver_part)
    package_thread.start()
    time.sleep(0.2)  # the package's delivery holds the package's lock first
    part_thread.start()
    package_thread.join(timeout=60)
    part_thread.join(timeout=60)
    assert not package_thread.is_alive() and not part_thread.is_alive(), "a delivery hung"
    assert errors == []
    assert fresh(package_application).status == "closed"
