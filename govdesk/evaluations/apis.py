"""The 好差评 API: rate a finished case, list ratings, and the rectification actions.

Thin views: parse with a serializer, call one service or selector, render. Errors are the platform's
`{"code", "message"[, "fields"]}`: 400 bad input, 403 role or unit, 404 unknown, 409 not possible now.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common import clock
from govdesk.common.api import Pagination, error_responses
from govdesk.common.errors import NotFound, PermissionDenied, ValidationFailed
from govdesk.common.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from govdesk.common.parsers import BoundedJSONParser
from govdesk.org.models import Role

from . import selectors, services
from .models import COMMENT_MAX_LENGTH, STATUS_CHOICES, Evaluation, EvaluationChannel, Level, Rectification
from .permissions import UNIT_ROLES, VIEW_ALL_ROLES, can_record_on_pad, evaluation_can_list
from .states import API_ACTIONS, RectificationAction

NUMBER_PATTERN = r"^[A-Za-z0-9-]{1,32}$"
RECTIFICATION_LIST_ROLES = (*VIEW_ALL_ROLES, *UNIT_ROLES, Role.CITIZEN)
# What a caller may say it is recording through the API: a citizen rates through `api`; a clerk's or operator's
# counter or phone app records `pad`; a rating link's token makes it `link`.
API_CHANNELS = (EvaluationChannel.API, EvaluationChannel.PAD, EvaluationChannel.LINK)


class RectificationBriefSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    due_at = serializers.DateTimeField()


class EvaluationSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.number")
    case_kind = serializers.CharField(source="case.kind")
    level_label = serializers.SerializerMethodField()
    unit = serializers.CharField(source="unit.code", default=None)
    unit_name = serializers.CharField(source="unit.name", default=None)
    rated_at = serializers.DateTimeField(source="created_at")
    rectification = serializers.SerializerMethodField()

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "case",
            "case_kind",
            "level",
            "level_label",
            "comment",
            "channel",
            "unit",
            "unit_name",
            "rated_at",
            "verification",
            "rectification",
        ]

    def get_level_label(self, obj: Evaluation) -> str:
        return str(Level(obj.level).label)

    @extend_schema_field(RectificationBriefSerializer(allow_null=True))
    def get_rectification(self, obj: Evaluation) -> dict[str, Any] | None:
        rectification = getattr(obj, "rectification", None)
        if rectification is None:
            return None
        return dict(RectificationBriefSerializer(rectification).data)


class EvaluationCreateInputSerializer(serializers.Serializer):
    case = serializers.RegexField(NUMBER_PATTERN, max_length=32)
    level = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default="", trim_whitespace=False
    )
    # The whole choice set (one enum in the schema); the view refuses those the API does not take.
    channel = serializers.ChoiceField(choices=EvaluationChannel.choices, required=False)
    token = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class EvaluationFilterSerializer(serializers.Serializer):
    case = serializers.RegexField(NUMBER_PATTERN, required=False, max_length=32)
    channel = serializers.ChoiceField(choices=EvaluationChannel.choices, required=False)
    level = serializers.IntegerField(min_value=1, max_value=5, required=False)
    bad = serializers.BooleanField(required=False, default=False)
    unit = serializers.CharField(required=False, max_length=50)


class RectificationEventSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    unit = serializers.CharField(source="actor_unit.name", default=None)


class RectificationSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    rated_case = serializers.CharField(source="evaluation.case.number")
    level = serializers.IntegerField(source="evaluation.level")
    comment = serializers.CharField(source="evaluation.comment")
    channel = serializers.CharField(source="evaluation.channel")
    rated_at = serializers.DateTimeField(source="evaluation.created_at")
    unit = serializers.CharField(source="primary_unit.code", default=None)
    unit_name = serializers.CharField(source="primary_unit.name", default=None)
    overdue = serializers.SerializerMethodField()
    answered_on_time = serializers.BooleanField(allow_null=True)

    class Meta:
        model = Rectification
        fields = [
            "number",
            "status",
            "status_label",
            "title",
            "rated_case",
            "level",
            "comment",
            "channel",
            "rated_at",
            "unit",
            "unit_name",
            "created_at",
            "limit_days",
            "due_at",
            "overdue",
            "justified",
            "verified_at",
            "verification_note",
            "answer",
            "answered_at",
            "answered_on_time",
            "appeal_reason",
            "appealed_at",
            "appeal_upheld",
            "appeal_decided_at",
            "appeal_note",
            "closed_at",
        ]

    def get_overdue(self, obj: Rectification) -> bool:
        return bool(obj.is_open and obj.due_at is not None and obj.due_at < clock.now())


class RectificationDetailSerializer(RectificationSerializer):
    timeline = serializers.SerializerMethodField()

    class Meta(RectificationSerializer.Meta):
        fields = [*RectificationSerializer.Meta.fields, "timeline"]

    @extend_schema_field(RectificationEventSerializer(many=True))
    def get_timeline(self, obj: Rectification) -> list[dict[str, Any]]:
        return list(RectificationEventSerializer(selectors.rectification_timeline(obj), many=True).data)


class RectificationFilterSerializer(serializers.Serializer):
    status = serializers.MultipleChoiceField(choices=STATUS_CHOICES, required=False)
    overdue = serializers.BooleanField(required=False, default=False)
    unit = serializers.CharField(required=False, max_length=50)


def _text_field(*, required: bool) -> serializers.CharField:
    return serializers.CharField(
        max_length=services.TEXT_MAX_LENGTH,
        required=required,
        allow_blank=not required,
        default="" if not required else serializers.empty,
        trim_whitespace=False,
    )


class RectificationVerifyInputSerializer(serializers.Serializer):
    justified = serializers.BooleanField()
    note = _text_field(required=False)


class RectificationAnswerInputSerializer(serializers.Serializer):
    answer = _text_field(required=True)


class RectificationAppealInputSerializer(serializers.Serializer):
    reason = _text_field(required=True)


class DecideRectificationAppealInputSerializer(serializers.Serializer):
    upheld = serializers.BooleanField()
    note = _text_field(required=False)


class RectificationCloseInputSerializer(serializers.Serializer):
    note = _text_field(required=False)


ACTION_INPUTS: dict[RectificationAction, type[serializers.Serializer]] = {
    RectificationAction.VERIFY: RectificationVerifyInputSerializer,
    RectificationAction.ANSWER: RectificationAnswerInputSerializer,
    RectificationAction.APPEAL: RectificationAppealInputSerializer,
    RectificationAction.DECIDE_APPEAL: DecideRectificationAppealInputSerializer,
    RectificationAction.CLOSE: RectificationCloseInputSerializer,
}


def _client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class EvaluationListApi(APIView):
    """GET: the ratings the caller may see. POST: rate a finished case (好差评)."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        parameters=[EvaluationFilterSerializer],
        responses={200: EvaluationSerializer(many=True), **error_responses(400, 401, 403)},
        summary="List ratings",
    )
    def get(self, request: Request) -> Response:
        if not evaluation_can_list(request.user):
            raise PermissionDenied(_("Your role may not see ratings."))
        params = EvaluationFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        items = selectors.evaluation_list(user=request.user, filters=dict(params.validated_data))
        paginator = Pagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(EvaluationSerializer(page, many=True).data)

    @extend_schema(
        request=EvaluationCreateInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: EvaluationSerializer, **error_responses(400, 401, 403, 404, 409)},
        summary="Rate a finished case (1 very dissatisfied … 5 very satisfied)",
    )
    @idempotent()
    def post(self, request: Request) -> Response:
        user: Any = request.user
        form = EvaluationCreateInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        channel = data.get("channel") or (
            EvaluationChannel.LINK
            if data["token"]
            else EvaluationChannel.PAD
            if can_record_on_pad(user)
            else EvaluationChannel.API
        )
        if channel not in API_CHANNELS:
            message = _("Through the API, rate with channel api, pad or link.")
            raise ValidationFailed(message, fields={"channel": [message]})
        if channel == EvaluationChannel.LINK and not data["token"]:
            message = _("A rating through a link needs the link's token.")
            raise ValidationFailed(message, fields={"token": [message]})
        evaluation = services.evaluation_create(
            case=data["case"],
            level=data["level"],
            comment=data["comment"],
            channel=channel,
            actor=user,
            link_token=data["token"] or None,
            ip_address=_client_ip(request),
        )
        fresh = Evaluation.objects.select_related("case", "unit", "rectification").get(pk=evaluation.pk)
        return Response(EvaluationSerializer(fresh).data, status=status.HTTP_201_CREATED)


