"""API: the published construction project types and their flows (contract: issue 13), as the package catalogue's
API publishes packages: public guide information (办事指南) for any logged-in user or API token."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import error_responses
from govdesk.common.errors import NotFound

from . import selectors
from .models import FlowStage


@extend_schema_serializer(component_name="FlowStage")
class FlowStageSerializer(serializers.Serializer):
    no = serializers.IntegerField()
    name = serializers.CharField()
    lead_unit = serializers.SerializerMethodField(help_text="Code of the stage's lead unit (its package's).")
    lead_unit_name = serializers.SerializerMethodField()
    package = serializers.CharField(source="package.code", help_text="Code of the stage's package (一件事).")
    limit_days = serializers.IntegerField(help_text="The stage's time limit in working days.")
    opens_with_previous = serializers.BooleanField(help_text="Opens together with the stage before it.")
    matters = serializers.SerializerMethodField(help_text="Codes of the stage's matters, in order.")
    commitment_matters = serializers.ListField(
        child=serializers.CharField(), help_text="Matters approved on the applicant's commitment (告知承诺)."
    )
    joint_matters = serializers.ListField(
        child=serializers.CharField(), help_text="Matters inspected together as the joint acceptance (联合验收)."
    )
    joint_result_name = serializers.CharField()
    joint_limit_days = serializers.IntegerField()
    permit_kinds = serializers.DictField(
        child=serializers.CharField(), help_text="Matter code → the document its approval issues."
    )

    def _version(self, stage: FlowStage) -> Any:
        return stage.package.current_version

    def get_lead_unit(self, stage: FlowStage) -> str | None:
        version = self._version(stage)
        return version.lead_unit.code if version is not None else None

    def get_lead_unit_name(self, stage: FlowStage) -> str | None:
        version = self._version(stage)
        return version.lead_unit.name if version is not None else None

    def get_matters(self, stage: FlowStage) -> list[str]:
        version = self._version(stage)
        return [item.matter.code for item in version.items.all()] if version is not None else []


@extend_schema_serializer(component_name="ProjectType")
class ProjectTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    total_limit_days = serializers.IntegerField(help_text="The promised total in working days of government time.")
    stages = FlowStageSerializer(many=True, source="stages.all")


class ProjectTypeListApi(APIView):
    """The active construction project types with their stages, in catalogue order (a handful: not paginated)."""

    @extend_schema(
        responses={200: ProjectTypeSerializer(many=True), **error_responses(401)},
        summary="Construction project types (工程建设项目类型)",
    )
    def get(self, request: Request) -> Response:
        return Response(ProjectTypeSerializer(selectors.project_type_list(), many=True).data)


class ProjectTypeDetailApi(APIView):
    @extend_schema(
        responses={200: ProjectTypeSerializer, **error_responses(401, 404)},
        summary="Construction project type (工程建设项目类型)",
    )
    def get(self, request: Request, code: str) -> Response:
        project_type = selectors.project_type_list().filter(code=code[:32]).first()
        if project_type is None:
            shown = code[:32].encode("unicode_escape").decode()  # a control character is shown, never echoed
            raise NotFound(_("There is no project type with the code %(code)s.") % {"code": shown})
        return Response(ProjectTypeSerializer(project_type).data)
