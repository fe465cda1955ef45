"""Every write to a construction project (工程建设项目): registration, applying for a stage, the stages' clocks, the
stage transitions the package applications' events cause, 告知承诺 at acceptance and the joint acceptance's one result.

A stage IS a package: applying for it is `packages.case_services.package_submit` with the stage's package, the
project's contact as the applicant, the project's stored answers overlaid by the new ones, and the documents the
project already handed in (by merged-material code, so a later stage never asks again). From there the package
machinery accepts, fans out to the units in parallel and decides; the subscriber (subscribers.py) hears its events
and calls the `project_on_*` functions here, in the transaction of the event's own action.

Each public service runs in one transaction and appends to the audit trail (`audit_append`); stage moves are checked
against states.py (409 when not possible). Permission failures raise PermissionDenied (403; 404 for a citizen asking
for another's project), bad input ValidationFailed (400) naming the field.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.models import Application
from govdesk.applications.services import application_approve
from govdesk.applications.states import Status as ApplicationStatus
from govdesk.audit.services import audit_append
from govdesk.calendar.core import WorkingCalendar, deadline_add_working_days
from govdesk.calendar.selectors import calendar_get
from govdesk.cases.models import CaseEvent, CaseSuspension
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.common.inputs import FieldErrors, text_field
from govdesk.common.services import counter_next
from govdesk.common.validators import normalize_phone, validate_id_number, validate_phone
from govdesk.org.models import Role, Unit, User
from govdesk.packages.case_services import package_part_state, package_submit
from govdesk.packages.catalogue import package_form_clean, package_materials_needed
from govdesk.packages.models import PackageApplication, PackagePart, PackageVersion
from govdesk.permits.hooks import PermitTerms, permit_terms_default
from govdesk.permits.services import permit_issue

from .models import (
    FlowStage,
    JointAcceptance,
    JointAcceptanceStatus,
    Project,
    ProjectDocument,
    ProjectStage,
    ProjectStatus,
    ProjectType,
    StageApplication,
)
from .participation import project_units_add, project_units_sync
from .selectors import project_form_reused
from .states import (
    StageClock,
    StageEvent,
    StageStatus,
    StageView,
    joint_outcome,
    project_at_risk,
    project_days,
    stage_next,
    stages_to_open,
)
from .states import stage_outcome as stage_outcome_of

NAME_MAX_LENGTH = 200
# The 项目代码's industry segment when the registration gives none: 47, 房屋建筑业 (GB/T 4754).
DEFAULT_INDUSTRY = "47"
DEFAULT_DISTRICT_CODE = "141102"
# 告知承诺: the unit checks the facts of a permit approved on commitment within this many working days.
COMMITMENT_VERIFY_DAYS = 20
SYSTEM_USERNAME_PREFIX = "system-commitment-"
_CODE_RE = re.compile(r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$")
_CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
INVESTMENT_MAX = Decimal("999999999999.99")


def project_code_looks_valid(code: str) -> bool:
    """Whether `code` has the national 项目代码's shape (YYYY-district-industry-type-sequence)."""
    return bool(_CODE_RE.match(code))


def _district_code() -> str:
    code = str(settings.GOVDESK.get("PROJECT_DISTRICT_CODE", DEFAULT_DISTRICT_CODE))
    return code if re.fullmatch(r"\d{6}", code) else DEFAULT_DISTRICT_CODE


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _audit(
    project: Project, action: str, actor: Any, *, from_state: str = "", to_state: str = "", note: str = ""
) -> None:
    audit_append(
        action=f"project.{action}",
        actor=_user(actor),
        object_type="project",
        object_id=project.code,
        from_state=from_state,
        to_state=to_state,
        note=note[:500],
    )


# --- registration -------------------------------------------------------------------------------------------------


def _project_type(errors: FieldErrors, code: Any) -> ProjectType | None:
    if not isinstance(code, str) or not code.strip() or len(code) > 32:
        errors.add("type", _("Choose a project type."))
        return None
    found = ProjectType.objects.filter(code=code.strip(), is_active=True).first()
    if found is None:
        errors.add("type", _("There is no project type with the code %(code)s.") % {"code": code.strip()[:32]})
        return None
    if not found.stages.exists():
        errors.add("type", _("The project type %(code)s has no stages yet.") % {"code": found.code})
        return None
    return found


