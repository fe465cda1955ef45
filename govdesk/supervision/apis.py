"""The supervision API: 督办 cases (list, open, detail, note, answer, close, reopen), 催办, escalations and the
worklist, for work orders and applications alike: where a field is named `order` it takes either's number. The case
kinds registered with `case_kind_supervision_add` (units' reports `TB…`, knowledge revisions `ZX…`) are listed
(escalations, watch list) and urged too, for supervisors; a 督办 is opened on work orders and applications only.

Thin views: parse with a serializer, call one service or selector, render. Errors are the platform's
`{"code", "message"[, "fields"]}`: 400 bad input, 403 role or unit, 404 unknown, 409 not possible in this state.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.cases.models import CaseKind
from govdesk.common.api import Pagination, error_responses
from govdesk.common.errors import NotFound, PermissionDenied
from govdesk.common.parsers import BoundedJSONParser
from govdesk.org.models import Role

from . import selectors, services
from .models import CASE_STATUS_CHOICES, Escalation, SupervisionCase
from .permissions import supervision_can_view_all, supervision_check_case_actor, supervision_check_supervisor
from .states import CaseAction, CaseStatus

LIST_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_ADMIN)
# A work order's number (digits) or an application's (a letter prefix, then digits: BJ20261008000001).
CASE_NUMBER_PATTERN = r"^[A-Z]{0,4}\d{8,20}$"
KIND_CHOICES = [CaseKind.WORKORDER.value, CaseKind.APPLICATION.value]


class KindChoiceField(serializers.ChoiceField):
    """A case kind supervision covers: work orders, applications and the kinds registered when the apps were ready
    (read when the serializer is made, so the schema and the validation see them)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=selectors.supervision_kind_values(), **kwargs)


def _number_field(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(CASE_NUMBER_PATTERN, max_length=32, **kwargs)


class EntrySerializer(serializers.Serializer):
    kind = serializers.CharField()
    author = serializers.CharField(source="author.get_username")
    unit = serializers.CharField(source="unit.code", default=None)
    created_at = serializers.DateTimeField()
    text = serializers.CharField()


class CaseSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="case.kind")
    order = serializers.CharField(source="case.number")
    title = serializers.CharField(source="case.title")
    order_status = serializers.CharField(source="case.status")
    unit = serializers.CharField(source="case.primary_unit.code", default=None)
    unit_name = serializers.CharField(source="case.primary_unit.name", default=None)
    opened_by = serializers.CharField(source="opened_by.get_username")
    answered_by = serializers.CharField(source="answered_by.get_username", default=None)
    answer_overdue = serializers.SerializerMethodField()

    class Meta:
        model = SupervisionCase
        fields = [
            "id",
            "kind",
            "order",
            "title",
            "order_status",
            "unit",
            "unit_name",
            "status",
            "reason",
            "opened_by",
            "opened_at",
            "answer_days",
            "answer_due_at",
            "answer_overdue",
            "answer",
            "answered_by",
            "answered_at",
            "closed_at",
            "reopen_count",
        ]

    def get_answer_overdue(self, obj: SupervisionCase) -> bool:
        from govdesk.common import clock

        return obj.status == CaseStatus.OPEN and obj.answer_due_at < clock.now()


class CaseDetailSerializer(CaseSerializer):
    entries = EntrySerializer(many=True, source="entries.all")

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "entries"]


class EscalationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="case.kind")
    kind_label = serializers.SerializerMethodField()
    order = serializers.CharField(source="case.number")
    title = serializers.CharField(source="case.title")
    unit = serializers.CharField(source="case.primary_unit.code", default=None)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Escalation
        fields = ["id", "kind", "kind_label", "order", "title", "unit", "due_at", "escalated_at", "status", "url"]

    def get_kind_label(self, obj: Escalation) -> str:
        return selectors.case_kind_text(obj.case.kind)

    def get_url(self, obj: Escalation) -> str:
        """The case's staff page (path), "" if its kind has none."""
        return selectors.case_page_url(obj.case)


class MostUrgedSerializer(serializers.Serializer):
    order = serializers.CharField(source="number")
    title = serializers.CharField()
    unit = serializers.CharField(source="primary_unit.code", default=None)
    status = serializers.CharField()
    urge_count = serializers.IntegerField()
    due_at = serializers.DateTimeField()


