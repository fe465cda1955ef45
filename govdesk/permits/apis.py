"""API: the permit registry (contract: issue 13, `GET /api/v1/permits/?project={code}`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import Pagination, error_responses

from . import selectors
from .models import Permit

STATUS_CHOICES = [selectors.DISPLAY_VALID, selectors.DISPLAY_REVOKED, selectors.DISPLAY_ON_COMMITMENT]


@extend_schema_serializer(component_name="Permit")
class PermitSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.CharField()
    unit = serializers.CharField(source="unit.code", help_text="The issuing unit's code.")
    unit_name = serializers.CharField(source="unit.name")
    project = serializers.SerializerMethodField(help_text="The construction project's code, or null.")
    matter = serializers.SerializerMethodField(help_text="The matter's code, or null.")
    case = serializers.CharField(source="case.number", help_text="The application it decided.")
    issued_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField(help_text="valid, revoked or on_commitment (not yet verified).")
    holder = serializers.SerializerMethodField(help_text="A person's name masked unless the caller needs it.")
    on_commitment = serializers.BooleanField()
    verify_due_at = serializers.DateTimeField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_project(self, permit: Permit) -> str | None:
        return permit.project.code if permit.project is not None else None

    def get_matter(self, permit: Permit) -> str | None:
        return permit.matter.code if permit.matter is not None else None

    def get_status(self, permit: Permit) -> str:
        return selectors.permit_display_status(permit)

    def get_holder(self, permit: Permit) -> str:
        return selectors.permit_holder_for(self.context["request"].user, permit)


class PermitListApi(APIView):
    """The permits the caller may see, newest first: supervisors, leaders and the hall every one, a unit's staff
    their unit's, a citizen their own. `?project=` a project code, `?unit=` a unit code, `?number=`, `?status=`."""

    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        project = serializers.CharField(required=False, allow_blank=True, max_length=40)
        unit = serializers.CharField(required=False, allow_blank=True, max_length=32)
        number = serializers.CharField(required=False, allow_blank=True, max_length=64)
        status = serializers.ChoiceField(required=False, allow_blank=True, choices=STATUS_CHOICES)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: PermitSerializer(many=True), **error_responses(400, 401)},
        summary="Permits in the registry",
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters: dict[str, Any] = dict(params.validated_data)
        permits = selectors.permit_list(user=request.user, filters=filters)
        paginator = Pagination()
        page = paginator.paginate_queryset(permits, request, view=self)
        body = PermitSerializer(page or [], many=True, context={"request": request}).data
        return paginator.get_paginated_response(body)