def _investment(errors: FieldErrors, value: Any) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        errors.add("investment", _("Give the investment in 10,000 yuan."))
        return Decimal(0)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.add("investment", _("Give the investment as a number of 10,000 yuan."))
        return Decimal(0)
    if not amount.is_finite() or amount <= 0 or amount > INVESTMENT_MAX:
        errors.add("investment", _("The investment must be more than 0 and a sensible amount."))
        return Decimal(0)
    return amount.quantize(Decimal("0.01"))


def _contact(errors: FieldErrors, data: dict[str, Any], actor: Any, *, prefix: str = "contact") -> tuple[str, str, str]:
    """Name, phone and ID number of the project's contact; a citizen's own name and phone fill the gaps."""
    citizen = actor.has_role(Role.CITIZEN) and not actor.has_role(Role.WINDOW_CLERK)
    name = text_field(errors, f"{prefix}_name", data.get(f"{prefix}_name"), required=False, max_length=100)
    phone = normalize_phone(
        text_field(errors, f"{prefix}_phone", data.get(f"{prefix}_phone"), required=False, max_length=20)
    )
    id_number = text_field(
        errors, f"{prefix}_id_number", data.get(f"{prefix}_id_number"), required=False, max_length=18
    ).upper()
    if citizen:
        name = name or actor.display_name or actor.username
        phone = phone or normalize_phone(actor.phone or "")
    if phone:
        errors.check(f"{prefix}_phone", validate_phone, phone)
    if id_number:
        errors.check(f"{prefix}_id_number", validate_id_number, id_number)
    return name, phone, id_number


def _project_code(project_type: ProjectType, industry: str, now: datetime) -> str:
    year = timezone.localtime(now).year
    district = _district_code()
    sequence = counter_next(key=f"project:{year}:{district}")
    # The type segment: the type's place in the catalogue (01, 02, …), as the national platform numbers 审批/核准/备案.
    kind = max(project_type.order, 1) % 100
    return f"{year}-{district}-{industry}-{kind:02d}-{sequence:06d}"


def project_register(*, actor: Any, data: dict[str, Any]) -> Project:
    """登记: a window clerk registers a project for its owner (建设单位), or a citizen registers their own company's
    (online, on their account). The stages are written from the type's flow: the first open (with those that open
    alongside it), the rest locked. Every problem of the data is reported at once (400) and nothing is stored."""
    if not actor.has_role(Role.WINDOW_CLERK, Role.CITIZEN):
        raise PermissionDenied(_("Your role does not allow registering projects."))
    if not isinstance(data, dict):
        raise ValidationFailed(_("The project must be an object of field names and values."))
    errors = FieldErrors(name_in_message=True)
    name = text_field(errors, "name", data.get("name"), required=True, max_length=NAME_MAX_LENGTH)
    project_type = _project_type(errors, data.get("type"))
    owner = text_field(errors, "owner", data.get("owner"), required=True, max_length=200)
    credit_code = text_field(
        errors, "owner_credit_code", data.get("owner_credit_code"), required=False, max_length=18
    ).upper()
    if credit_code and not _CREDIT_CODE_RE.match(credit_code):
        errors.add("owner_credit_code", _("A unified social credit code has 18 characters (digits and capitals)."))
    investment = _investment(errors, data.get("investment"))
    location = text_field(errors, "location", data.get("location"), required=True, max_length=200)
    land = text_field(errors, "land", data.get("land"), required=False, max_length=200)
    industry = text_field(errors, "industry", data.get("industry"), required=False, max_length=2) or DEFAULT_INDUSTRY
    if not re.fullmatch(r"\d{2}", industry):
        errors.add("industry", _("The industry is a two-digit code (e.g. 47)."))
    contact_name, contact_phone, contact_id = _contact(errors, data, actor)
    errors.raise_if_any()
    assert project_type is not None
    citizen = not actor.has_role(Role.WINDOW_CLERK)
    with transaction.atomic():
        now = clock.now()
        project = Project.objects.create(
            code=_project_code(project_type, industry, now),
            name=name,
            type=project_type,
            owner=owner,
            owner_credit_code=credit_code,
            contact_name=contact_name or owner[:100],
            contact_phone=contact_phone,
            contact_id_number=contact_id,
            investment=investment,
            location=location,
            land=land,
            applicant=actor if citizen else None,
            registered_at=now,
            registered_by=actor,
        )
        flow = list(project_type.stages.select_related("package").order_by("no"))
        ProjectStage.objects.bulk_create(
            ProjectStage(
                project=project,
                flow_stage=stage,
                no=stage.no,
                name=stage.name,
                limit_days=stage.limit_days,
                status=StageStatus.LOCKED,
            )
            for stage in flow
        )
        # The stages' lead units take part in the project from its registration (they see it in their portfolio).
        project_units_add(project.pk, (stage.package.lead_unit_id for stage in flow))
        _audit(project, "register", actor, to_state=project.status, note=f"{project_type.code} {name}")
        _stages_open(project, actor)
        project_refresh(project)
    return project


