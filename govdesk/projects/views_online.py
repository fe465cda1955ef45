"""网上申报 of construction projects: a signed-in citizen registers their company's project (the type chosen from the
active types, each shown with its stages and limits), follows "my projects" and one project's progress (stages with
status and deadline, each stage's package application, the permits with their verification links), and applies for
an open stage: the stage's merged form prefilled with what the project answered before, the materials list with the
documents earlier stages received marked as received (not asked again), one upload for each of the others.

The counter's pages (views_window.py) are these pages with `window` set: the clerk acts for the owner, ticks what
was brought and scans it, and lands on the package's staff page to check and accept. Someone else's project reads
as missing. Views parse, call the selectors and services, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from govdesk.applications.forms import FIELD_PREFIX, material_files
from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.common.masking import mask_id_number, mask_phone
from govdesk.common.pages import application_error_page, client_ip, error_page, staff_page
from govdesk.org.models import Role
from govdesk.packages.models import PackageVersion
from govdesk.packages.page_forms import PackageForm
from govdesk.packages.page_rows import checklist_rows

from . import selectors, services, window_services
from .models import Project, ProjectDocument, ProjectStatus, StageStatus
from .page_forms import ProjectRegisterForm
from .portfolio_selectors import project_permits

APPLYING = (StageStatus.OPEN, StageStatus.NOT_PASSED)


def _ns(window: bool) -> str:
    return "project_window" if window else "project_online"


def project_find_for_actor(request: HttpRequest, code: str) -> Project | None:
    """The project if this user may act for it: a citizen only their own (others' read as missing), a clerk any."""
    project = selectors.project_get(user=request.user, code=code)
    if project is None or not services.project_can_act(request.user, project):
        return None
    return project


def project_missing(request: HttpRequest, code: str) -> HttpResponse:
    return error_page(request, _("No project with code %(code)s.") % {"code": code[:40]}, 404)


# --- registration ---------------------------------------------------------------------------------------------------


def render_register(
    request: HttpRequest, form: ProjectRegisterForm, types: list[Any], *, window: bool, status: int = 200
) -> HttpResponse:
    context = {"form": form, "types": types, "window": window, "action": reverse(f"{_ns(window)}:register")}
    return render(request, "projects/online/register.html", context, status=status)


def register(request: HttpRequest, *, window: bool) -> HttpResponseBase:
    types = list(selectors.project_type_list())
    if request.method == "GET":
        initial: dict[str, Any] = {}
        user: Any = request.user
        if not window:
            initial = {"contact_name": user.display_name, "contact_phone": user.phone or ""}
        return render_register(request, ProjectRegisterForm(initial=initial, types=types), types, window=window)
    form = ProjectRegisterForm(request.POST, types=types)
    if not form.is_valid():
        return render_register(request, form, types, window=window, status=400)
    try:
        project = services.project_register(actor=request.user, data=form.submission_data())
    except ValidationFailed as exc:
        form.add_service_errors(exc)
        return render_register(request, form, types, window=window, status=400)
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("Project %(code)s registered.") % {"code": project.code})
    return redirect(reverse(f"{_ns(window)}:detail", args=[project.code]))


@staff_page(Role.CITIZEN)
@require_GET
def project_index(request: HttpRequest) -> HttpResponse:
    """My projects, newest first, with the stage each stands at."""
    mine = list(selectors.project_list(user=request.user).filter(applicant_id=request.user.pk)[:50])
    return render(request, "projects/online/index.html", {"projects": mine, "window": False, "q": ""})


@staff_page(Role.CITIZEN)
@require_http_methods(["GET", "POST"])
def project_register(request: HttpRequest) -> HttpResponseBase:
    return register(request, window=False)


# --- one project ----------------------------------------------------------------------------------------------------


@dataclass
class StageRow:
    no: int
    name: str
    status: str
    status_label: str
    limit_days: int
    due_at: Any
    done_at: Any
    elapsed_days: int | None
    package_number: str
    package_link: str
    apply_link: str


def render_detail(request: HttpRequest, project: Project, *, window: bool) -> HttpResponse:
    ns = _ns(window)
    labels = dict(StageStatus.choices)
    rows = []
    for stage in selectors.project_stages(project=project):
        number = stage.package_application.number if stage.package_application else ""
        page = "package_staff:detail" if window else "package_online:mine"
        link = reverse(page, args=[number]) if number else ""
        rows.append(
            StageRow(
                no=stage.no,
                name=stage.name,
                status=stage.status,
                status_label=str(labels.get(stage.status, stage.status)),
                limit_days=stage.limit_days,
                due_at=stage.due_at,
                done_at=stage.done_at,
                elapsed_days=stage.elapsed_days,
                package_number=number,
                package_link=link,
                apply_link=reverse(f"{ns}:stage", args=[project.code, stage.no]) if stage.status in APPLYING else "",
            )
        )
    permits = [
        {"permit": p, "verify": f"{reverse('permits:verify')}?{urlencode({'number': p.number})}"}
        for p in project_permits(project=project)
    ]
    reveal = selectors.project_reveals_contact(request.user, project)
    context = {
        "project": project,
        "window": window,
        "stages": rows,
        "permits": permits,
        "status_label": dict(ProjectStatus.choices).get(project.status, project.status),
        "phone": project.contact_phone if reveal else mask_phone(project.contact_phone),
        "back": reverse(f"{ns}:index"),
    }
    return render(request, "projects/online/project.html", context)


