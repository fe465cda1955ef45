"""Staff pages of construction projects: the portfolio (every project this user may see, at-risk first, with counts
per type and stage) and one project (its facts, a Gantt timeline of its stages and approvals against their
deadlines, the permits issued for it, links to the stage applications and their parts).

Window clerks, supervisors and leaders see every project; a unit's handlers and administrators those with a stage
led by their unit or an approval handled by it. Views parse, call the selectors, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from govdesk.applications.permissions import application_can_view
from govdesk.common import clock
from govdesk.common.errors import ApplicationError
from govdesk.common.masking import mask_phone
from govdesk.common.pages import application_error_page, error_page, staff_page
from govdesk.org.models import Role, Unit
from govdesk.packages.models import PackageApplication
from govdesk.packages.permissions import package_can_view

from . import portfolio_selectors as selectors
from . import services
from .charts import gantt_svg, portfolio_counts_svg
from .models import JointAcceptanceStatus, Project, ProjectStatus, ProjectType, StageStatus
from .selectors import project_joint_acceptances

PAGE_SIZE = 30
MAX_STAGE_NO = 20


class CountedPaginator(Paginator):
    """A paginator told the number of rows (the portfolio's counts per type sum to it): one count query less."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


def _portfolio_filters(params: Any) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The filters asked for, as the selector takes them; the raw values to show back; what was not valid."""
    shown = {key: str(params.get(key, ""))[:100].strip() for key in ("type", "status", "stage", "unit", "q")}
    shown["at_risk"] = "1" if params.get("at_risk") == "1" else ""
    filters: dict[str, Any] = {}
    errors: list[str] = []
    if shown["type"]:
        if ProjectType.objects.filter(code=shown["type"]).exists():
            filters["type"] = shown["type"]
        else:
            errors.append(_("Unknown project type."))
    if shown["status"]:
        if shown["status"] in ProjectStatus.values:
            filters["status"] = shown["status"]
        else:
            errors.append(_("Unknown project status."))
    if shown["stage"]:
        if shown["stage"].isdigit() and 1 <= int(shown["stage"]) <= MAX_STAGE_NO:
            filters["stage"] = int(shown["stage"])
        else:
            errors.append(_("The stage is a number from 1 to %(n)s.") % {"n": MAX_STAGE_NO})
    if shown["unit"]:
        unit = Unit.objects.filter(code=shown["unit"]).first()
        if unit is None:
            errors.append(_("Unknown unit."))
        else:
            filters["unit_ids"] = unit.descendant_ids()
    if shown["at_risk"]:
        filters["at_risk"] = True
    if shown["q"]:
        filters["q"] = shown["q"]
    return filters, shown, errors


@staff_page(*selectors.PORTFOLIO_ROLES)
@require_GET
def project_portfolio(request: HttpRequest) -> HttpResponse:
    """项目总览: the projects this user may see, filtered, at-risk first, 30 a page, with a chart of the counts."""
    filters, shown, errors = _portfolio_filters(request.GET)
    portfolio = selectors.project_portfolio(user=request.user, filters=filters)
    paginator = CountedPaginator(
        portfolio["projects"].select_related("type"), PAGE_SIZE, count=portfolio["counts"].total
    )
    page = paginator.get_page(request.GET.get("page"))
    projects = list(page.object_list)
    at_stages = selectors.project_current_stages(projects)
    now = clock.now()
    rows = [
        {
            "project": p,
            "stages": [
                {"stage": s, "over": s.due_at is not None and s.status == StageStatus.UNDER_WAY and s.due_at < now}
                for s in at_stages.get(p.pk, [])
            ],
        }
        for p in projects
    ]
    context = {
        "page": page,
        "rows": rows,
        "filters": shown,
        "query": urlencode({k: v for k, v in shown.items() if v}),
        "errors": errors,
        "types": ProjectType.objects.order_by("order", "code").values_list("code", "name"),
        "statuses": ProjectStatus.choices,
        "units": Unit.objects.filter(is_active=True).order_by("code").values_list("code", "name"),
        "counts": portfolio["counts"],
        "chart": portfolio_counts_svg(portfolio["counts"]),
    }
    return render(request, "projects/staff/portfolio.html", context, status=400 if errors else 200)


@staff_page(*selectors.PORTFOLIO_ROLES)
@require_GET
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One project: facts, the Gantt of its stages and approvals, its permits, links to the stage applications."""
    user: Any = request.user
    project = selectors.project_find(user=user, code=code)
    if project is None:
        if Project.objects.filter(code=code[:40]).exists():
            return error_page(request, _("You cannot see this project."), 403)
        return error_page(request, _("No project with code %(code)s.") % {"code": code[:40]}, 404)
    now = clock.now()
    timeline = selectors.project_timeline(project=project)
    numbers = [s.package_number for s in timeline if s.package_number]
    packages = {p.number: p for p in PackageApplication.objects.filter(number__in=numbers)}
    for stage in timeline:
        found = packages.get(stage.package_number)
        if found is not None and package_can_view(user, found):
            stage.link = reverse("package_staff:detail", args=[stage.package_number])
        for part in stage.parts:
            if part.application is not None and application_can_view(user, part.application):
                part.link = reverse("applications:detail", args=[part.number])
    context = {
        "project": project,
        "phone": mask_phone(project.contact_phone),
        "timeline": timeline,
        "gantt": gantt_svg(timeline, origin=project.registered_at, now=now),
        "permits": list(selectors.project_permits(project=project)),
        "status_label": dict(ProjectStatus.choices).get(project.status, project.status),
        "joints": _joint_rows(user, project),
    }
    return render(request, "projects/staff/detail.html", context)


def _joint_rows(user: Any, project: Project) -> list[dict[str, Any]]:
    """The joint acceptances, each with whether this user (a handler or administrator of the stage's lead unit)
    may set its inspection day while the units are inspecting."""
    unit = getattr(user, "unit", None)
    units: set[int] = set()
    if unit is not None and user.has_role(Role.HANDLER, Role.UNIT_ADMIN):
        units = unit.descendant_ids() if user.has_role(Role.UNIT_ADMIN) else {unit.pk}
    return [
        {
            "joint": joint,
            "can_schedule": joint.status == JointAcceptanceStatus.INSPECTING and joint.lead_unit_id in units,
            "action": reverse("project_staff:joint_schedule", args=[project.code, joint.no]),
        }
        for joint in project_joint_acceptances(project=project)
    ]


@staff_page(*selectors.PORTFOLIO_ROLES)
@require_POST
def project_joint_schedule(request: HttpRequest, code: str, no: int) -> HttpResponseBase:
    """The stage's lead unit sets the day the units inspect together (联合验收); the service checks role and day."""
    project = selectors.project_find(user=request.user, code=code)
    if project is None:
        return error_page(request, _("No project with code %(code)s.") % {"code": code[:40]}, 404)
    try:
        services.project_joint_schedule(
            actor=request.user, project=project.code, no=no, inspect_on=request.POST.get("inspect_on", "")[:10]
        )
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("Joint inspection day set."))
    return redirect(reverse("project_staff:detail", args=[project.code]))