# --- stage moves --------------------------------------------------------------------------------------------------


def _stage_move(stage: ProjectStage, event: StageEvent, actor: Any, *, note: str = "") -> None:
    target = stage_next(stage.status, event)
    if target is None:
        raise InvalidTransition(
            _("Stage %(no)d cannot %(event)s while it is “%(status)s”.")
            % {"no": stage.no, "event": event.value, "status": stage.get_status_display()}
        )
    source = stage.status
    stage.status = target
    fields = ["status"]
    now = clock.now()
    if target == StageStatus.OPEN:
        stage.opened_at = now
        fields.append("opened_at")
    if target == StageStatus.DONE:
        stage.done_at = now
        fields.append("done_at")
    stage.save(update_fields=fields)
    _audit(stage.project, f"stage.{event.value}", actor, from_state=source, to_state=target, note=f"{stage.no} {note}")


def _stages_open(project: Project, actor: Any) -> list[int]:
    stages = list(project.stages.select_related("flow_stage").order_by("no"))
    opened = stages_to_open(
        [StageView(no=s.no, status=s.status, opens_with_previous=s.flow_stage.opens_with_previous) for s in stages]
    )
    for stage in stages:
        if stage.no in opened:
            stage.project = project
            _stage_move(stage, StageEvent.OPEN, actor)
    return opened


def _project_locked(project: Project | str) -> Project:
    code = project if isinstance(project, str) else project.code
    found = Project.objects.select_for_update(of=("self",)).select_related("type").filter(code=code).first()
    if found is None:
        raise NotFound(_("No project with the code %(c)s.") % {"c": code[:40]})
    return found


def project_can_act(user: Any, project: Project) -> bool:
    """Who applies for a project's stages: the hall's window clerks for any owner, a citizen for their own."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.WINDOW_CLERK):
        return True
    return bool(user.has_role(Role.CITIZEN) and project.applicant_id == user.pk)


# --- applying for a stage -----------------------------------------------------------------------------------------


def _stage_version(stage: ProjectStage) -> PackageVersion:
    package = stage.flow_stage.package
    version = package.current_version
    if version is None or not package.is_active:
        raise InvalidTransition(_("Stage %(no)d's package is not published.") % {"no": stage.no})
    return version


def project_stage_answers(project: Project, version: PackageVersion, answers: Any) -> dict[str, Any]:
    """The stage's form: what the project already answered to this package's fields (its registration, earlier
    stages), overlaid by the new answers."""
    form = project_form_reused(project, version)
    if isinstance(answers, dict):
        form.update(answers)
    return form


def _reused_codes(project: Project, version: PackageVersion, form: dict[str, Any], given: list[str]) -> list[str]:
    """The documents the project already handed in that this stage's form needs, not handed in again now."""
    try:
        cleaned = package_form_clean(version=version, data=form)
    except ValidationFailed:
        return []  # the submission names the form's problems
    needed = {m["material"].code for m in package_materials_needed(version, cleaned)}
    have = set(project.documents.values_list("code", flat=True))
    return sorted((needed & have) - set(given))


def _reused_files_attach(project: Project, package_application: PackageApplication, codes: list[str]) -> None:
    """The file of each document reused from an earlier stage goes with the new package's checklist, so its parts
    receive it as they receive a file handed in now."""
    files = dict(
        project.documents.filter(code__in=codes, attachment__isnull=False).values_list("code", "attachment_id")
    )
    for code, attachment_id in files.items():
        package_application.materials.filter(code=code, attachment__isnull=True).update(attachment_id=attachment_id)


