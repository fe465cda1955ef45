"""API: construction projects (contract: issue 13). `POST /api/v1/projects/` registers a project; `GET
/api/v1/projects/` and `/{code}/` read them; `POST /api/v1/projects/{code}/stages/{no}/apply/` applies for a stage
(its package application, 201); `POST …/stages/{no}/joint-inspection/` schedules a joint acceptance's inspection.

Thin: each parses its input, calls ONE service or selector and renders; services raise ApplicationError subclasses,
which the common exception handler turns into `{"code", "message"[, "fields"]}` with 400, 403, 404 or 409.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.applications.serializers import MaterialCodesField
from govdesk.common.api import Pagination, error_responses
from govdesk.common.errors import NotFound, PermissionDenied
from govdesk.common.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from govdesk.common.masking import mask_id_number, mask_phone
from govdesk.org.models import Role
from govdesk.packages.case_apis import PackageApplicationOutput, package_application_data

from . import selectors, services
from .models import Project, ProjectStatus

CODE_MAX_LENGTH = 40


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(allow_blank=True, trim_whitespace=False, **kwargs)


class ProjectCreateInput(serializers.Serializer):
    name = _text(max_length=400)
    type = serializers.CharField(max_length=32, help_text="The project type's code (GET /api/v1/project-types/).")
    owner = _text(max_length=400, help_text="建设单位.")
    investment = serializers.CharField(max_length=40, help_text='In 10,000 yuan (万元), e.g. "1200.50".')
    location = _text(max_length=400)
    land = _text(max_length=400, required=False)
    owner_credit_code = _text(max_length=40, required=False)
    industry = _text(max_length=4, required=False, help_text="Two-digit industry code of the 项目代码 (default 47).")
    contact_name = _text(max_length=200, required=False, help_text="Default: a citizen's own name, else the owner.")
    contact_phone = _text(max_length=40, required=False, help_text="Default: a citizen's own phone.")
    contact_id_number = _text(
        max_length=40, required=False, help_text="Needed before a stage is applied for (the applicant's ID number)."
    )


class StageApplyInput(serializers.Serializer):
    form = serializers.DictField(required=False, help_text="New answers; the project's earlier answers are reused.")
    materials = MaterialCodesField(
        required=False, help_text="Merged material codes handed in now; documents handed in before are reused."
    )
    applicant_name = _text(max_length=200, required=False, help_text="Default: the project's contact.")
    applicant_phone = _text(max_length=40, required=False, help_text="Default: the project's contact phone.")
    applicant_id_number = _text(max_length=40, required=False, help_text="Default: the project's contact ID number.")


class JointScheduleInput(serializers.Serializer):
    inspect_on = serializers.DateField()


class ProjectStageOutput(serializers.Serializer):
    no = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField(help_text="locked, open, under_way, not_passed or done.")
    limit_days = serializers.IntegerField()
    opened_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True, help_text="The package's acceptance: the clock starts.")
    due_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    elapsed_days = serializers.IntegerField(allow_null=True)
    package_application = serializers.CharField(allow_null=True, help_text="The current attempt's number.")


class ProjectOutput(serializers.Serializer):
    """Documentation of a project's body (built by `project_data`)."""

    code = serializers.CharField(help_text="项目代码: YYYY-district-industry-type-sequence.")
    name = serializers.CharField()
    type = serializers.CharField()
    type_name = serializers.CharField()
    owner = serializers.CharField()
    owner_credit_code = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField(help_text="Masked except for the hall and the registering citizen.")
    contact_id_number = serializers.CharField(help_text="Masked except for the hall and the registering citizen.")
    investment = serializers.CharField()
    location = serializers.CharField()
    land = serializers.CharField()
    status = serializers.ChoiceField(choices=ProjectStatus.choices)
    registered_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    elapsed_days = serializers.IntegerField()
    total_limit_days = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    at_risk = serializers.BooleanField()
    stages = ProjectStageOutput(many=True)


def project_data(user: Any, project: Project) -> dict[str, Any]:
    reveal = selectors.project_reveals_contact(user, project)
    body: dict[str, Any] = {
        "code": project.code,
        "name": project.name,
        "type": project.type.code,
        "type_name": project.type.name,
        "owner": project.owner,
        "owner_credit_code": project.owner_credit_code,
        "contact_name": project.contact_name,
        "contact_phone": project.contact_phone if reveal else mask_phone(project.contact_phone),
        "contact_id_number": project.contact_id_number if reveal else mask_id_number(project.contact_id_number),
        "investment": str(project.investment),
        "location": project.location,
        "land": project.land,
        "status": project.status,
        "registered_at": project.registered_at,
        "completed_at": project.completed_at,
        "elapsed_days": project.elapsed_days,
        "total_limit_days": project.type.total_limit_days,
        "due_at": project.due_at,
        "at_risk": project.at_risk,
    }
    body["stages"] = [
        {
            "no": stage.no,
            "name": stage.name,
            "status": stage.status,
            "limit_days": stage.limit_days,
            "opened_at": stage.opened_at,
            "started_at": stage.started_at,
            "due_at": stage.due_at,
            "done_at": stage.done_at,
            "elapsed_days": stage.elapsed_days,
            "package_application": stage.package_application.number if stage.package_application else None,
        }
        for stage in project.stages.all()  # in order (prefetched by the selectors, else the model's ordering)
    ]
    return body


