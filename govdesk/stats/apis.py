"""GET /api/v1/stats/overview/: the statistics overview for the dashboard and other tools (token or session)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import error_responses
from govdesk.workorders.models import Channel

from . import selectors

FILTER_PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day received (Asia/Shanghai), inclusive."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day received, inclusive. Span ≤ 3 years."),
    OpenApiParameter("unit", OpenApiTypes.STR, description="Unit code: the primary unit and its subtree."),
    OpenApiParameter("category", OpenApiTypes.STR, description="Category path prefix, e.g. 城乡建设/住房保障."),
    OpenApiParameter("type", OpenApiTypes.STR, description="Request type code."),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=Channel.values, description="Intake channel."),
]


class StatsOverviewApi(APIView):
    """Volumes, the eight rates with their parts and formulas, the previous period, a series, breakdowns and the live
    overdue and due-soon lists, over the orders received in the period (supervisors, dispatchers, leaders; unit
    administrators for their own unit and the units below it)."""

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            200: OpenApiResponse(response=OpenApiTypes.OBJECT, description="See docs/statistics.md."),
            **error_responses(400, 401, 403),
        },
        summary="Statistics overview",
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        flt = selectors.stats_filter_parse(request.query_params, user)
        return Response(selectors.stats_overview(user=user, flt=flt))