class WatchSerializer(serializers.Serializer):
    """An overdue or urged work order, application or registered kind's case (a unit's report)."""

    kind = serializers.CharField()
    kind_label = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    order = serializers.CharField(source="number")
    title = serializers.CharField()
    status = serializers.CharField()
    unit = serializers.CharField(source="primary_unit.code", default=None)
    due_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField()
    urges = serializers.IntegerField()

    def get_kind_label(self, obj: Any) -> str:
        return selectors.case_kind_text(obj.kind)

    def get_url(self, obj: Any) -> str:
        """The case's staff page (path), "" if its kind has none."""
        return selectors.case_page_url(obj)


class CaseFilterSerializer(serializers.Serializer):
    status = serializers.MultipleChoiceField(choices=CASE_STATUS_CHOICES, required=False)
    overdue = serializers.BooleanField(required=False, default=False)
    order = _number_field(required=False)
    unit = serializers.CharField(required=False, max_length=50)
    kind = serializers.ChoiceField(choices=KIND_CHOICES, required=False)


class KindFilterSerializer(serializers.Serializer):
    kind = KindChoiceField(required=False)


def _days_field() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=services.ANSWER_DAYS_MAX)


class SupervisionCaseOpenInputSerializer(serializers.Serializer):
    order = _number_field()
    reason = serializers.CharField(max_length=services.TEXT_MAX_LENGTH, trim_whitespace=False)
    answer_days = _days_field()


class SupervisionCaseNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=services.TEXT_MAX_LENGTH, trim_whitespace=False)


class SupervisionCaseAnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=services.TEXT_MAX_LENGTH, trim_whitespace=False)


class SupervisionCaseCloseInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=services.TEXT_MAX_LENGTH, required=False, allow_blank=True, default="", trim_whitespace=False
    )


class SupervisionCaseReopenInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.TEXT_MAX_LENGTH, trim_whitespace=False)
    answer_days = _days_field()


ACTION_INPUTS: dict[CaseAction, type[serializers.Serializer]] = {
    CaseAction.NOTE: SupervisionCaseNoteInputSerializer,
    CaseAction.ANSWER: SupervisionCaseAnswerInputSerializer,
    CaseAction.CLOSE: SupervisionCaseCloseInputSerializer,
    CaseAction.REOPEN: SupervisionCaseReopenInputSerializer,
}


def _check_list_role(user: Any) -> None:
    if not user.has_role(*LIST_ROLES):
        raise PermissionDenied(_("Your role may not see supervision cases."))


def _detail(user: Any, pk: int) -> dict[str, Any]:
    sc = selectors.supervision_case_get(user=user, case_id=pk)
    if sc is None:
        raise NotFound(_("No supervision case %(id)s.") % {"id": pk})
    return dict(CaseDetailSerializer(sc).data)


