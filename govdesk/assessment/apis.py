"""GET /api/v1/assessment/ranking/ and /trend/: a month's unit ranking and one unit's monthly trend.

Supervisors, dispatchers and leaders see every unit; a unit administrator sees the rows of their own unit (and the
units below it) with their district rank, and only their own trend. Bad month or unit: 400; other roles: 403.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import error_responses
from govdesk.common.errors import ValidationFailed

from . import selectors


class AssessmentRankingApi(APIView):
    """The stored ranking of a month (default: the previous month)."""

    @extend_schema(
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (default: the previous month).")],
        responses={
            200: OpenApiResponse(response=OpenApiTypes.OBJECT, description="See docs/statistics.md, 单位考核."),
            **error_responses(400, 401, 403),
        },
        summary="Unit assessment ranking",
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.assessment_ranking(user=request.user, month_raw=request.query_params.get("month")))


class AssessmentTrendApi(APIView):
    """A unit's score and rank per month, oldest first (default: the last 12 months)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.STR, description="Unit code (a unit administrator: default own)."),
            OpenApiParameter("months", OpenApiTypes.INT, description="1 to 36 (default 12)."),
        ],
        responses={200: OpenApiTypes.OBJECT, **error_responses(400, 401, 403)},
        summary="Unit assessment trend",
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        scope = selectors.assessment_scope(user)
        code = (request.query_params.get("unit") or "").strip()
        if not code and scope is not None:
            code = user.unit.code
        raw_months = (request.query_params.get("months") or "12").strip()
        if not raw_months.isdigit():
            message = _("Choose between 1 and %(max)s months.") % {"max": selectors.TREND_MAX_MONTHS}
            raise ValidationFailed(message, fields={"months": [message]})
        return Response(selectors.assessment_trend(unit_code=code, months=int(raw_months), unit_ids=scope))
