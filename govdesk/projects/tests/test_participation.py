"""The participation table (`ProjectUnit`) that decides which projects a unit's staff see: it follows a project
through its stages as the real services run (a new approval at a new unit makes the project visible there), follows
a stage's lead unit when the package changes hands, and the data migration's function (0002_project_unit) computes
from the joins exactly the pairs those joins give (checked against the joins the portfolio used before the table)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as live_apps
from django.db.models import Q

from govdesk.packages.models import Package
from govdesk.projects.models import FlowStage, Project, ProjectStage, ProjectUnit, StageApplication
from govdesk.projects.portfolio_selectors import project_can_view, project_visibility_q

from . import factories as f
from .case_fixtures import DEFENCE, LAND, accept, apply, decide, parts, register
from .test_views import at as day

pytestmark = pytest.mark.django_db


def units_of(project: Project) -> set[int]:
    return set(ProjectUnit.objects.filter(project=project).values_list("unit_id", flat=True))


def visible_codes(user: Any) -> set[str]:
    return set(Project.objects.filter(project_visibility_q(user)).values_list("code", flat=True))


def test_the_units_follow_a_project_through_its_stages(
    construction: SimpleNamespace, district: Any, people: Any
) -> None:
    fx = construction
    a, b, c = district.dept_a.pk, district.dept_b.pk, fx.dept_c.pk
    project = register(fx)
    # Registered: only the stages' lead unit (dept A leads every stage) takes part.
    assert units_of(project) == {a}
    assert project_can_view(people.handler_a, project)
    assert not project_can_view(people.handler_b, project)
    assert not project_can_view(fx.handler_c, project)
    # Stage 1 accepted: its approval 用地规划许可 went to dept B, which sees the project from then on.
    first = accept(fx, apply(fx, project, 1))
    assert LAND in {part.matter.code for part in first.parts.select_related("matter")}
    assert units_of(project) == {a, b}
    assert project.code in visible_codes(people.handler_b)
    assert not project_can_view(fx.handler_c, project)
    # Stage 1 done, stage 2 accepted: its 人防审查 (on commitment) is dept C's: a new part at a new unit.
    for application in parts(first).values():
        decide(fx, application)
    second = accept(fx, apply(fx, project, 2))
    assert DEFENCE in {part.matter.code for part in second.parts.select_related("matter")}
    assert units_of(project) == {a, b, c}
    assert project_can_view(fx.handler_c, project)
    # The table holds exactly what the joins give, after every step.
    assert pairs_by_joins() == set(ProjectUnit.objects.values_list("project_id", "unit_id"))


def test_a_stage_given_another_lead_unit_moves_its_projects(
    construction: SimpleNamespace, district: Any, people: Any
) -> None:
    fx = construction
    project = register(fx)
    assert project_can_view(people.handler_a, project) and not project_can_view(people.handler_b, project)
    # The flow's stages are dept A's; their packages handed to dept B (the only link of dept A to the project).
    packages = Package.objects.filter(pk__in=FlowStage.objects.filter(project_type=fx.type).values("package_id"))
    for package in packages:
        package.lead_unit = district.dept_b
        package.save()
    assert units_of(project) == {district.dept_b.pk}
    assert project_can_view(people.handler_b, project) and not project_can_view(people.handler_a, project)


# --- the data migration ---------------------------------------------------------------------------------------------


def _old_at_units_q(unit_ids: list[int]) -> Q:
    """The visibility the portfolio computed before the table: a stage led by the unit, or a part of any attempt
    of any stage whose application is at the unit (the joins, as they were)."""
    led = ProjectStage.objects.filter(
        flow_stage__in=FlowStage.objects.filter(package__lead_unit_id__in=unit_ids).values("pk")
    ).values("project_id")
    handled = StageApplication.objects.filter(
        package_application__parts__application__primary_unit_id__in=unit_ids
    ).values("stage__project_id")
    return Q(pk__in=led) | Q(pk__in=handled)


def pairs_by_joins() -> set[tuple[int, int]]:
    """(project, unit) for every unit, by the old joins, unit by unit."""
    from govdesk.org.models import Unit

    pairs = set()
    for unit_id in Unit.objects.values_list("pk", flat=True):
        for project_id in Project.objects.filter(_old_at_units_q([unit_id])).values_list("pk", flat=True):
            pairs.add((project_id, unit_id))
    return pairs


@pytest.fixture
def upgraded(district: SimpleNamespace) -> SimpleNamespace:
    """Projects of two types written straight into the tables (as a database from before the table holds them):
    dept B only in a first attempt's denied part (the stage applied for again), a project at its first open stage,
    one led by the street; then the participation rows emptied, as before the migration."""
    a, b, street = district.dept_a, district.dept_b, district.street
    social = f.flow_create(
        "SOCIAL",
        "社会投资项目",
        total=30,
        stages=[
            ("立项用地规划许可", 10, a, [("T-A1", "用地规划许可", a), ("T-B1", "环评审批", b)]),
            ("工程建设许可", 10, a, [("T-A2", "工程规划许可", a)]),
        ],
    )
    small = f.flow_create("SMALL", "小型低风险项目", total=10, stages=[("一站式办理", 10, street, [])], order=1)
    p1 = f.project_create(social, registered_at=day(11, 2), code="P1")
    first = f.stage_apply(p1, 1, accepted_at=day(11, 3), due_at=day(11, 17))
    f.part_add(first, social.matters[1][0], accepted_at=day(11, 3), due_at=day(11, 10), decided_at=day(11, 10))
    f.part_add(
        first, social.matters[1][1], accepted_at=day(11, 3), due_at=day(11, 10), decided_at=day(11, 12), approved=False
    )
    again = f.stage_apply(p1, 1, accepted_at=day(11, 16), due_at=day(11, 30))
    f.part_add(again, social.matters[1][0], accepted_at=day(11, 16), due_at=day(11, 30))
    p2 = f.project_create(social, registered_at=day(10, 1), code="P2")
    p3 = f.project_create(small, registered_at=day(11, 20), code="P3")
    ProjectUnit.objects.all().delete()
    return SimpleNamespace(p1=p1, p2=p2, p3=p3, a=a, b=b, street=street)


def test_the_data_migration_computes_the_same_units_as_the_joins(upgraded: SimpleNamespace) -> None:
    assert not ProjectUnit.objects.exists()
    migration = importlib.import_module("govdesk.projects.migrations.0002_project_unit")
    migration.participation_fill(live_apps, None)
    written = set(ProjectUnit.objects.values_list("project_id", "unit_id"))
    assert written == pairs_by_joins()
    # And what that is: P1 at A (its stages' lead, parts) and B (only the first attempt's denied part); P2 at A
    # (lead; B's matter has no part of P2); P3 at the street (lead).
    u = upgraded
    assert written == {(u.p1.pk, u.a.pk), (u.p1.pk, u.b.pk), (u.p2.pk, u.a.pk), (u.p3.pk, u.street.pk)}
    # Run again (a database half filled): the same rows, no duplicates.
    migration.participation_fill(live_apps, None)
    assert ProjectUnit.objects.count() == len(written)