def project_stage_apply(
    *, actor: Any, project: Project | str, no: int, data: dict[str, Any], ip_address: str | None = None
) -> PackageApplication:
    """申报: apply for an open stage (or one not passed, again): the stage's package application is submitted with
    the project's contact as applicant, the stored answers overlaid by `data["form"]`, and `data["materials"]` (merged
    material codes handed in now) plus every document the project handed in before that this stage needs. 409 when
    the stage is locked (its predecessor not done), already under way or done; 400 naming the field for a form or
    material error; nothing is stored then."""
    if not actor.has_role(Role.WINDOW_CLERK, Role.CITIZEN):
        raise PermissionDenied(_("Your role does not allow applying for a project's stage."))
    if not isinstance(data, dict):
        raise ValidationFailed(_("The application must be an object of field names and values."))
    if data.get("form") is not None and not isinstance(data.get("form"), dict):
        message = _("The form must be an object of field names and values.")
        raise ValidationFailed(message, fields={"form": [message]})
    with transaction.atomic():
        project = _project_locked(project)
        if not project_can_act(actor, project):
            if actor.has_role(Role.CITIZEN) and not actor.has_role(Role.WINDOW_CLERK):
                raise NotFound(_("No project with the code %(c)s.") % {"c": project.code})
            raise PermissionDenied(_("You cannot apply for this project."))
        stage = (
            project.stages.select_for_update(of=("self",))
            .select_related("flow_stage__package__current_version")
            .filter(no=no)
            .first()
        )
        if stage is None:
            raise NotFound(_("The project has no stage %(no)s.") % {"no": no})
        stage.project = project
        if stage_next(stage.status, StageEvent.APPLY) is None:
            if stage.status == StageStatus.LOCKED:
                raise InvalidTransition(_("Stage %(no)d opens when the stage before it is done.") % {"no": stage.no})
            raise InvalidTransition(
                _("Stage %(no)d is “%(status)s”: it cannot be applied for now.")
                % {"no": stage.no, "status": stage.get_status_display()}
            )
        version = _stage_version(stage)
        errors = FieldErrors(name_in_message=True)
        name, phone, id_number = _contact(errors, data, actor, prefix="applicant")
        errors.raise_if_any()
        name = name or project.contact_name
        phone = phone or project.contact_phone
        id_number = id_number or project.contact_id_number
        form = project_stage_answers(project, version, data.get("form"))
        raw_materials = data.get("materials")
        given = [m.strip() for m in raw_materials if isinstance(m, str)] if isinstance(raw_materials, list) else []
        reused = _reused_codes(project, version, form, given)
        materials = raw_materials if not isinstance(raw_materials, list) else [*raw_materials, *reused]
        clerk = actor.has_role(Role.WINDOW_CLERK)
        package_application = package_submit(
            actor=actor,
            data={
                "package": version.package.code,
                "channel": "window" if clerk else "online",
                "applicant_name": name,
                "applicant_phone": phone,
                "applicant_id_number": id_number,
                "form": form,
                "materials": materials,
            },
            ip_address=ip_address,
        )
        _reused_files_attach(project, package_application, reused)
        attempt = stage.applications.count() + 1
        StageApplication.objects.create(stage=stage, package_application=package_application, attempt=attempt)
        # Parts the package already fanned out (accepted on the spot) before it was the stage's.
        project_units_sync([project.pk])
        stage.package_application = package_application
        stage.started_at = stage.due_at = stage.done_at = None
        stage.elapsed_days = None
        stage.save(update_fields=["package_application", "started_at", "due_at", "done_at", "elapsed_days"])
        _stage_move(stage, StageEvent.APPLY, actor, note=f"{package_application.number} #{attempt}")
        project.form = {**(project.form or {}), **dict(package_application.form or {})}
        contact_fields = []
        for field, value in (("contact_phone", phone), ("contact_id_number", id_number)):
            if value and not getattr(project, field):
                setattr(project, field, value)
                contact_fields.append(field)
        project.save(update_fields=["form", *contact_fields])
        if reused:
            _audit(project, "documents.reuse", actor, note=f"{stage.no}: {','.join(reused)}")
    return package_application


# --- the clocks ---------------------------------------------------------------------------------------------------


def _working_days_after(start: datetime, end: datetime, cal: WorkingCalendar) -> int:
    """Working days after the day of `start` up to and including the day of `end` (the start day is not counted,
    as in deadline_add_working_days)."""
    first, last = start.astimezone(cal.tz).date(), end.astimezone(cal.tz).date()
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        count += cal.is_workday(day)
    return count


def _part_application_ids(package_application_id: int | None) -> list[int]:
    if package_application_id is None:
        return []
    return list(
        PackagePart.objects.filter(
            package_application_id=package_application_id, application_id__isnull=False
        ).values_list("application_id", flat=True)
    )


