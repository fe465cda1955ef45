"""Reads of construction projects for the API and the pages.

`project_timeline`, `project_portfolio` and `project_average_times` (the Gantt rows, the portfolio with its counts,
the published average approval times) live in portfolio_selectors.py with the staff pages built on them and are
re-exported here under the design's names. Who sees a project: window clerks, supervisors and leaders every one;
a unit's staff those with a stage led by, or an approval handled by, their unit; a citizen the projects they
registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from govdesk.org.models import Role
from govdesk.packages.models import PackageVersion

from .models import FlowStage, JointAcceptance, JointAcceptanceStatus, Project, ProjectStage, ProjectType
from .portfolio_selectors import (
    project_average_times,
    project_portfolio,
    project_timeline,
    project_visibility_q,
)

__all__ = [
    "project_average_times",
    "project_form_facts",
    "project_form_reused",
    "project_get",
    "project_joint_acceptances",
    "project_list",
    "project_portfolio",
    "project_reveals_contact",
    "project_stage_form_initial",
    "project_stages",
    "project_timeline",
    "project_type_list",
]


def project_type_list() -> QuerySet[ProjectType]:
    """The active project types, in catalogue order, with their stages (and each stage's package, lead unit and the
    matters of its current version) prefetched."""
    return (
        ProjectType.objects.filter(is_active=True)
        .prefetch_related(
            "stages__package__lead_unit",
            "stages__package__current_version__lead_unit",
            "stages__package__current_version__items__matter",
        )
        .order_by("order", "code")
    )


def _visible_q(user: Any) -> Q:
    q = project_visibility_q(user)
    if getattr(user, "is_authenticated", False) and user.has_role(Role.CITIZEN):
        q |= Q(applicant=user)
    return q


def _with_stages(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Each project's stages in order, with their current package application, in one more query for them all."""
    stages = ProjectStage.objects.select_related("package_application").order_by("no")
    return qs.select_related("type").prefetch_related(Prefetch("stages", queryset=stages))


def project_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[Project]:
    """The projects `user` may see, newest first, with their stages; `filters`: `type` (code), `status`, `at_risk`
    (True), `q` (part of the code or name)."""
    f = filters or {}
    qs = _with_stages(Project.objects.filter(_visible_q(user)))
    if f.get("type"):
        qs = qs.filter(type__code=f["type"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("at_risk"):
        qs = qs.filter(at_risk=True)
    if f.get("q"):
        text = str(f["q"])[:100]
        qs = qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
    return qs.order_by("-registered_at", "-id")


def project_get(*, user: Any, code: str) -> Project | None:
    """The project `code` if `user` may see it, else None (the API answers 404 or 403)."""
    return _with_stages(Project.objects.filter(_visible_q(user), code=code[:40])).first()


def project_stages(*, project: Project) -> QuerySet[ProjectStage]:
    """The project's stages in order, with their flow stage, package and current package application."""
    return (
        ProjectStage.objects.filter(project=project)
        .select_related("flow_stage__package__lead_unit", "package_application")
        .order_by("no")
    )


def project_reveals_contact(user: Any, project: Project) -> bool:
    """Unmasked contact phone and ID number: the hall (which checks identities) and the citizen who registered the
    project; everybody else who may see the project sees them masked."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.WINDOW_CLERK):
        return True
    return bool(user.has_role(Role.CITIZEN) and project.applicant_id == user.pk)


def project_stage_version(*, project: Project, no: int) -> PackageVersion | None:
    stage = (
        FlowStage.objects.select_related("package__current_version")
        .filter(project_type_id=project.type_id, no=no)
        .first()
    )
    return stage.package.current_version if stage is not None else None


# The stage forms' fields the project's registration already answers (the flows' packages ask for them by these
# names): one form, filled once.
PROJECT_FACT_FIELDS = {
    "project_code": "code",
    "project_name": "name",
    "project_address": "location",
    "total_investment": "investment",
    "contact_phone": "contact_phone",
}


def project_form_facts(project: Project) -> dict[str, Any]:
    """What the registration says, under the stage forms' field names (blank facts left out)."""
    facts: dict[str, Any] = {}
    for field, attribute in PROJECT_FACT_FIELDS.items():
        value = getattr(project, attribute, None)
        if value is None or value == "":
            continue
        facts[field] = str(value) if attribute == "investment" else value
    return facts


def project_form_reused(project: Project, version: PackageVersion) -> dict[str, Any]:
    """The answers stage forms of `version` start from: the registration's facts, overlaid by every answer an
    earlier stage received, for this version's fields only."""
    names = {field["name"] for field in version.fields}
    answers = {**project_form_facts(project), **(project.form or {})}
    return {k: v for k, v in answers.items() if k in names}


def project_stage_form_initial(*, project: Project, no: int) -> dict[str, Any]:
    """The answers to prefill for stage `no`: the registration's facts and what earlier stages received, for the
    fields of this stage's form (not asked again)."""
    version = project_stage_version(project=project, no=no)
    if version is None:
        return {}
    return project_form_reused(project, version)


@dataclass
class JointRow:
    """A joint acceptance (联合验收) of a stage's current attempt, as the project page shows it."""

    no: int
    stage_name: str
    lead_unit_id: int | None
    status: str
    status_label: str
    inspect_on: date | None
    due_at: datetime | None


def project_joint_acceptances(*, project: Project) -> list[JointRow]:
    """The joint acceptances of the project's current stage attempts, in stage order."""
    stages = {
        s.package_application_id: s
        for s in ProjectStage.objects.filter(project=project, package_application__isnull=False).select_related(
            "flow_stage__package"
        )
    }
    labels = dict(JointAcceptanceStatus.choices)
    rows = []
    for joint in JointAcceptance.objects.filter(
        stage_application__package_application_id__in=list(stages)
    ).select_related("stage_application"):
        stage = stages[joint.stage_application.package_application_id]
        rows.append(
            JointRow(
                no=stage.no,
                stage_name=stage.name,
                lead_unit_id=stage.flow_stage.package.lead_unit_id,
                status=joint.status,
                status_label=str(labels.get(joint.status, joint.status)),
                inspect_on=joint.inspect_on,
                due_at=joint.due_at,
            )
        )
    return sorted(rows, key=lambda row: row.no)
