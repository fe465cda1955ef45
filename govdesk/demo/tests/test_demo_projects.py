"""The demo's year of construction projects: 43 of every type, made through the projects' and packages' services,
standing at every stage (completed ones with their joint acceptance's one result, stages not passed and applied for
again, projects at risk), each part decided by its own unit; the audit chain intact after all of it.

Notice PDFs are stood in for (as in test_demo_hall.py): the notices' content is tested in `govdesk/packages`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction

from govdesk.applications import notices as application_notices
from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import CaseEvent
from govdesk.common import clock
from govdesk.demo.projects import PROJECTS
from govdesk.packages import notices as package_notices
from govdesk.permits.models import Permit
from govdesk.projects.models import (
    JointAcceptance,
    JointAcceptanceStatus,
    Project,
    ProjectStage,
    ProjectStatus,
    ProjectType,
    StageApplication,
    StageStatus,
)

PASSWORD = "Demo-Passw0rd-2026!"


def fake_pdf(**kwargs: Any) -> bytes:
    return b"%PDF-1.7\n% demo test notice " + kwargs["content"].number.encode() + b"\n%%EOF\n"


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A seed with the year's projects and little else, in a transaction rolled back at the module's end."""
    out = StringIO()
    previous = os.environ.get("GOVDESK_DEMO_PASSWORD")
    os.environ["GOVDESK_DEMO_PASSWORD"] = PASSWORD
    args = ["--orders", "10", "--applications", "0", "--ratings", "0", "--packages", "0", "--projects", str(PROJECTS)]
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


def _current_stage(project: Project) -> int:
    """The first stage not done (0 when every stage is)."""
    return next((s.no for s in project.stages.order_by("no") if s.status != StageStatus.DONE), 0)


def test_the_years_43_projects_of_every_type_were_made_without_a_refused_step(seeded_db: str) -> None:
    assert PROJECTS == 43
    assert f"construction projects: {PROJECTS} registered" in seeded_db
    assert "\n  skipped " not in seeded_db, seeded_db
    assert Project.objects.count() == PROJECTS
    types = set(ProjectType.objects.filter(is_active=True).values_list("code", flat=True))
    assert len(types) >= 4
    assert set(Project.objects.values_list("type__code", flat=True)) == types
    year_ago = clock.now() - timedelta(days=366)
    assert not Project.objects.filter(registered_at__lt=year_ago).exists()
    assert Project.objects.filter(registered_at__lt=clock.now() - timedelta(days=300)).exists()


def test_every_type_has_projects_completed_and_under_way_at_several_stages(seeded_db: str) -> None:
    for project_type in ProjectType.objects.filter(is_active=True):
        projects = list(Project.objects.filter(type=project_type))
        statuses = Counter(p.status for p in projects)
        assert statuses[ProjectStatus.COMPLETED] >= 1 and statuses[ProjectStatus.UNDER_WAY] >= 1, project_type.code
    under_way = Project.objects.filter(status=ProjectStatus.UNDER_WAY)
    assert {_current_stage(p) for p in under_way} >= {1, 2, 3}
    assert set(ProjectStage.objects.values_list("status", flat=True)) == {s.value for s in StageStatus}
    for project in Project.objects.filter(status=ProjectStatus.COMPLETED):
        assert project.completed_at is not None
        assert not project.stages.exclude(status=StageStatus.DONE).exists()
        assert project.elapsed_days > 0 and not project.at_risk


def test_stages_not_passed_were_applied_for_again_and_some_projects_are_at_risk(seeded_db: str) -> None:
    again = StageApplication.objects.filter(attempt=2).select_related("stage")
    assert again.count() >= 2
    assert {a.stage.status for a in again} <= {StageStatus.DONE, StageStatus.UNDER_WAY}
    assert ProjectStage.objects.filter(status=StageStatus.NOT_PASSED).exists()
    assert Project.objects.filter(at_risk=True, status=ProjectStatus.UNDER_WAY).count() >= 2