def _not_found(code: str) -> NotFound:
    return NotFound(_("No project with the code %(c)s.") % {"c": code[:CODE_MAX_LENGTH]})


def _visible(user: Any, code: str) -> Project:
    """The project if the caller may see it; 404 if there is none (and for a citizen asking for another's); 403 for
    staff asking for one outside their units."""
    found = selectors.project_get(user=user, code=code)
    if found is not None:
        return found
    citizen_only = user.has_role(Role.CITIZEN) and not user.has_role(Role.WINDOW_CLERK, Role.HANDLER, Role.UNIT_ADMIN)
    if not citizen_only and Project.objects.filter(code=code[:CODE_MAX_LENGTH]).exists():
        raise PermissionDenied(_("You cannot see this project."))
    raise _not_found(code)


READ_ROLES = (Role.WINDOW_CLERK, Role.CITIZEN, Role.HANDLER, Role.UNIT_ADMIN, Role.SUPERVISOR, Role.LEADER)


def _check_reader(user: Any) -> None:
    if not user.has_role(*READ_ROLES):
        raise PermissionDenied(_("Your role does not allow reading construction projects."))


class ProjectListApi(APIView):
    """The projects the caller may see (`?type=`, `?status=`, `?at_risk=true`, `?q=`); POST registers one."""

    class FilterSerializer(serializers.Serializer):
        type = serializers.CharField(required=False, allow_blank=True, max_length=32)
        status = serializers.ChoiceField(required=False, allow_blank=True, choices=ProjectStatus.choices)
        at_risk = serializers.BooleanField(required=False, default=False)
        q = serializers.CharField(required=False, allow_blank=True, max_length=100)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: ProjectOutput(many=True), **error_responses(400, 401, 403)},
        summary="Construction projects",
    )
    def get(self, request: Request) -> Response:
        _check_reader(request.user)
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        projects = selectors.project_list(user=request.user, filters=dict(params.validated_data))
        paginator = Pagination()
        page = paginator.paginate_queryset(projects, request, view=self)
        return paginator.get_paginated_response([project_data(request.user, project) for project in page or []])

    @extend_schema(
        request=ProjectCreateInput,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: ProjectOutput, **error_responses(400, 401, 403, 409)},
        summary="Register a construction project",
    )
    @idempotent()
    def post(self, request: Request) -> Response:
        form = ProjectCreateInput(data=request.data)
        form.is_valid(raise_exception=True)
        project = services.project_register(actor=request.user, data=dict(form.validated_data))
        return Response(
            project_data(request.user, project), status=201, headers={"Location": f"/api/v1/projects/{project.code}/"}
        )


class ProjectDetailApi(APIView):
    @extend_schema(responses={200: ProjectOutput, **error_responses(401, 403, 404)}, summary="Construction project")
    def get(self, request: Request, code: str) -> Response:
        _check_reader(request.user)
        return Response(project_data(request.user, _visible(request.user, code)))


class ProjectStageApplyApi(APIView):
    @extend_schema(
        request=StageApplyInput,
        responses={201: PackageApplicationOutput, **error_responses(400, 401, 403, 404, 409)},
        summary="Apply for a stage of a construction project",
    )
    def post(self, request: Request, code: str, no: int) -> Response:
        form = StageApplyInput(data=request.data)
        form.is_valid(raise_exception=True)
        package_application = services.project_stage_apply(
            actor=request.user,
            project=code[:CODE_MAX_LENGTH],
            no=no,
            data=dict(form.validated_data),
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )
        return Response(
            package_application_data(request, package_application),
            status=201,
            headers={"Location": f"/api/v1/applications/{package_application.number}/"},
        )


class ProjectJointScheduleApi(APIView):
    @extend_schema(
        request=JointScheduleInput,
        responses={200: ProjectOutput, **error_responses(400, 401, 403, 404, 409)},
        summary="Schedule a stage's joint inspection (联合验收)",
    )
    def post(self, request: Request, code: str, no: int) -> Response:
        form = JointScheduleInput(data=request.data)
        form.is_valid(raise_exception=True)
        services.project_joint_schedule(
            actor=request.user, project=code[:CODE_MAX_LENGTH], no=no, inspect_on=form.validated_data["inspect_on"]
        )
        return Response(project_data(request.user, _visible(request.user, code)))