def stage_suspended_days(stage: ProjectStage, *, until: datetime, cal: WorkingCalendar) -> int:
    """Working days on which at least one part of the stage's current application stood suspended (中止: a hearing,
    testing, expert review), up to `until`: each day counted once however many parts stood at once."""
    ids = _part_application_ids(stage.package_application_id)
    if not ids:
        return 0
    days: set[date] = set()
    for started, ended in CaseSuspension.objects.filter(case_id__in=ids).values_list("started_at", "ended_at"):
        end = min(ended or until, until)
        day, last = started.astimezone(cal.tz).date(), end.astimezone(cal.tz).date()
        while day < last:
            day += timedelta(days=1)
            if cal.is_workday(day):
                days.add(day)
    return len(days)


def _stage_clock(stage: ProjectStage, now: datetime, cal: WorkingCalendar) -> list[str]:
    """The stage's deadline (acceptance + limit + the working days a part stood suspended) and working days used."""
    if stage.started_at is None:
        return []
    end = stage.done_at if stage.done_at is not None and stage.status != StageStatus.UNDER_WAY else now
    suspended = stage_suspended_days(stage, until=end, cal=cal)
    stage.due_at = deadline_add_working_days(stage.started_at, stage.limit_days + suspended, cal).due_at
    stage.elapsed_days = max(_working_days_after(stage.started_at, end, cal) - suspended, 0)
    return ["due_at", "elapsed_days"]


def project_refresh(project: Project, *, now: datetime | None = None) -> Project:
    """The clocks and the at-risk flag from the stages: each started stage's deadline and working days used, the
    project's working days (government time only: the sum of its stages', stages run side by side counted by the
    longest), its total deadline projected from the
    days left of its total limit, and `at_risk` (states.project_at_risk). Idempotent; used by the subscriber and by
    the `projects_sweep` command."""
    now = now or clock.now()
    cal = calendar_get()
    stages = list(project.stages.select_related("flow_stage").order_by("no"))
    clocks = []
    for stage in stages:
        fields = _stage_clock(stage, now, cal)
        if fields:
            stage.save(update_fields=fields)
        clocks.append(
            StageClock(
                limit_days=stage.limit_days,
                elapsed_days=stage.elapsed_days or 0,
                running=stage.status == StageStatus.UNDER_WAY and stage.started_at is not None,
                done=stage.status == StageStatus.DONE,
                with_previous=stage.flow_stage.opens_with_previous,
            )
        )
    project.elapsed_days = project_days(clocks)[0]
    limit = project.type.total_limit_days
    if project.status == ProjectStatus.UNDER_WAY:
        project.due_at = deadline_add_working_days(now, max(limit - project.elapsed_days, 0), cal).due_at
        project.at_risk = project_at_risk(clocks, limit)
    else:
        project.at_risk = False
    project.save(update_fields=["elapsed_days", "due_at", "at_risk"])
    return project