def test_joint_acceptances_pass_with_one_result_and_one_failed_before_passing(seeded_db: str) -> None:
    statuses = Counter(JointAcceptance.objects.values_list("status", flat=True))
    assert statuses[JointAcceptanceStatus.PASSED] >= 10 and statuses[JointAcceptanceStatus.FAILED] >= 1, statuses
    for joint in JointAcceptance.objects.filter(status=JointAcceptanceStatus.PASSED).select_related(
        "stage_application__stage__flow_stage"
    ):
        results = Permit.objects.filter(case_id=joint.stage_application.package_application_id)
        assert list(results.values_list("kind", flat=True)) == [
            joint.stage_application.stage.flow_stage.joint_result_name
        ]
    failed = JointAcceptance.objects.get(status=JointAcceptanceStatus.FAILED)
    stage = failed.stage_application.stage
    assert stage.applications.filter(attempt=2).exists()


def test_parts_are_decided_by_their_units_and_commitment_matters_on_commitment(seeded_db: str) -> None:
    stage_packages = StageApplication.objects.values("package_application_id")
    decisions = CaseEvent.objects.filter(
        case__application__package_part__package_application_id__in=stage_packages,
        action__in=["approve", "deny", "suspend", "resume"],
    ).select_related("actor__unit", "case__primary_unit")
    assert decisions.filter(action="deny").count() >= 3
    units = set()
    for event in decisions:
        assert event.actor is not None and event.actor.unit == event.case.primary_unit, event.pk
        units.add(event.case.primary_unit.code if event.case.primary_unit else "")
    assert len(units) >= 5, units
    on_commitment = Permit.objects.filter(on_commitment=True, project__isnull=False)
    assert on_commitment.exists()
    assert all(p.verify_due_at is not None and p.verify_due_at > p.issued_at for p in on_commitment)
    assert Permit.objects.filter(on_commitment=False, project__isnull=False).count() > on_commitment.count()


def test_the_audit_chain_is_intact_and_in_time_order(seeded_db: str) -> None:
    report = audit_chain_verify()
    assert report.ok, report.reason
    times = list(AuditEvent.objects.order_by("id").values_list("occurred_at", flat=True))
    assert times == sorted(times)
    # The accounts were made before the oldest project was registered (the history starts a year back).
    first_project = Project.objects.order_by("registered_at").values_list("registered_at", flat=True).first()
    assert first_project is not None
    assert AuditEvent.objects.filter(action="account.create", occurred_at__lt=first_project).exists()


def test_the_43_projects_are_on_the_portfolio_page_and_in_the_statistics(seeded_db: str, client: Any) -> None:
    """What a supervisor preparing the monthly meeting sees: every demo project on the portfolio's pages, and the
    year's completed projects per type in the average approval times of the dashboard."""
    from govdesk.org.models import Role, User
    from govdesk.org.tests.factories import login_verified

    supervisor = User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True).order_by("pk").first()
    assert supervisor is not None
    login_verified(client, supervisor)
    shown: set[str] = set()
    for page in (1, 2):
        response = client.get("/projects/", {"page": page})
        assert response.status_code == 200
        html = response.content.decode()
        shown |= {code for code in Project.objects.values_list("code", flat=True) if code in html}
    assert len(shown) == Project.objects.count() == PROJECTS

    today = clock.now().date()
    start = today - timedelta(days=366)
    response = client.get(
        "/stats/", {"kind": "project", "period": "custom", "date_from": start.isoformat(), "date_to": today.isoformat()}
    )
    assert response.status_code == 200
    figures = response.context["figures"]
    completed = Counter(Project.objects.filter(status=ProjectStatus.COMPLETED).values_list("type__code", flat=True))
    assert sum(completed.values()) > 0
    assert {row["type"]: row["completed"] for row in figures["by_type"] if row["completed"]} == dict(completed)
    assert figures["totals"]["projects_completed"] == sum(completed.values())
    assert all(row["avg_days"] is not None for row in figures["by_stage"] if row["done"])
