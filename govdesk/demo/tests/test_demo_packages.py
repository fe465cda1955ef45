"""The demo's package applications (一件事): replayed through the package services, in every status, their parts
decided by their own units' handlers, delivered once, some rated; the audit chain intact after all of it.

Notice PDFs are stood in for (as in test_demo_hall.py): the notices' content is tested in `govdesk/packages`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from govdesk.applications import notices as application_notices
from govdesk.applications.states import Status as ApplicationStatus
from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import CaseEvent
from govdesk.demo.packages import POPULAR, SHOWCASE
from govdesk.evaluations.models import Evaluation
from govdesk.packages import notices as package_notices
from govdesk.packages.models import PackageApplication, PackageNotice, PackagePart, PartState
from govdesk.packages.states import Status

PASSWORD = "Demo-Passw0rd-2026!"
PACKAGES = 40


def fake_pdf(**kwargs: Any) -> bytes:
    return b"%PDF-1.7\n% demo test notice " + kwargs["content"].number.encode() + b"\n%%EOF\n"


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small seed with package applications (and a few ratings), in a transaction rolled back at the module's end."""
    out = StringIO()
    previous = os.environ.get("GOVDESK_DEMO_PASSWORD")
    os.environ["GOVDESK_DEMO_PASSWORD"] = PASSWORD
    args = ["--orders", "20", "--applications", "0", "--ratings", "10", "--packages", str(PACKAGES), "--projects", "0"]
    try:
        with (
            django_db_blocker.unblock(),
            transaction.atomic(),
            mock.patch.object(application_notices, "notice_pdf", fake_pdf),
            mock.patch.object(package_notices, "notice_pdf", fake_pdf),
        ):
            password_file = tmp_path_factory.mktemp("demo") / "pw"
            call_command("seed_demo", *args, "--password-file", str(password_file), stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)
    finally:
        if previous is None:
            os.environ.pop("GOVDESK_DEMO_PASSWORD", None)
        else:
            os.environ["GOVDESK_DEMO_PASSWORD"] = previous


@pytest.fixture
def seeded_db(seeded: str, db: Any) -> str:
    return seeded


def test_every_planned_package_application_was_made_and_no_step_refused(seeded_db: str) -> None:
    assert f"package applications: {PACKAGES} created" in seeded_db
    assert "\n  skipped " not in seeded_db, seeded_db
    assert PackageApplication.objects.count() == PACKAGES
    names = set(PackageApplication.objects.values_list("package__name", flat=True))
    assert names <= set(POPULAR) and len(names) >= 5, names


def test_package_applications_are_in_every_status_and_came_through_both_channels(seeded_db: str) -> None:
    packages = PackageApplication.objects.all()
    statuses = Counter(packages.values_list("status", flat=True))
    assert set(statuses) == {s.value for s in Status}, statuses
    assert statuses[Status.CLOSED] > PACKAGES / 3, statuses
    assert set(packages.values_list("channel", flat=True)) == {"window", "online"}
    assert set(packages.filter(channel="online").values_list("created_by__username", flat=True)) == {"applicant"}
    assert set(packages.filter(channel="window").values_list("created_by__username", flat=True)) == {"clerk"}
    # Told once what was missing, then supplemented and accepted.
    corrected = CaseEvent.objects.filter(case__kind="package", action="request-correction").values("case_id")
    assert packages.filter(pk__in=corrected, accepted_at__isnull=False).exists()
    # The showcase: the most recent ones, each left where the demo can show it.
    assert len(SHOWCASE) == 6
    waiting = PackagePart.objects.filter(state=PartState.WAITING, package_application__status=Status.HANDLING)
    assert waiting.exists(), "a part waiting for another part's result"
    assert PackagePart.objects.filter(
        application__status=ApplicationStatus.SUSPENDED, package_application__status=Status.HANDLING
    ).exists()


def test_parts_are_decided_by_their_own_units_handlers(seeded_db: str) -> None:
    parts = PackagePart.objects.exclude(application=None).select_related("application__primary_unit")
    applications = [part.application for part in parts if part.application is not None]
    units = {a.primary_unit.code for a in applications if a.primary_unit is not None}
    assert len(units) >= 6, units
    part_statuses = set(parts.values_list("application__status", flat=True))
    assert {ApplicationStatus.CLOSED, ApplicationStatus.HANDLING} <= part_statuses, part_statuses
    decisions = CaseEvent.objects.filter(
        case__application__package_part__isnull=False,
        action__in=["approve", "deny", "suspend", "resume"],
    ).select_related("actor__unit", "case__primary_unit")
    # Many parts of the popular packages are 即办件, approved as they open (by the accepting clerk's acceptance).
    assert decisions.filter(action="approve").count() >= PACKAGES / 2
    assert decisions.filter(action="resume").exists()
    for event in decisions:
        assert event.actor is not None and event.actor.unit == event.case.primary_unit, event.pk
        assert event.actor.roles == {"handler"}


def test_closed_packages_have_one_result_and_every_part_delivered(seeded_db: str) -> None:
    closed = PackageApplication.objects.filter(status=Status.CLOSED)
    assert closed.exists()
    for package in closed:
        assert package.delivered_at is not None and package.accepted_at is not None
        assert PackageNotice.objects.filter(package_application=package, kind="result").count() == 1
        for part in package.parts.select_related("application"):
            if part.application is None:
                assert part.state == PartState.CANCELLED
                continue
            assert part.application.status == ApplicationStatus.CLOSED, (package.number, part.matter_id)
            assert part.application.accepted_at is not None
            assert part.application.accepted_at >= package.accepted_at
            assert part.application.delivered_at == package.delivered_at
    decided = PackageApplication.objects.filter(status=Status.DECIDED)
    assert all(p.decided_at is not None and p.delivered_at is None for p in decided)


def test_histories_are_in_time_order_and_some_packages_are_rated(seeded_db: str) -> None:
    for package in PackageApplication.objects.all():
        times = list(package.events.order_by("id").values_list("occurred_at", flat=True))
        assert times == sorted(times), package.number
    rated = Evaluation.objects.filter(case__kind="package").select_related("case")
    assert rated.exists()
    for evaluation in rated:
        assert evaluation.case.status == Status.CLOSED and evaluation.level >= 3
        delivered_at = PackageApplication.objects.get(pk=evaluation.case_id).delivered_at
        assert delivered_at is not None and evaluation.created_at >= delivered_at


def test_the_audit_chain_is_intact_and_in_time_order(seeded_db: str) -> None:
    report = audit_chain_verify()
    assert report.ok, report.reason
    times = list(AuditEvent.objects.order_by("id").values_list("occurred_at", flat=True))
    assert times == sorted(times)