class CaseListApi(APIView):
    """GET: the 督办 the caller may see (filters: status, overdue, order, unit). POST: a supervisor opens one."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        parameters=[CaseFilterSerializer],
        responses={200: CaseSerializer(many=True), **error_responses(400, 401, 403)},
        summary="List supervision cases",
    )
    def get(self, request: Request) -> Response:
        _check_list_role(request.user)
        params = CaseFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = dict(params.validated_data)
        if filters.get("status"):
            filters["status"] = ",".join(sorted(filters["status"]))
        items = selectors.supervision_case_list(user=request.user, filters=filters)
        paginator = Pagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(CaseSerializer(page, many=True).data)

    @extend_schema(
        request=SupervisionCaseOpenInputSerializer,
        responses={201: CaseDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
        summary="Open a supervision case (督办) on a work order or an application",
    )
    def post(self, request: Request) -> Response:
        user: Any = request.user
        if not user.has_role(Role.SUPERVISOR):
            raise PermissionDenied(_("Only supervisors may do this."))
        form = SupervisionCaseOpenInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        sc = services.supervision_case_open(
            order=data["order"],
            actor=user,
            reason=data["reason"],
            answer_days=data.get("answer_days"),
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )
        return Response(_detail(user, sc.pk), status=status.HTTP_201_CREATED)


class CaseDetailApi(APIView):
    @extend_schema(
        responses={200: CaseDetailSerializer, **error_responses(401, 403, 404)}, summary="One supervision case"
    )
    def get(self, request: Request, pk: int) -> Response:
        _check_list_role(request.user)
        if not SupervisionCase.objects.filter(pk=pk).exists():
            raise NotFound(_("No supervision case %(id)s.") % {"id": pk})
        sc = selectors.supervision_case_get(user=request.user, case_id=pk)
        if sc is None:
            raise PermissionDenied(_("This supervision case is not for your unit."))
        return Response(_detail(request.user, pk))


class CaseActionApi(APIView):
    """One 督办 action; the service checks the actor (403) before the status (409)."""

    parser_classes = [BoundedJSONParser]
    case_action: CaseAction = CaseAction.NOTE

    def post(self, request: Request, pk: int) -> Response:
        # The 督办 and the actor (404, 403) before the body (400); its status (409) is the service's last check.
        supervision_check_case_actor(request.user, pk, self.case_action)
        form = ACTION_INPUTS[self.case_action](data=request.data)
        form.is_valid(raise_exception=True)
        sc = services.CASE_ACTION_SERVICES[self.case_action](case_id=pk, actor=request.user, **form.validated_data)
        return Response(_detail(request.user, sc.pk))


def case_action_view(action: CaseAction) -> Any:
    # A function of its own per action: extend_schema annotates the function object it is given, so decorating the
    # shared CaseActionApi.post would leave every action with the last one's operation id and request body.
    def post(self: CaseActionApi, request: Request, pk: int) -> Response:
        return CaseActionApi.post(self, request, pk)

    view_class: type[CaseActionApi] = type(
        f"Case{action.value.title()}Api",
        (CaseActionApi,),
        {
            "case_action": action,
            "post": extend_schema(
                request=ACTION_INPUTS[action],
                responses={200: CaseDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
                summary=f"Supervision case: {action.value}",
                operation_id=f"supervision_case_{action.value}",
            )(post),
        },
    )
    return view_class.as_view()


class EscalationHandleApi(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=SupervisionCaseCloseInputSerializer,
        responses={200: EscalationSerializer, **error_responses(400, 401, 403, 404, 409)},
        summary="Mark an escalation handled",
    )
    def post(self, request: Request, pk: int) -> Response:
        supervision_check_supervisor(request.user)  # the role (403) before the body (400)
        form = SupervisionCaseCloseInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        escalation = services.supervision_escalation_handle(
            escalation_id=pk, actor=request.user, note=form.validated_data["note"]
        )
        return Response(EscalationSerializer(escalation).data)


class UrgeInputSerializer(serializers.Serializer):
    case = _number_field()
    note = serializers.CharField(
        max_length=services.TEXT_MAX_LENGTH, required=False, allow_blank=True, default="", trim_whitespace=False
    )


class UrgeOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    case = serializers.CharField(source="number")
    status = serializers.CharField()
    urges = serializers.IntegerField()


class UrgeApi(APIView):
    """催办: remind the unit of a work order (its URGE action), of an application being decided, or of a registered
    kind's case its unit owes (a report: supervisors only)."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=UrgeInputSerializer,
        responses={201: UrgeOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
        summary="Urge (催办) the unit of a work order, an application or a registered kind's case",
    )
    def post(self, request: Request) -> Response:
        if not supervision_can_view_all(request.user):  # the role (403) before the body (400)
            raise PermissionDenied(_("Only supervisors and dispatchers may urge."))
        form = UrgeInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = services.case_urge(
            case=form.validated_data["case"],
            actor=request.user,
            note=form.validated_data["note"],
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )
        urges = len(selectors.supervision_case_urges(case=case))
        body = {"kind": case.kind, "number": case.number, "status": case.status, "urges": urges}
        return Response(UrgeOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class WorklistOutputSerializer(serializers.Serializer):
    escalations = EscalationSerializer(many=True)
    open_cases = CaseSerializer(many=True)
    answered_cases = CaseSerializer(many=True)
    most_urged = MostUrgedSerializer(many=True)


class WorklistApi(APIView):
    @extend_schema(
        parameters=[KindFilterSerializer],
        responses={200: WorklistOutputSerializer, **error_responses(400, 401, 403)},
        summary="The supervisor's worklist (filter: kind)",
    )
    def get(self, request: Request) -> Response:
        if not supervision_can_view_all(request.user):
            raise PermissionDenied(_("Only supervisors and dispatchers see the supervision worklist."))
        params = KindFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        work = selectors.supervision_worklist(user=request.user, kind=params.validated_data.get("kind", ""))
        return Response(WorklistOutputSerializer(work).data)


class WatchApi(APIView):
    """Open cases that are overdue or were urged (supervisors: every kind, reports included; dispatchers: orders)."""

    @extend_schema(
        parameters=[KindFilterSerializer],
        responses={200: WatchSerializer(many=True), **error_responses(400, 401, 403)},
        summary="Overdue or urged cases of every kind (filter: kind)",
    )
    def get(self, request: Request) -> Response:
        if not supervision_can_view_all(request.user):
            raise PermissionDenied(_("Only supervisors and dispatchers see the supervision worklist."))
        params = KindFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        items = selectors.supervision_watch_list(user=request.user, kind=params.validated_data.get("kind", ""))
        paginator = Pagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(WatchSerializer(page, many=True).data)
