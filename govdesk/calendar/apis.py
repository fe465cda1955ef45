"""API: the working-day calculator (`GET /api/v1/calendar/deadline/`), the same arithmetic every deadline uses."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import error_responses
from govdesk.common.errors import ValidationFailed
from govdesk.common.validators import has_control_characters

from .core import SHANGHAI, Deadline, deadline_add_working_days, deadline_add_working_hours
from .selectors import calendar_get

# A URL query string turns an unescaped "+" into a space, so "2026-09-30T10:00+08:00" typed into a browser arrives
# as "2026-09-30T10:00 08:00". The offset can only be an offset there, so we put the "+" back.
_LOST_PLUS = re.compile(r"^(.*\d) (\d{2}:?\d{2})$")

MAX_WORKING_DAYS = 3650
MAX_WORKING_HOURS = 10000


@extend_schema_field(OpenApiTypes.DATETIME)
class StartField(serializers.Field):
    """An ISO 8601 date-time; without an offset it is Beijing time, the time every deadline here is about."""

    def to_internal_value(self, data: Any) -> datetime:
        if not isinstance(data, str) or not data.strip() or has_control_characters(data, allow_newlines=False):
            self.fail("invalid")
        text = _LOST_PLUS.sub(r"\1+\2", data.strip())
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            self.fail("invalid")
        assert moment is not None
        return timezone.make_aware(moment, SHANGHAI) if timezone.is_naive(moment) else moment

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()

    default_error_messages = {
        "invalid": gettext_lazy("Give start as an ISO 8601 date and time, e.g. 2026-09-30T10:00:00+08:00."),
    }


class DeadlineApi(APIView):
    """When does a limit of N working days (or working hours) that starts at `start` end?

    Working days end at close of business on the N-th working day after the start day (民法典 §201). `warnings`
    names years with no holiday arrangement loaded, where only weekends were skipped.
    """

    @extend_schema_serializer(component_name="DeadlineQuery")
    class InputSerializer(serializers.Serializer):
        start = StartField(help_text="ISO 8601; without an offset it is Asia/Shanghai time.")
        working_days = serializers.IntegerField(required=False, min_value=0, max_value=MAX_WORKING_DAYS)
        working_hours = serializers.FloatField(required=False, min_value=0, max_value=MAX_WORKING_HOURS)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("working_days" in attrs) == ("working_hours" in attrs):
                raise serializers.ValidationError(_("Give exactly one of working_days and working_hours."))
            return attrs

    @extend_schema_serializer(component_name="Deadline")
    class OutputSerializer(serializers.Serializer):
        due_at = serializers.DateTimeField(help_text="ISO 8601 with the +08:00 offset.")
        warnings = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OutputSerializer, **error_responses(400, 401)},
        summary="Add working days or working hours to a moment",
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        start: datetime = params.validated_data["start"]
        cal = calendar_get()
        deadline: Deadline
        try:
            if "working_days" in params.validated_data:
                deadline = deadline_add_working_days(start, params.validated_data["working_days"], cal)
            else:
                deadline = deadline_add_working_hours(start, params.validated_data["working_hours"], cal)
        except (ValueError, OverflowError) as exc:
            # A calendar without working days, or a result past year 9999: bad input, not a server fault.
            raise ValidationFailed(_("No deadline can be computed for this input: %(e)s") % {"e": exc}) from exc
        data = {"due_at": deadline.due_at.astimezone(SHANGHAI), "warnings": deadline.warnings}
        return Response(self.OutputSerializer(data).data)