def _check_rectification_reader(user: Any) -> None:
    if not user.has_role(*RECTIFICATION_LIST_ROLES):
        raise PermissionDenied(_("Your role may not see rectifications."))


class RectificationListApi(APIView):
    @extend_schema(
        parameters=[RectificationFilterSerializer],
        responses={200: RectificationSerializer(many=True), **error_responses(400, 401, 403)},
        summary="List rectifications (supervisors: all; a unit: its own)",
    )
    def get(self, request: Request) -> Response:
        _check_rectification_reader(request.user)
        params = RectificationFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        items = selectors.rectification_list(user=request.user, filters=dict(params.validated_data))
        paginator = Pagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(RectificationSerializer(page, many=True).data)


class RectificationDetailApi(APIView):
    @extend_schema(
        responses={200: RectificationDetailSerializer, **error_responses(401, 403, 404)},
        summary="One rectification with its timeline",
    )
    def get(self, request: Request, number: str) -> Response:
        user: Any = request.user
        _check_rectification_reader(user)
        rectification = selectors.rectification_get(user=user, number=number)
        if rectification is None:
            if Rectification.objects.filter(number=number).exists() and not user.has_role(Role.CITIZEN):
                raise PermissionDenied(_("This rectification is not for your unit."))
            raise NotFound(_("No rectification with number %(n)s.") % {"n": number})
        return Response(RectificationDetailSerializer(rectification).data)


