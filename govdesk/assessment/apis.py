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
from govdesk.common.errors import ApplicationError, ValidationFailed

from . import selectors


def assessment_ranking_payload(*, user: Any, month_raw: str | None) -> dict[str, Any]:
    """What the ranking API answers (the page shows the same)."""
    scope = selectors.assessment_scope(user)
    month = selectors.month_parse(month_raw, default=selectors.month_shift(selectors.month_current(), -1))
    info = selectors.assessment_month_info(month=month)
    try:
        rules: dict[str, Any] | None = selectors.rule_set_describe(selectors.rule_set_for_month(month))
    except ApplicationError:  # no rule set in force for that month: the ranking still answers, without rules
        rules = None
    return {
        **info,
        "scope": "all" if scope is None else "own",
        "rule_set": rules,
        "results": selectors.assessment_month(month=month, unit_ids=scope),
    }


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
        return Response(assessment_ranking_payload(user=request.user, month_raw=request.query_params.get("month")))


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
