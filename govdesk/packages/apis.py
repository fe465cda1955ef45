"""API: the published package catalogue (一件事) for counters, online forms and outside tools (contract: issue 12)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import Pagination, error_responses
from govdesk.matters.apis import MatterFieldSerializer

from . import selectors
from .models import LifeEvent, PackageVersion


class PackageFieldSerializer(MatterFieldSerializer):
    required_if = serializers.DictField(required=False, help_text='{"field": name, "equals": value}')


@extend_schema_serializer(component_name="PackageItem")
class PackageItemSerializer(serializers.Serializer):
    matter = serializers.CharField(source="matter.code")
    name = serializers.CharField(source="matter.name")
    unit = serializers.CharField(source="matter.unit.code")
    depends_on = serializers.ListField(child=serializers.CharField(), help_text="Matter codes this one waits for.")
    condition = serializers.DictField(help_text='{} when always needed, else {"field": name, "equals": value}.')
    field_map = serializers.DictField(child=serializers.CharField(), help_text="Package field → the matter's field.")


@extend_schema_serializer(component_name="PackageMaterial")
class PackageMaterialSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    matters = serializers.SerializerMethodField(help_text="Codes of the matters this material is handed in for.")

    def get_matters(self, material: Any) -> list[str]:
        return list(dict.fromkeys(source["matter"] for source in material.sources))


@extend_schema_serializer(component_name="Package")
class PackageSerializer(serializers.Serializer):
    """A package as its current published version describes it."""

    code = serializers.CharField(source="package.code")
    name = serializers.CharField()
    life_event = serializers.ChoiceField(choices=LifeEvent.choices)
    lead_unit = serializers.CharField(source="lead_unit.code")
    lead_unit_name = serializers.CharField(source="lead_unit.name")
    description = serializers.CharField()
    promised_limit_days = serializers.IntegerField()
    matters = serializers.SerializerMethodField(help_text="Codes of the bundled matters, in order.")
    fields = PackageFieldSerializer(many=True)  # type: ignore[assignment]
    materials = PackageMaterialSerializer(many=True)
    items = PackageItemSerializer(many=True)
    version = serializers.IntegerField()

    def get_matters(self, version: PackageVersion) -> list[str]:
        return [item.matter.code for item in version.items.all()]


def _versions(packages: Any) -> list[PackageVersion]:
    versions = []
    for package in packages:
        version = package.current_version
        version.package = package  # already loaded: no query per row for `package.code`
        versions.append(version)
    return versions


class PackageListApi(APIView):
    """The published packages, by code; `?q=` name or pinyin initials, `?life_event=`, `?lead_unit=` a unit code."""

    pagination_class = Pagination

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=50)
        life_event = serializers.ChoiceField(required=False, allow_blank=True, choices=LifeEvent.choices)
        lead_unit = serializers.CharField(required=False, allow_blank=True, max_length=32)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: PackageSerializer(many=True), **error_responses(400, 401)},
        summary="Packages (一件事)",
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        packages = selectors.package_list_with_versions(
            q=params.validated_data.get("q", ""),
            life_event=params.validated_data.get("life_event", ""),
            unit_code=params.validated_data.get("lead_unit", ""),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(packages, request, view=self)
        return paginator.get_paginated_response(PackageSerializer(_versions(page or []), many=True).data)


class PackageDetailApi(APIView):
    @extend_schema(responses={200: PackageSerializer, **error_responses(401, 404)}, summary="Package (一件事)")
    def get(self, request: Request, code: str) -> Response:
        return Response(PackageSerializer(selectors.package_get(code)).data)
