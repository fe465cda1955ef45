"""Duplicates and hotspots API: similar open orders of an order, candidates for a message being typed, hotspots.

Thin views: parse, call one selector, render. Errors use the platform's one shape `{"code", "message"[, "fields"]}`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import error_responses
from govdesk.common.errors import PermissionDenied
from govdesk.common.parsers import BoundedJSONParser
from govdesk.org.models import Role
from govdesk.workorders.apis import _visible_order
from govdesk.workorders.models import CONTENT_MAX_LENGTH

from . import duplicates, hotspots

INTAKE_ROLES = (Role.OPERATOR, Role.DISPATCHER)
HOTSPOT_ROLES = (Role.SUPERVISOR, Role.DISPATCHER)


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="similar_text, same_street or same_address")
    message = serializers.CharField()


class CandidateSerializer(serializers.Serializer):
    number = serializers.CharField(source="order.number")
    title = serializers.CharField(source="order.title")
    status = serializers.CharField(source="order.status")
    status_display = serializers.CharField(source="order.get_status_display")
    created_at = serializers.DateTimeField(source="order.created_at")
    score = serializers.FloatField(help_text="text similarity plus the place bonus, 0..1")
    similarity = serializers.FloatField(help_text="Jaccard similarity of the texts' character 3-grams")
    reasons = ReasonSerializer(many=True)


class LimitSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=duplicates.MAX_LIMIT, default=duplicates.DEFAULT_LIMIT)


class DuplicatesInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    content = serializers.CharField(max_length=CONTENT_MAX_LENGTH, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(
        min_value=1, max_value=duplicates.MAX_LIMIT, required=False, default=duplicates.DEFAULT_LIMIT
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("title", "").strip() and not attrs.get("content", "").strip():
            message = _("Give a title or a content to compare.")
            raise serializers.ValidationError({"content": [message]})
        return attrs


class HotspotsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=hotspots.MIN_DAYS, max_value=hotspots.MAX_DAYS, required=False, default=hotspots.DEFAULT_DAYS
    )


class HotspotExampleSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()


class HotspotSerializer(serializers.Serializer):
    keywords = serializers.ListField(child=serializers.CharField())
    place = serializers.CharField(help_text="the street most members lie in, or empty")
    size = serializers.IntegerField(help_text="orders in the period")
    previous_size = serializers.IntegerField(help_text="orders of the same cluster in the previous period")
    growth = serializers.FloatField(help_text="(size - previous_size) / max(previous_size, 1)")
    score = serializers.FloatField(help_text="rank: size + max(0, size - previous_size)")
    examples = HotspotExampleSerializer(many=True)
    order_numbers = serializers.ListField(child=serializers.CharField())


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:
    # The shared exception handler turns the errors into {"code", "message", "fields"}.
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WorkOrderSimilarApi(APIView):
    """Open orders (not merged, within the duplicate window) that are probably about the same problem."""

    @extend_schema(
        parameters=[LimitSerializer],
        responses={200: CandidateSerializer(many=True), **error_responses(400, 401, 403, 404)},
        summary="Similar open orders (duplicate candidates) of an order",
    )
    def get(self, request: Request, number: str) -> Response:
        order = _visible_order(request.user, number)
        limit = _valid(LimitSerializer(data=request.query_params))["limit"]
        found = duplicates.workorder_similar(user=request.user, order=order, limit=limit)
        return Response(CandidateSerializer(found, many=True).data)


class DuplicatesApi(APIView):
    """Duplicate candidates for an order being typed in the console (operators and dispatchers)."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=DuplicatesInputSerializer,
        responses={200: CandidateSerializer(many=True), **error_responses(400, 401, 403)},
        summary="Duplicate candidates for a new message",
    )
    def post(self, request: Request) -> Response:
        user: Any = request.user
        if not user.has_role(*INTAKE_ROLES):
            raise PermissionDenied(_("Only operators and dispatchers look for duplicates."))
        data = _valid(DuplicatesInputSerializer(data=request.data))
        found = duplicates.duplicate_candidates(
            user=user, title=data["title"], content=data["content"], address=data["address"], limit=data["limit"]
        )
        return Response(CandidateSerializer(found, many=True).data)


class HotspotsApi(APIView):
    """Hotspots of the last N days (1..90, default 7): clusters by topic and place, ranked by size and growth."""

    @extend_schema(
        parameters=[HotspotsQuerySerializer],
        responses={200: HotspotSerializer(many=True), **error_responses(400, 401, 403)},
        summary="Hotspots",
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        if not user.has_role(*HOTSPOT_ROLES):
            raise PermissionDenied(_("Only supervisors and dispatchers see hotspots."))
        days = _valid(HotspotsQuerySerializer(data=request.query_params))["days"]
        return Response(HotspotSerializer(hotspots.hotspots_list(user=user, days=days), many=True).data)
