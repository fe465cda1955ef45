"""API: knowledge search for the operator console, the public page and outside tools (contract in issue 15).

`GET /api/v1/knowledge/?q=…[&limit=N][&kind=article|guide]` → `{"results": [...]}`: published, valid articles and
published guides, best first. Public knowledge, so anyone may ask, anonymous clients within a per-address rate
(settings.GOVDESK["KNOWLEDGE_API_ANON_RATE"]); signed-in staff (the console asks as the operator types) are not
limited.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from govdesk.common.api import error_responses
from govdesk.common.validators import has_control_characters

from .search import KINDS, MAX_LIMIT, knowledge_search

DEFAULT_LIMIT = 5
MAX_QUERY_LENGTH = 500
KNOWLEDGE_API_ANON_RATE_DEFAULT = "600/h"


class AnonymousSearchThrottle(AnonRateThrottle):
    """Anonymous clients, per address (searching costs CPU); authenticated users pass untouched."""

    scope = "knowledge-search"

    def get_rate(self) -> str:
        return str(settings.GOVDESK.get("KNOWLEDGE_API_ANON_RATE", KNOWLEDGE_API_ANON_RATE_DEFAULT))


class KnowledgeSearchInputSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        help_text="What the caller says (a title and a description may be joined); up to 500 characters.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT, required=False)
    kind = serializers.ChoiceField(choices=list(KINDS), required=False, help_text="Only articles or only guides.")

    def validate_q(self, value: str) -> str:
        # Line breaks and tabs come with a pasted description; other control characters never belong to a question.
        if has_control_characters(value, allow_newlines=True):
            raise serializers.ValidationError(_("This text contains invisible control characters; please remove them."))
        return value


@extend_schema_serializer(component_name="KnowledgeResult")
class KnowledgeResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The article's id; null for a guide.")
    title = serializers.CharField()
    answer = serializers.CharField(help_text="The article's full answer; a guide's conditions and materials.")
    score = serializers.FloatField(help_text="0-1: the share of the question's weighted words the result carries.")
    code = serializers.CharField(help_text="The article's code (ZS…) or the matter's code.")
    kind = serializers.ChoiceField(choices=list(KINDS))
    passage = serializers.CharField(help_text="The best-matching sentence of the answer, at most 120 characters.")
    highlights = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="[start, end) character offsets of the matched words in the passage.",
    )
    unit = serializers.CharField(help_text="The responsible unit's name.")
    url = serializers.CharField(help_text="The public page of the article or guide.")
    valid_to = serializers.DateField(allow_null=True, help_text="The article's last valid day; null: no end.")


class KnowledgeSearchOutputSerializer(serializers.Serializer):
    results = KnowledgeResultSerializer(many=True)


class KnowledgeSearchApi(APIView):
    """Search the published knowledge base and service guides."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonymousSearchThrottle]

    @extend_schema(
        parameters=[KnowledgeSearchInputSerializer],
        responses={200: KnowledgeSearchOutputSerializer, **error_responses(400, 429)},
        summary="Search the knowledge base",
    )
    def get(self, request: Request) -> Response:
        params = KnowledgeSearchInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data: dict[str, Any] = params.validated_data
        kind = data.get("kind")
        results = knowledge_search(data["q"], limit=data["limit"], kinds=(kind,) if kind else KINDS)
        rows = [
            {
                "id": r.id,
                "title": r.title,
                "answer": r.answer,
                "score": r.score,
                "code": r.code,
                "kind": r.kind,
                "passage": r.passage,
                "highlights": [[start, end] for start, end in r.highlights],
                "unit": r.unit,
                "url": r.url,
                "valid_to": r.valid_to,
            }
            for r in results
        ]
        return Response(KnowledgeSearchOutputSerializer({"results": rows}).data)
