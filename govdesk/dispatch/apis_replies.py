"""The reply check's API: score a draft, list weak replies awaiting their return visit, mark one reviewed.

Thin views: parse, call one service or selector of `govdesk.dispatch.replycheck`, render. Errors are the platform's
`{"code", "message"[, "fields"]}` (400 bad text, 403 role, 404 unknown id, 409 already reviewed).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import Pagination, error_responses
from govdesk.common.errors import PermissionDenied
from govdesk.common.parsers import BoundedJSONParser

from . import replycheck
from .core.replycheck import ELEMENTS
from .models import ReplyAssessment


class ReplyCheckInputSerializer(serializers.Serializer):
    request = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    reply = serializers.CharField(allow_blank=True, trim_whitespace=False)
    request_type = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")


class ReplyCheckOutputSerializer(serializers.Serializer):
    score = serializers.FloatField()
    relevance = serializers.FloatField()
    completeness = serializers.FloatField()
    elements = serializers.DictField(child=serializers.BooleanField())
    evidence = serializers.DictField(child=serializers.CharField())
    is_weak = serializers.BooleanField()
    threshold = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())
    explanation = serializers.ListField(child=serializers.CharField())
    model_version = serializers.CharField()


class WeakReplySerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="case.number")
    title = serializers.CharField(source="case.title")
    unit = serializers.SerializerMethodField()
    replied_at = serializers.SerializerMethodField()
    elements = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()

    class Meta:
        model = ReplyAssessment
        fields = [
            "id",
            "order",
            "title",
            "unit",
            "replied_at",
            "created_at",
            "score",
            "relevance",
            "completeness",
            "elements",
            "explanation",
            "is_weak",
            "reviewed_at",
            "reviewed_by",
        ]

    def get_unit(self, obj: ReplyAssessment) -> str:
        unit = obj.case.primary_unit
        return unit.name if unit is not None else ""

    def get_replied_at(self, obj: ReplyAssessment) -> str | None:
        replied = getattr(getattr(obj.case, "workorder", None), "replied_at", None)
        return replied.isoformat() if replied else None

    def get_elements(self, obj: ReplyAssessment) -> dict[str, bool]:
        stored = obj.elements if isinstance(obj.elements, dict) else {}
        return {name: bool(stored.get(name)) for name in ELEMENTS}

    def get_reviewed_by(self, obj: ReplyAssessment) -> str:
        return obj.reviewed_by.get_username() if obj.reviewed_by else ""


class WeakReplyFilterSerializer(serializers.Serializer):
    include_reviewed = serializers.BooleanField(required=False, default=False)


class ReviewInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)


class ReplyCheckApi(APIView):
    """Score a draft reply against the citizen's request without storing it."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=ReplyCheckInputSerializer,
        responses={200: ReplyCheckOutputSerializer, **error_responses(400, 401, 403)},
        summary="Check a draft reply (relevance and completeness)",
    )
    def post(self, request: Request) -> Response:
        user: Any = request.user
        # Role first: a caller without it gets 403 whatever the body holds.
        if not user.has_role(*replycheck.CHECK_ROLES):
            raise PermissionDenied(_("Your role may not use the reply check."))
        form = ReplyCheckInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        result, explanation = replycheck.reply_check_score(
            actor=user,
            request=data["request"],
            reply=data["reply"],
            consultation=data["request_type"] == "consultation",
        )
        body = {
            **result.as_dict(),
            "explanation": explanation,
            "model_version": replycheck.reply_check_model().version,
        }
        body.pop("cosine", None)
        body.pop("length", None)
        return Response(body)


class WeakRepliesApi(APIView):
    """Weak replies of orders still waiting for their return visit (supervisors, dispatchers, operators)."""

    pagination_class = Pagination

    @extend_schema(
        parameters=[WeakReplyFilterSerializer],
        responses={200: WeakReplySerializer(many=True), **error_responses(400, 401, 403)},
        summary="Weak replies awaiting the return visit",
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        if not user.has_role(*replycheck.WEAK_LIST_ROLES):
            raise PermissionDenied(_("Only the centre's supervisors, dispatchers and operators see weak replies."))
        params = WeakReplyFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        items = replycheck.reply_assessments_weak(
            user=user, include_reviewed=params.validated_data["include_reviewed"]
        ).select_related("case__workorder")
        paginator = Pagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(WeakReplySerializer(page, many=True).data)


class ReplyReviewApi(APIView):
    """A supervisor marks a flagged reply as reviewed (audited)."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=ReviewInputSerializer,
        responses={200: WeakReplySerializer, **error_responses(400, 401, 403, 404, 409)},
        summary="Mark a reply check reviewed",
    )
    def post(self, request: Request, pk: int) -> Response:
        form = ReviewInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        assessment = replycheck.reply_check_mark_reviewed(
            assessment_id=pk,
            actor=request.user,
            note=form.validated_data["note"],
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )
        fresh = ReplyAssessment.objects.select_related("case", "case__primary_unit", "reviewed_by").get(
            pk=assessment.pk
        )
        return Response(WeakReplySerializer(fresh).data)