@staff_page(Role.CITIZEN)
@require_GET
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    project = project_find_for_actor(request, code)
    if project is None:
        return project_missing(request, code)
    return render_detail(request, project, window=False)


# --- applying for a stage -------------------------------------------------------------------------------------------


def _documents(project: Project) -> dict[str, ProjectDocument]:
    return {d.code: d for d in project.documents.all()}


def render_stage(
    request: HttpRequest,
    project: Project,
    no: int,
    *,
    window: bool,
    form: PackageForm | None = None,
    status: int = 200,
    file_errors: dict[str, str] | None = None,
    error: str = "",
    received: list[str] | None = None,
) -> HttpResponse:
    stage = project.stages.select_related("flow_stage__package__current_version__lead_unit").filter(no=no).first()
    if stage is None:
        return error_page(request, _("The project has no stage %(no)s.") % {"no": no}, 404)
    version: PackageVersion | None = stage.flow_stage.package.current_version
    context: dict[str, Any] = {
        "project": project,
        "stage": stage,
        "version": version,
        "window": window,
        "back": reverse(f"{_ns(window)}:detail", args=[project.code]),
        "error": error,
        "is_open": stage.status in APPLYING and version is not None,
    }
    if not context["is_open"] or version is None:
        context["closed_message"] = (
            _("Stage %(no)d is not open yet: it opens when the stage before it is done.") % {"no": stage.no}
            if stage.status == StageStatus.LOCKED
            else _("Stage %(no)d is “%(status)s”: it cannot be applied for now.")
            % {"no": stage.no, "status": stage.get_status_display()}
        )
        return render(request, "projects/online/stage.html", context, status=409 if request.method == "POST" else 200)
    if form is None:
        answers = selectors.project_stage_form_initial(project=project, no=no)
        initial = {FIELD_PREFIX + name: value for name, value in answers.items()}
        reveal = selectors.project_reveals_contact(request.user, project)
        initial.update(
            applicant_name=project.contact_name,
            applicant_phone=project.contact_phone if reveal else "",
            applicant_id_number=project.contact_id_number if reveal else "",
        )
        form = PackageForm(version=version, initial=initial)
    documents = _documents(project)
    # A document an earlier stage received is listed as received, with its stage, and asked for no file.
    rows = [
        {"m": row, "earlier_stage": documents[row.code].stage_no if row.code in documents else None}
        for row in checklist_rows(version, form=form.answers_known())
    ]
    context.update(
        form=form,
        checklist=rows,
        file_errors=file_errors or {},
        received=received or [],
        id_number=mask_id_number(project.contact_id_number),
    )
    return render(request, "projects/online/stage.html", context, status=status)


def stage_apply(request: HttpRequest, code: str, no: int, *, window: bool) -> HttpResponseBase:
    project = project_find_for_actor(request, code)
    if project is None:
        return project_missing(request, code)
    if request.method == "GET":
        return render_stage(request, project, no, window=window)
    stage = project.stages.select_related("flow_stage__package__current_version").filter(no=no).first()
    version = stage.flow_stage.package.current_version if stage is not None else None
    if stage is None or version is None or stage.status not in APPLYING:
        return render_stage(request, project, no, window=window)  # says why: 404 or 409
    form = PackageForm(request.POST, version=version)
    have = set(_documents(project))
    codes = [m.code for m in version.materials.all() if m.code not in have]
    received = [c for c in request.POST.getlist("received") if c in codes] if window else []
    files, file_errors = material_files(request.FILES, "scan_" if window else "file_", codes)
    again: dict[str, Any] = {"window": window, "form": form, "received": received}
    if not form.is_valid() or file_errors:
        return render_stage(request, project, no, **again, status=400, file_errors=file_errors)
    needed = form.needed_codes()
    if needed is not None:  # handed in only for a matter these answers do not need: left out, not an error
        received = [c for c in received if c in needed]
        files = {c: f for c, f in files.items() if c in needed}
    data = {**form.submission_data(), "materials": received}
    data.pop("package", None)
    try:
        package_application = window_services.project_stage_apply_with_files(
            actor=request.user, project=project.code, no=no, data=data, files=files, ip_address=client_ip(request)
        )
    except ValidationFailed as exc:
        form.add_service_errors(exc)
        return render_stage(request, project, no, **again, status=400)
    except ApplicationError as exc:
        return render_stage(request, project, no, **again, status=exc.status_code, error=str(exc.message))
    messages.success(
        request,
        _("Stage %(no)d applied for: package application %(n)s.") % {"no": no, "n": package_application.number},
    )
    if window:
        return redirect(reverse("package_staff:detail", args=[package_application.number]))
    return redirect(reverse("package_online:mine", args=[package_application.number]))


@staff_page(Role.CITIZEN)
@require_http_methods(["GET", "POST"])
def project_stage_apply(request: HttpRequest, code: str, no: int) -> HttpResponseBase:
    return stage_apply(request, code, no, window=False)
