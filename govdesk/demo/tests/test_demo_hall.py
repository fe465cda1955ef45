"""The demo's service hall: the units the catalogue needed, their matters, and the replayed applications and ratings.

Notice PDFs are stood in for (as in the applications' own state tests): these tests are about the mix of states and
the history's consistency; the notices' content is tested in `govdesk/applications`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from govdesk.applications import notices
from govdesk.applications.models import Application, ApplicationNotice
from govdesk.applications.states import Status
from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import CaseEvent
from govdesk.demo.district import DEPARTMENTS
from govdesk.demo.seed import DEMO_CATALOGUE, demo_district_ensure
from govdesk.evaluations.models import Evaluation, Rectification
from govdesk.matters.models import Matter
from govdesk.matters.transfer import matters_import
from govdesk.org.models import Role, Unit, UnitKind, User
from govdesk.workorders.models import WorkOrder

PASSWORD = "Demo-Passw0rd-2026!"
NEW_UNITS = {
    "LS-YB": "区医疗保障局",
    "LS-GJJ": "吕梁市住房公积金管理中心离石管理部",
    "LS-SWJ": "国家税务总局吕梁市离石区税务局",
    "LS-CL": "区残疾人联合会",
    "LS-TY": "区退役军人事务局",
}
APPLICATIONS, RATINGS = 60, 80


def fake_notice_pdf(*, application: Any, content: notices.NoticeContent) -> bytes:
    return b"%PDF-1.7\n% demo test notice " + content.number.encode() + b"\n%%EOF\n"


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small seed with applications and ratings (packages have their own module), in a transaction rolled back at the
    module's end."""
    out = StringIO()
    previous = os.environ.get("GOVDESK_DEMO_PASSWORD")
    os.environ["GOVDESK_DEMO_PASSWORD"] = PASSWORD
    args = [
        "--orders",
        "120",
        "--applications",
        str(APPLICATIONS),
        "--ratings",
        str(RATINGS),
        "--packages",
        "0",
        "--projects",
        "0",
    ]
    try:
        with (
            django_db_blocker.unblock(),
            transaction.atomic(),
            mock.patch.object(notices, "notice_pdf", fake_notice_pdf),
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


def test_the_new_units_are_departments_that_take_orders_with_a_handler(seeded_db: str) -> None:
    listed = dict(DEPARTMENTS)
    for code, name in NEW_UNITS.items():
        assert listed[code] == name
        unit = Unit.objects.get(code=code)
        assert unit.name == name and unit.kind == UnitKind.DEPARTMENT and unit.accepts_orders
        handler = User.objects.get(username="handler_" + code.removeprefix("LS-").lower())
        assert handler.unit == unit and handler.roles == {Role.HANDLER.value}


@pytest.mark.django_db
def test_the_catalogue_imports_without_errors_and_covers_the_new_units() -> None:
    demo_district_ensure()
    result = matters_import(content=DEMO_CATALOGUE.read_bytes(), filename=DEMO_CATALOGUE.name, commit=True)
    assert result.errors == []
    # Created here, or already by the module's seed (which runs in the same outer transaction when it ran first).
    assert result.created + result.unchanged == result.matters >= 240 and result.changed == 0
    assert Matter.objects.values("unit").distinct().count() >= 20
    for code in NEW_UNITS:
        matters = Matter.objects.filter(unit__code=code).select_related("current_version")
        assert matters.count() >= 5, code
        versions = [m.current_version for m in matters if m.current_version is not None]
        assert all(v.legal_basis and v.fields and v.promised_limit_days <= v.legal_limit_days for v in versions)
    instant = Matter.objects.filter(unit__code__in=NEW_UNITS, current_version__instant=True)
    assert instant.count() >= 5


def test_the_seed_loads_the_catalogue_and_says_what_it_made(seeded_db: str) -> None:
    assert Matter.objects.count() >= 240
    assert f"applications: {APPLICATIONS} created" in seeded_db
    assert "ratings:" in seeded_db and "\n  skipped " not in seeded_db  # no step was refused


def test_applications_are_a_realistic_mix_reached_through_the_services(seeded_db: str) -> None:
    applications = Application.objects.select_related("matter_version")
    assert applications.count() == APPLICATIONS
    statuses = Counter(applications.values_list("status", flat=True))
    assert statuses[Status.CLOSED] > APPLICATIONS / 2, statuses
    for status in (Status.HANDLING, Status.CORRECTION, Status.SUSPENDED, Status.APPROVED, Status.REFUSED):
        assert statuses[status] >= 1, (status, statuses)
    assert set(applications.values_list("channel", flat=True)) == {"window", "online"}
    assert applications.filter(matter_version__instant=True, status=Status.CLOSED).exists()
    assert CaseEvent.objects.filter(case__kind="application", action="resume").exists()
    for application in applications:
        kinds = set(ApplicationNotice.objects.filter(application=application).values_list("kind", flat=True))
        assert ("acceptance" in kinds) == (application.accepted_at is not None), application.number
        assert ("refusal" in kinds) == (application.status == Status.REFUSED)
        if application.status == Status.CLOSED:
            assert application.delivered_at is not None and "result" in kinds
        events = list(application.events.order_by("id").values_list("occurred_at", flat=True))
        assert events == sorted(events)
    online = applications.filter(channel="online")
    assert set(online.values_list("created_by__username", flat=True)) == {"applicant"}


def test_ratings_follow_closes_and_every_bad_one_has_a_rectification(seeded_db: str) -> None:
    rated = Evaluation.objects.exclude(case__kind="rectification").select_related("case")
    assert RATINGS * 0.8 <= rated.count() <= RATINGS
    assert {"workorder", "application"} <= set(rated.values_list("case__kind", flat=True))
    levels = Counter(rated.values_list("level", flat=True))
    # Mostly good, as a hall's ratings are (weights 86 % good, less the showcase's bad ones); the draw depends on the
    # day the seed runs, so the bound leaves room for a small sample's spread (78 ratings gave 69 % good one day).
    assert levels[5] + levels[4] > rated.count() * 0.6 and levels[1] + levels[2] >= 1, levels
    for evaluation in rated:
        # After the case was closed (a work order may be reopened after its rating, and closed again later).
        closes = CaseEvent.objects.filter(case_id=evaluation.case_id, to_status__in=[Status.CLOSED, Status.REFUSED])
        assert closes.filter(occurred_at__lte=evaluation.created_at).exists(), evaluation.pk
        if evaluation.level <= 2:
            assert Rectification.objects.filter(evaluation=evaluation).exists(), evaluation.pk
        else:
            assert not Rectification.objects.filter(evaluation=evaluation).exists()
    assert Rectification.objects.count() == rated.filter(level__lte=2).count()
    statuses = set(Rectification.objects.values_list("status", flat=True))
    assert {"verifying", "rectifying", "appealed"} <= statuses and statuses & {"answered", "closed"}, statuses


def test_the_audit_chain_is_intact_and_in_time_order(seeded_db: str) -> None:
    report = audit_chain_verify()
    assert report.ok, report.reason
    times = list(AuditEvent.objects.order_by("id").values_list("occurred_at", flat=True))
    assert times == sorted(times)


def test_a_second_run_adds_no_applications_or_ratings(seeded_db: str, tmp_path: Path) -> None:
    counts = (WorkOrder.objects.count(), Application.objects.count(), Evaluation.objects.count())
    call_command("seed_demo", "--password-file", str(tmp_path / "pw"), stdout=StringIO())
    assert (WorkOrder.objects.count(), Application.objects.count(), Evaluation.objects.count()) == counts
    assert audit_chain_verify().ok
