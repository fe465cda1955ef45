"""Suggestion API: `POST /api/v1/dispatch/suggest/` → top 3 level-1 categories with probabilities, the most likely
leaf, the dispatch catalogue's unit and the address's street, the model version and a confidence.

Thin view: parse, call one selector, render. Bad input is a 400 in the platform's error shape; text without Chinese
gets a low-confidence answer; a missing or corrupt model file is a 503 `{"code": "model_unavailable", ...}`.
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
from govdesk.common.errors import ApplicationError, PermissionDenied
from govdesk.common.parsers import BoundedJSONParser
from govdesk.common.validators import has_control_characters
from govdesk.org.models import Role
from govdesk.workorders.models import CONTENT_MAX_LENGTH
from govdesk.workorders.serializers import CategoryRefSerializer, UnitRefSerializer  # the schema's only *Ref shapes

from . import selectors
from .core.classifier import ModelUnavailable

SUGGEST_ROLES = (Role.OPERATOR, Role.DISPATCHER)


class ModelUnavailableError(ApplicationError):
    status_code = 503
    code = "model_unavailable"


class SuggestInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    content = serializers.CharField(max_length=CONTENT_MAX_LENGTH, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        for name in ("title", "content", "address"):
            if has_control_characters(attrs.get(name, ""), allow_newlines=name == "content"):
                errors[name] = [_("Remove the control characters.")]
        if not attrs.get("title", "").strip() and not attrs.get("content", "").strip():
            errors.setdefault("content", []).append(_("Give a title or a content to classify."))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RankedCategorySerializer(serializers.Serializer):
    label = serializers.CharField(help_text="the level-1 category name the model predicts")  # type: ignore[assignment]
    probability = serializers.FloatField()
    category = CategoryRefSerializer(allow_null=True, help_text="that level-1 node of the category tree, if present")
    leaf = CategoryRefSerializer(allow_null=True, help_text="most likely leaf under it (keyword overlap), if any")


class SuggestionSerializer(serializers.Serializer):
    model_version = serializers.CharField()
    confidence = serializers.FloatField(help_text="probability of the best category, 0..1")
    low_confidence = serializers.BooleanField()
    categories = RankedCategorySerializer(many=True, help_text="top 3, best first; empty without Chinese text")
    leaf = CategoryRefSerializer(allow_null=True, help_text="most likely leaf under the best category (keyword hint)")
    unit = UnitRefSerializer(allow_null=True, help_text="primary unit from the dispatch catalogue")
    street = UnitRefSerializer(allow_null=True, help_text="the street/town the address names")
    notice = serializers.CharField(allow_blank=True)


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:
    # The shared exception handler turns the errors into {"code", "message", "fields"}.
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class SuggestApi(APIView):
    """Category and unit suggestions for a message being registered (operators and dispatchers)."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=SuggestInputSerializer,
        responses={200: SuggestionSerializer, **error_responses(400, 401, 403, 503)},
        summary="Suggest the category and the responsible unit for a message",
    )
    def post(self, request: Request) -> Response:
        user: Any = request.user
        if not user.has_role(*SUGGEST_ROLES):
            raise PermissionDenied(_("Only operators and dispatchers ask for dispatch suggestions."))
        data = _valid(SuggestInputSerializer(data=request.data))
        try:
            suggestion = selectors.dispatch_suggest(
                title=data["title"], content=data["content"], address=data["address"]
            )
        except ModelUnavailable as exc:
            raise ModelUnavailableError(
                _("Suggestions are unavailable: the classifier model is missing or unreadable (%(why)s).")
                % {"why": exc}
            ) from exc
        body = {
            "model_version": suggestion.model_version,
            "confidence": suggestion.confidence,
            "low_confidence": suggestion.low_confidence,
            "categories": suggestion.categories,
            "leaf": {"id": suggestion.leaf.pk, "path": suggestion.leaf.path} if suggestion.leaf else None,
            "unit": {"code": suggestion.unit.code, "name": suggestion.unit.name} if suggestion.unit else None,
            "street": {"code": suggestion.street.code, "name": suggestion.street.name} if suggestion.street else None,
            "notice": suggestion.notice,
        }
        return Response(SuggestionSerializer(body).data)
