"""GET /api/v1/stats/overview/: the statistics overview for the dashboard and other tools (token or session)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.applications.models import Channel as ApplicationChannel
from govdesk.common.api import error_responses
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.matters.models import MatterType
from govdesk.workorders.models import Channel

from . import selectors

FILTER_PARAMETERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day received (Asia/Shanghai), inclusive."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day received, inclusive. Span ≤ 3 years."),
    OpenApiParameter("unit", OpenApiTypes.STR, description="Unit code: the primary unit and its subtree."),
    OpenApiParameter("category", OpenApiTypes.STR, description="Category path prefix, e.g. 城乡建设/住房保障."),
    OpenApiParameter("type", OpenApiTypes.STR, description="Request type code."),
    OpenApiParameter(
        "channel",
        OpenApiTypes.STR,
        enum=sorted({*Channel.values, *ApplicationChannel.values}),
        description=f"Intake channel: a work order's {', '.join(Channel.values)}; "
        f"an application's {', '.join(ApplicationChannel.values)}.",
    ),
]
KINDS = ("workorder", "application", "package")
KIND_PARAMETERS = [
    OpenApiParameter(
        "kind",
        OpenApiTypes.STR,
        enum=list(KINDS),
        description="workorder (default): the work-order overview; application: the application (办件) overview; "
        "package: the package (一件事) overview.",
    ),
    OpenApiParameter("package", OpenApiTypes.STR, description="kind=package: package code."),
    OpenApiParameter("matter", OpenApiTypes.STR, description="kind=application: matter code."),
    OpenApiParameter("matter_type", OpenApiTypes.STR, enum=MatterType.values, description="kind=application."),
]


class StatsOverviewApi(APIView):
    """Volumes, the eight rates with their parts and formulas, the previous period, a series, breakdowns and the live
    overdue and due-soon lists, over the orders received in the period (supervisors, dispatchers, leaders; unit
    administrators for their own unit and the units below it). With `kind=application`: the applications submitted
    in the period (totals, status counts, five rates, series, breakdowns by unit, matter, channel and matter type,
    the average time in each step, the overdue list), filtered by unit, matter, matter_type and channel. With
    `kind=package`: the package applications received in the period (received, accepted, decided, closed, parts and
    packages on time, total working days vs the parts' one after another, visits and forms saved, cancelled parts),
    in total, per package and per lead unit, filtered by the lead unit and package."""

    @extend_schema(
        parameters=[*FILTER_PARAMETERS, *KIND_PARAMETERS],
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="See docs/statistics.md (the work-order overview, or with kind=application the "
                "application overview: kind, filters, granularity, totals, status_counts, by_status, rates, "
                "rate_parts, rate_definitions, series, by_unit, by_matter, by_channel, by_matter_type, step_times, "
                "overdue; with kind=package the package overview: kind, filters, totals, by_package, by_unit).",
            ),
            **error_responses(400, 401, 403),
        },
        summary="Statistics overview",
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        if not selectors.stats_can_view(user):
            raise PermissionDenied(_("Your role does not allow viewing statistics."))
        kind = (request.query_params.get("kind") or KINDS[0]).strip()
        if kind not in KINDS:
            message = _("Choose workorder, application or package.")
            raise ValidationFailed(message, fields={"kind": [message]})
        if kind == "package":
            return Response(
                selectors.stats_package_overview(
                    user=user, flt=selectors.stats_package_filter_parse(request.query_params, user)
                )
            )
        if kind == "application":
            app_flt = selectors.stats_application_filter_parse(request.query_params, user)
            return Response(selectors.stats_application_overview(user=user, flt=app_flt))
        flt = selectors.stats_filter_parse(request.query_params, user)
        return Response(selectors.stats_overview(user=user, flt=flt))
