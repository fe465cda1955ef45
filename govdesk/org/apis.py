"""API: who am I, and the units tree (logging in and out: govdesk.security.apis).

Thin views (HackSoft style): parse the input, call one service or selector, render. Errors leave as
`{"code", "message"[, "fields"]}` through govdesk.common.api.exception_handler.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import error_responses

from .models import Unit


class MeApi(APIView):
    """The caller's identity, roles and unit: what a client needs to decide which screens to offer."""

    @extend_schema_serializer(component_name="Me")
    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        display_name = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        unit = serializers.CharField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer, **error_responses(401)}, summary="The current user")
    def get(self, request: Request) -> Response:
        user: Any = request.user
        unit = user.unit
        data = {
            "username": user.username,
            "display_name": user.display_name or user.username,
            "roles": sorted(user.roles),
            "unit": unit.code if unit is not None else None,
        }
        return Response(self.OutputSerializer(data).data)


class UnitListApi(APIView):
    """Active units in display order; clients rebuild the tree from `parent`.

    Unpaginated: a district has a few hundred units, and pickers need them all at once.
    """

    @extend_schema_serializer(component_name="Unit")
    class OutputSerializer(serializers.ModelSerializer):
        # The output key is "parent" (a unit code); the stubs type `Field.parent` as the enclosing serializer.
        parent = serializers.SlugRelatedField(  # type: ignore[assignment,var-annotated]
            slug_field="code", read_only=True, allow_null=True
        )

        class Meta:
            model = Unit
            fields = ["code", "name", "kind", "parent", "accepts_orders"]

    @extend_schema(responses={200: OutputSerializer(many=True), **error_responses(401)}, summary="Units")
    def get(self, request: Request) -> Response:
        units = Unit.objects.filter(is_active=True).select_related("parent")
        return Response(self.OutputSerializer(units, many=True).data)