class RectificationActionApi(APIView):
    """One rectification action; the actor (403) is checked before the body (400) and the status (409)."""

    parser_classes = [BoundedJSONParser]
    rectification_action: RectificationAction = RectificationAction.VERIFY

    def post(self, request: Request, number: str) -> Response:
        services.rectification_check(request.user, number, self.rectification_action)
        form = ACTION_INPUTS[self.rectification_action](data=request.data)
        form.is_valid(raise_exception=True)
        service = services.ACTION_SERVICES[self.rectification_action]
        rectification = service(number=number, actor=request.user, **form.validated_data)
        fresh = selectors.rectification_list(user=request.user).filter(pk=rectification.pk).first()
        return Response(RectificationDetailSerializer(fresh or rectification).data)


def rectification_action_view(action: RectificationAction) -> Any:
    # A function of its own per action: extend_schema annotates the function object it is given, so decorating the
    # shared post would leave every action with the last one's operation id and request body.
    def post(self: RectificationActionApi, request: Request, number: str) -> Response:
        return RectificationActionApi.post(self, request, number)

    view_class: type[RectificationActionApi] = type(
        f"Rectification{action.value.title().replace('-', '')}Api",
        (RectificationActionApi,),
        {
            "rectification_action": action,
            "post": extend_schema(
                request=ACTION_INPUTS[action],
                responses={200: RectificationDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
                summary=f"Rectification: {action.value}",
                operation_id=f"rectification_{action.value.replace('-', '_')}",
            )(post),
        },
    )
    return view_class.as_view()


ACTION_VIEWS = {action: rectification_action_view(action) for action in API_ACTIONS}
