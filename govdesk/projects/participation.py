"""Which units take part in which projects (`ProjectUnit`): the lead unit of each of a project's stages, and the unit
of each approval (a part application of a package application submitted for one of its stages, every attempt).

A unit's staff see exactly these projects (`portfolio_selectors.project_visibility_q`). The rows are written where
they come to exist: a project's stages at its registration (their lead units), a part application's registration
(its unit), and checked again from the joins when a stage application is submitted and when its package is accepted
or settled. A flow stage moved to another package, or a package given another lead unit, rebuilds the rows of the
projects concerned (receivers connected in apps.py).

`participation_pairs` and `project_units_rebuild` take the models as arguments, so the data migration
(0002_project_unit) runs the very same computation on its historical models.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

BATCH = 2000


def participation_pairs(
    *, stage_model: Any, stage_application_model: Any, project_ids: Iterable[int] | None = None
) -> set[tuple[int, int]]:
    """The (project id, unit id) pairs the joins give: a stage led by the unit (its flow stage's package's lead
    unit), or a part of one of its stage applications whose application is at the unit. `project_ids`: only those
    projects (None: all)."""
    stages = stage_model.objects.filter(flow_stage__package__lead_unit__isnull=False)
    parts = stage_application_model.objects.filter(package_application__parts__application__primary_unit__isnull=False)
    if project_ids is not None:
        ids = list(project_ids)
        stages = stages.filter(project_id__in=ids)
        parts = parts.filter(stage__project_id__in=ids)
    led = stages.values_list("project_id", "flow_stage__package__lead_unit_id").distinct().order_by()
    handled = (
        parts.values_list("stage__project_id", "package_application__parts__application__primary_unit_id")
        .distinct()
        .order_by()
    )
    return {(project, unit) for project, unit in led.iterator()} | {(p, u) for p, u in handled.iterator()}


def project_units_rebuild(
    *, project_unit_model: Any, stage_model: Any, stage_application_model: Any, project_ids: Iterable[int] | None = None
) -> int:
    """Replace the participation rows of `project_ids` (None: every project) by what the joins give; the number of
    rows written."""
    ids = None if project_ids is None else list(project_ids)
    pairs = participation_pairs(
        stage_model=stage_model, stage_application_model=stage_application_model, project_ids=ids
    )
    existing = (
        project_unit_model.objects.all() if ids is None else project_unit_model.objects.filter(project_id__in=ids)
    )
    existing.delete()
    rows = [project_unit_model(project_id=project, unit_id=unit) for project, unit in sorted(pairs)]
    project_unit_model.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


# --- with the live models --------------------------------------------------------------------------------------------


def project_units_add(project_id: int, unit_ids: Iterable[int | None]) -> None:
    """The units take part in the project (kept if they already do)."""
    from .models import ProjectUnit

    rows = [ProjectUnit(project_id=project_id, unit_id=unit_id) for unit_id in sorted({u for u in unit_ids if u})]
    if rows:
        ProjectUnit.objects.bulk_create(rows, ignore_conflicts=True)


def project_units_sync(project_ids: Iterable[int]) -> int:
    """The participation rows of `project_ids` made exactly what the joins give."""
    from .models import ProjectStage, ProjectUnit, StageApplication

    return project_units_rebuild(
        project_unit_model=ProjectUnit,
        stage_model=ProjectStage,
        stage_application_model=StageApplication,
        project_ids=project_ids,
    )


def _projects_of_flow_stages_rebuild(flow_stages: Q) -> None:
    """Rebuild the participation of every project with a stage of the flow stages matching `flow_stages`."""
    from .models import FlowStage, ProjectStage

    stages = ProjectStage.objects.filter(flow_stage__in=FlowStage.objects.filter(flow_stages).values("pk"))
    project_ids = list(stages.values_list("project_id", flat=True).distinct().order_by())
    if project_ids:
        project_units_sync(project_ids)


# The value an instance had in the database before this save, kept by the pre_save receivers.
_BEFORE = "_participation_before"


def on_package_saving(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.pk is not None:
        before = sender.objects.filter(pk=instance.pk).values_list("lead_unit_id", flat=True).first()
        instance.__dict__[_BEFORE] = before


def on_package_saved(sender: Any, instance: Any, raw: bool = False, created: bool = False, **kwargs: Any) -> None:
    """A package given another lead unit: the projects of the flow stages it is."""
    if not raw and not created and instance.__dict__.pop(_BEFORE, instance.lead_unit_id) != instance.lead_unit_id:
        _projects_of_flow_stages_rebuild(Q(package_id=instance.pk))


def on_flow_stage_saving(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.pk is not None:
        instance.__dict__[_BEFORE] = sender.objects.filter(pk=instance.pk).values_list("package_id", flat=True).first()


def on_flow_stage_saved(sender: Any, instance: Any, raw: bool = False, created: bool = False, **kwargs: Any) -> None:
    """A flow stage made another package (maybe another lead unit): its projects."""
    if not raw and not created and instance.__dict__.pop(_BEFORE, instance.package_id) != instance.package_id:
        _projects_of_flow_stages_rebuild(Q(pk=instance.pk))
