"""API: the published matter catalogue, for counters, online forms and outside tools (contract in issue 11)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import Pagination, error_responses

from . import selectors
from .models import MatterMaterial, MatterVersion


class MatterFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    type = serializers.CharField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    choices = serializers.ListField(child=serializers.CharField())
    max_length = serializers.IntegerField(required=False)
    pattern = serializers.CharField(required=False)
    help = serializers.CharField(required=False)


@extend_schema_serializer(component_name="MatterMaterial")
class MatterMaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = MatterMaterial
        fields = ["code", "name", "required", "form", "copies", "source"]


@extend_schema_serializer(component_name="Matter")
class MatterSerializer(serializers.Serializer):
    """A matter as its current published version describes it."""

    code = serializers.CharField(source="matter.code")
    name = serializers.CharField()
    type = serializers.CharField()
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    legal_limit_days = serializers.IntegerField()
    promised_limit_days = serializers.IntegerField()
    instant = serializers.BooleanField()
    visits = serializers.IntegerField()
    fee = serializers.CharField()
    fields = MatterFieldSerializer(many=True)  # type: ignore[assignment]
    materials = MatterMaterialSerializer(many=True)
    version = serializers.IntegerField()


def _versions(matters: Any) -> list[MatterVersion]:
    versions = []
    for matter in matters:
        version = matter.current_version
        version.matter = matter  # already loaded: no query per row for `matter.code`
        versions.append(version)
    return versions


class MatterListApi(APIView):
    """The published catalogue, by code; `?q=` name or pinyin initials (e.g. yyzz), `?unit=` a unit code."""

    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=50)
        unit = serializers.CharField(required=False, allow_blank=True, max_length=32)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: MatterSerializer(many=True), **error_responses(400, 401)},
        summary="Matters",
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        matters = selectors.matter_list(
            q=params.validated_data.get("q", ""), unit_code=params.validated_data.get("unit", "")
        ).prefetch_related(
            Prefetch("current_version__materials", queryset=MatterMaterial.objects.order_by("order", "code")),
            "current_version__unit",
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(matters, request, view=self)
        return paginator.get_paginated_response(MatterSerializer(_versions(page or []), many=True).data)


class MatterDetailApi(APIView):
    @extend_schema(responses={200: MatterSerializer, **error_responses(401, 404)}, summary="Matter")
    def get(self, request: Request, code: str) -> Response:
        return Response(MatterSerializer(selectors.matter_get(code)).data)