def projects_sweep(*, now: datetime | None = None) -> int:
    """Refresh every project under way (the clocks of stages running while nobody acts on them): one short
    transaction per project, its row locked, so the sweep never holds the whole portfolio. Returns the count."""
    count = 0
    ids = list(Project.objects.filter(status=ProjectStatus.UNDER_WAY).order_by("pk").values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            project = Project.objects.select_for_update(of=("self",)).select_related("type").filter(pk=pk).first()
            if project is None or project.status != ProjectStatus.UNDER_WAY:
                continue
            project_refresh(project, now=now)
            count += 1
    return count


# --- what the package applications' events do (called by subscribers.py) ------------------------------------------


_MEMO = "_project_stage_application"


def stage_application_of_package(package_application: PackageApplication | int) -> StageApplication | None:
    """The project stage attempt a package application is, or None. Remembered on the instance: a package's
    acceptance records many events on one instance (one per part started), and only the first needs the query."""
    if isinstance(package_application, int):
        return _stage_application_query(Q(package_application_id=package_application))
    if _MEMO not in package_application.__dict__:
        package_application.__dict__[_MEMO] = _stage_application_query(Q(package_application_id=package_application.pk))
    found: StageApplication | None = package_application.__dict__[_MEMO]
    return found


def _stage_application_query(q: Q) -> StageApplication | None:
    return StageApplication.objects.select_related("stage__flow_stage", "stage__project__type").filter(q).first()


def stage_application_of_part(application: Application, *, opening: bool = False) -> StageApplication | None:
    """The project stage attempt whose package an application is a part of, or None (one query). `opening`: the
    application may be an instant part approved while it is being opened, before its part row points at it: then
    the package number its submit event carries finds it."""
    found = _stage_application_query(Q(package_application__parts__application_id=application.pk))
    if found is not None or not opening:
        return found
    data = (
        CaseEvent.objects.filter(case_id=application.pk, action="submit").values_list("data", flat=True).first() or {}
    )
    number = data.get("package") if isinstance(data, dict) else None
    return _stage_application_query(Q(package_application__number=number)) if number else None


def _current(stage_application: StageApplication) -> ProjectStage | None:
    """The stage, locked after its project (one lock order everywhere: project → stage → joint acceptance), if this
    attempt is still its current one (an earlier attempt's late events change nothing)."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("type")
        .filter(stages__pk=stage_application.stage_id)
        .first()
    )
    stage = (
        ProjectStage.objects.select_for_update(of=("self",))
        .select_related("flow_stage")
        .filter(pk=stage_application.stage_id)
        .first()
    )
    if project is None or stage is None or stage.package_application_id != stage_application.package_application_id:
        return None
    stage.project = project
    return stage


def project_on_package_accepted(*, package_application: PackageApplication, actor: Any) -> None:
    """受理 of a stage's package: the stage's clock starts (deadline = acceptance + limit, in working days), the
    documents received become the project's (reused by later stages), and a stage with joint matters opens its
    joint acceptance with its own limit."""
    stage_application = stage_application_of_package(package_application)
    if stage_application is None:
        return
    stage = _current(stage_application)
    if stage is None:
        return
    accepted_at = package_application.accepted_at or clock.now()
    stage.started_at = accepted_at
    stage.save(update_fields=["started_at"])
    project = stage.project
    for receipt in package_application.materials.filter(received=True):
        document, created = ProjectDocument.objects.get_or_create(
            project=project,
            code=receipt.code,
            defaults={
                "name": receipt.name,
                "attachment_id": receipt.attachment_id,
                "stage_no": stage.no,
                "received_at": accepted_at,
            },
        )
        if not created and document.attachment_id is None and receipt.attachment_id is not None:
            document.attachment_id = receipt.attachment_id
            document.save(update_fields=["attachment"])
    flow = stage.flow_stage
    if flow.joint_matters:
        limit = flow.joint_limit_days or stage.limit_days
        JointAcceptance.objects.get_or_create(
            stage_application=stage_application,
            defaults={"due_at": deadline_add_working_days(accepted_at, limit, calendar_get()).due_at},
        )
    _audit(project, "stage.accept", actor, to_state=stage.status, note=f"{stage.no} {package_application.number}")
    project_refresh(project)


def _part_states(package_application_id: int, codes: set[str] | None = None) -> list[tuple[str, bool]]:
    parts = PackagePart.objects.select_related("matter", "application").filter(
        package_application_id=package_application_id
    )
    states = []
    for part in parts:
        if codes is not None and part.matter.code not in codes:
            continue
        state = package_part_state(part)
        approved = state == ApplicationStatus.APPROVED
        if state == ApplicationStatus.CLOSED and part.application is not None:
            approved = _closed_approved(part.application)
        states.append((state, approved))
    return states


def _closed_approved(application: Application) -> bool:
    decision = (
        CaseEvent.objects.filter(
            case_id=application.pk, to_status__in=[ApplicationStatus.APPROVED, ApplicationStatus.DENIED]
        )
        .order_by("-occurred_at", "-id")
        .values_list("to_status", flat=True)
        .first()
    )
    return decision == ApplicationStatus.APPROVED


def project_on_package_settled(*, package_application: PackageApplication, actor: Any, refused: bool = False) -> None:
    """The stage's package was decided (every part has its outcome) or refused: the joint acceptance settles, the
    stage is done (every part approved) or not passed; a done stage opens the next ones; the last done completes
    the project."""
    stage_application = stage_application_of_package(package_application)
    if stage_application is None:
        return
    stage = _current(stage_application)
    if stage is None or stage.status != StageStatus.UNDER_WAY:
        return
    project = stage.project
    # Every part has its application by now: the participation checked against the joins once per attempt.
    project_units_sync([project.pk])
    joint_settle(stage_application=stage_application, actor=actor)
    event = StageEvent.FAIL if refused else stage_outcome_of(_part_states(package_application.pk))
    if event is None:
        return
    now = clock.now()
    cal = calendar_get()
    stage.done_at = now
    _stage_clock(stage, now, cal)
    stage.save(update_fields=["done_at", "due_at", "elapsed_days"])
    _stage_move(stage, event, actor, note=package_application.number)
    if event is StageEvent.PASS:
        _stages_open(project, actor)
        if not project.stages.exclude(status=StageStatus.DONE).exists():
            project.status, project.completed_at = ProjectStatus.COMPLETED, now
            project.save(update_fields=["status", "completed_at"])
            _audit(project, "complete", actor, from_state=ProjectStatus.UNDER_WAY, to_state=ProjectStatus.COMPLETED)
    project_refresh(project, now=now)


def project_on_part_clock(*, application: Application) -> None:
    """A part was suspended or resumed: the stage's deadline and the project's clocks move."""
    stage_application = stage_application_of_part(application)
    if stage_application is None:
        return
    stage = _current(stage_application)
    if stage is None:
        return
    project_refresh(stage.project)


# --- 告知承诺 -------------------------------------------------------------------------------------------------------


def commitment_approver(unit: Unit) -> User:
    """The account a unit's approvals on commitment are recorded under: a handler of that unit that cannot log in
    (no usable password, inactive), as the dispatch and supervision jobs act. A commitment approval needs no
    substantive review, so no person of the unit takes it; the unit still owns it and verifies it later."""
    username = f"{SYSTEM_USERNAME_PREFIX}{unit.code}"[:150]
    user, created = User.objects.get_or_create(
        username=username, defaults={"display_name": _("Approval on commitment")[:50], "unit": unit, "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    group, _created = Group.objects.get_or_create(name=Role.HANDLER.value)
    user.groups.add(group)
    user.__dict__.pop("roles", None)
    return user


# The part being approved on commitment right now (its number → its stage attempt), for the permit terms hook: the
# part's row does not point at its application until the package's fan-out round ends.
_COMMITTING = threading.local()
_COMMITMENT_MARK = "_project_commitment_stage"


def project_on_part_submitted(*, application: Application, package_number: str) -> None:
    """A part of a package was registered: if the package is a project stage's and the matter one of its 告知承诺
    matters, the application is marked (in memory) to be approved on commitment as soon as it is accepted."""
    stage_application = _stage_application_query(Q(package_application__number=package_number))
    if stage_application is None:
        return
    # The approval's unit takes part in the project from now on (its part row points at it when the round ends).
    project_units_add(stage_application.stage.project_id, [application.primary_unit_id])
    if application.matter.code in set(stage_application.stage.flow_stage.commitment_matters or []):
        application.__dict__[_COMMITMENT_MARK] = stage_application


def project_on_part_accepted(*, application: Application) -> None:
    """A part marked at its registration was accepted with its package (the stage's acceptance): approved at once on
    the applicant's written commitment (no substantive review), by its own unit through its system account; its
    permit is issued on commitment (the terms hook says so) and verified later. The instance the package holds is
    refreshed, so the package sees the part approved and starts what waited for it. A commitment part left at the
    window (materials missing) is decided by its unit as any other."""
    stage_application: StageApplication | None = application.__dict__.pop(_COMMITMENT_MARK, None)
    if stage_application is None:
        return
    unit = application.primary_unit or application.matter_version.unit
    _COMMITTING.current = {application.number: stage_application}
    try:
        application_approve(
            application=application.number,
            actor=commitment_approver(unit),
            note=_("Approved on commitment (告知承诺): the unit verifies the facts later."),
        )
    finally:
        _COMMITTING.current = {}
    application.refresh_from_db()
    _audit(
        stage_application.stage.project,
        "commitment.approve",
        None,
        to_state=ApplicationStatus.APPROVED,
        note=f"{stage_application.stage.no} {application.matter.code} {application.number}",
    )


# --- the joint acceptance (联合验收) ---------------------------------------------------------------------------------


def joint_settle(*, stage_application: StageApplication, actor: Any) -> JointAcceptance | None:
    """When every joint part is approved: the ONE result (joint_result_name) is issued by the stage's lead unit on
    the stage's package application, and the acceptance passed; a joint part not approved: failed. Idempotent."""
    joint = JointAcceptance.objects.select_for_update().filter(stage_application=stage_application).first()
    if joint is None or joint.status != JointAcceptanceStatus.INSPECTING:
        return joint
    stage = stage_application.stage
    flow = stage.flow_stage
    outcome = joint_outcome(_part_states(stage_application.package_application_id, set(flow.joint_matters)))
    if outcome is None:
        return joint
    package_application = PackageApplication.objects.select_related("package_version__lead_unit").get(
        pk=stage_application.package_application_id
    )
    project = stage.project
    if outcome is StageEvent.PASS:
        permit_issue(
            case=package_application,
            matter=None,
            unit=package_application.package_version.lead_unit,
            holder_name=project.owner,
            kind=flow.joint_result_name or _("Joint acceptance opinion"),
            actor=actor,
            project_id=project.pk,
        )
    joint.status = JointAcceptanceStatus.PASSED if outcome is StageEvent.PASS else JointAcceptanceStatus.FAILED
    joint.decided_at = clock.now()
    joint.save(update_fields=["status", "decided_at"])
    _audit(
        project,
        "joint.decide",
        actor,
        from_state=JointAcceptanceStatus.INSPECTING,
        to_state=joint.status,
        note=f"{stage.no} {package_application.number}",
    )
    return joint


def project_on_part_decided(*, application: Application, actor: Any) -> None:
    """A part of a stage was decided: if it is a joint part, the joint acceptance may now settle."""
    stage_application = stage_application_of_part(application)
    if stage_application is None:
        return
    if application.matter.code not in set(stage_application.stage.flow_stage.joint_matters or []):
        return
    if _current(stage_application) is None:
        return
    joint_settle(stage_application=stage_application, actor=actor)


@transaction.atomic
def project_joint_schedule(*, actor: Any, project: Project | str, no: int, inspect_on: Any) -> JointAcceptance:
    """The stage's lead unit sets the day the units inspect together, within the joint acceptance's limit."""
    project = _project_locked(project)
    stage = project.stages.select_related("flow_stage__package").filter(no=no).first()
    if stage is None:
        raise NotFound(_("The project has no stage %(no)s.") % {"no": no})
    lead = stage.flow_stage.package.lead_unit_id
    units = _acting_units(actor)
    if not actor.has_role(Role.HANDLER, Role.UNIT_ADMIN) or lead not in units:
        raise PermissionDenied(_("Only the stage's lead unit schedules its joint inspection."))
    joint = (
        JointAcceptance.objects.select_for_update(of=("self",))
        .filter(stage_application__package_application_id=stage.package_application_id)
        .first()
    )
    if joint is None or joint.status != JointAcceptanceStatus.INSPECTING:
        raise InvalidTransition(_("This stage has no joint acceptance waiting for its inspection."))
    day = _date(inspect_on)
    today = timezone.localdate(clock.now())
    latest = timezone.localtime(joint.due_at).date() if joint.due_at is not None else None
    if day is None or day < today or (latest is not None and day > latest):
        message = _("Choose a day from today to the joint acceptance's deadline.")
        raise ValidationFailed(message, fields={"inspect_on": [message]})
    previous = joint.inspect_on
    joint.inspect_on = day
    joint.save(update_fields=["inspect_on"])
    _audit(project, "joint.schedule", actor, note=f"{stage.no} {previous or ''} → {day.isoformat()}")
    return joint


def _acting_units(user: Any) -> set[int]:
    unit = getattr(user, "unit", None)
    if unit is None:
        return set()
    return unit.descendant_ids() if user.has_role(Role.UNIT_ADMIN) else {unit.pk}


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


# --- the permit terms hook (registered in apps.py) ----------------------------------------------------------------


def project_permit_terms(application: Any) -> PermitTerms | None:
    """What the approval of a stage's part issues: the flow's document for the matter (default: the matter's
    decision), under the project, held by its owner; on commitment for a 告知承诺 matter; nothing of its own for a
    joint acceptance's inspection (the stage issues the one result). None for an application outside any project."""
    if not isinstance(application, Application):
        return None
    stage_application = getattr(_COMMITTING, "current", {}).get(application.number)
    committed = stage_application is not None
    if stage_application is None:
        instant = bool(getattr(application.matter_version, "instant", False))
        stage_application = stage_application_of_part(application, opening=instant)
    if stage_application is None:
        return None
    flow: FlowStage = stage_application.stage.flow_stage
    project = stage_application.stage.project
    code = application.matter.code
    if code in set(flow.joint_matters or []):
        return PermitTerms(kind=None, project_id=project.pk)
    kind = str((flow.permit_kinds or {}).get(code) or "") or permit_terms_default(application).kind or ""
    # On commitment only when approved so (at the stage's acceptance); a commitment matter its unit decided after
    # a review (the part waited at the window for materials) issues an ordinary permit.
    on_commitment = committed and code in set(flow.commitment_matters or [])
    return PermitTerms(
        kind=kind[:100],
        project_id=project.pk,
        on_commitment=on_commitment,
        verify_days=_verify_days() if on_commitment else 0,
        holder_name=project.owner,
    )


def _verify_days() -> int:
    value = settings.GOVDESK.get("PROJECT_COMMITMENT_VERIFY_DAYS", COMMITMENT_VERIFY_DAYS)
    return int(value) if isinstance(value, int | str) else COMMITMENT_VERIFY_DAYS
