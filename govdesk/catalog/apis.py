"""API: the category tree and the request types, for intake forms and filters.

Unpaginated on purpose: the tree is a few hundred rows and pickers need all of it at once.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import error_responses

from .models import Category, RequestType


def _category_list(*, leaves_only: bool = False) -> QuerySet[Category]:
    """Active categories with `leaf` annotated in the same query (no per-row `children.exists()`)."""
    has_children = Category.objects.filter(parent=OuterRef("pk"), is_active=True)
    qs = Category.objects.filter(is_active=True).annotate(leaf=~Exists(has_children))
    return qs.filter(leaf=True) if leaves_only else qs


class CategoryListApi(APIView):
    """Categories; `?leaf=1` gives only the leaves, which are what an order may be filed under."""

    @extend_schema_serializer(component_name="CategoryFilter")
    class FilterSerializer(serializers.Serializer):
        leaf = serializers.BooleanField(required=False, default=False, help_text="1: only leaf categories.")

    @extend_schema_serializer(component_name="Category")
    class OutputSerializer(serializers.ModelSerializer):
        is_leaf = serializers.BooleanField(source="leaf")

        class Meta:
            model = Category
            fields = ["id", "path", "name", "level", "parent", "is_leaf"]

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True), **error_responses(400, 401)},
        summary="Categories",
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        categories = _category_list(leaves_only=params.validated_data["leaf"])
        return Response(self.OutputSerializer(categories, many=True).data)


class RequestTypeListApi(APIView):
    """The six request types (咨询, 求助, 投诉, 举报, 建议, 表扬); `allows_direct_answer` marks consultations."""

    @extend_schema_serializer(component_name="RequestType")
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = RequestType
            fields = ["code", "name", "allows_direct_answer"]

    @extend_schema(responses={200: OutputSerializer(many=True), **error_responses(401)}, summary="Request types")
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(RequestType.objects.all(), many=True).data)
