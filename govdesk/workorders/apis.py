"""The work-order REST API: list, create, detail, one endpoint per lifecycle action, reveal, lookup, attachments.

Thin views (HackSoft style): each parses its input with a serializer, calls ONE service or selector, and renders.
Services do every check that matters (state table, role and scope, input meaning) and raise ApplicationError
subclasses, which govdesk.common.api.exception_handler turns into `{"code", "message"[, "fields"]}` with 400, 403,
404 or 409. Because each service runs in one transaction, a rejected request writes nothing.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.cases.attachments import CheckedFile, attachments_check
from govdesk.cases.models import Attachment
from govdesk.common.api import Pagination, error_responses
from govdesk.common.crypto import normalize_phone_for_index
from govdesk.common.errors import NotFound, PermissionDenied, ValidationFailed
from govdesk.common.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from govdesk.common.parsers import BoundedJSONParser
from govdesk.common.validators import validate_phone
from govdesk.org.models import CENTRE_ROLES, UNIT_ROLES, Role

from . import selectors, services
from .models import Channel, WorkOrder
from .permissions import workorder_check_role, workorder_refusal_is_not_found
from .serializers import (
    ACTION_INPUTS,
    NUMBER_PATTERN,
    PhoneLookupSerializer,
    ReplyMultipartInput,
    RevealInputSerializer,
    RevealOutputSerializer,
    WorkOrderCreateInputSerializer,
    WorkOrderCreateMultipartSerializer,
    WorkOrderDetailSerializer,
    WorkOrderListFilterSerializer,
    WorkOrderListSerializer,
)
from .states import Action

# Who sees the internal timeline; leaders read every order (permissions.READ_ALL_ROLE_CODES), never act.
STAFF_ROLES = {r.value for r in CENTRE_ROLES | UNIT_ROLES} | {Role.LEADER.value}
INTAKE_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.CITIZEN)
# Channels a caller may claim: phone and letters are taken by the centre's operators; Open311 has its own endpoint.
STAFF_CHANNELS = (Channel.PHONE, Channel.WEB, Channel.OTHER, Channel.API)
CITIZEN_CHANNELS = (Channel.WEB, Channel.API)
_NUMBER_RE = re.compile(NUMBER_PATTERN)


# --- helpers shared by the views ----------------------------------------------------------------------------------


def _check_number(number: str) -> None:
    """Refuse path values that cannot be an order number before they reach SQL (PostgreSQL rejects NUL bytes)."""
    if not _NUMBER_RE.match(number):
        raise NotFound(_("No work order with number %(n)s.") % {"n": number[:40]})


def _visible_order(user: Any, number: str) -> WorkOrder:
    """The order if the caller may see it; 404 if there is none; 403 if it exists but is not theirs to see, except
    for a citizen, who gets the same 404 (workorder_refusal_is_not_found)."""
    _check_number(number)
    order = selectors.workorder_get(user=user, number=number)
    if order is not None:
        return order
    if not workorder_refusal_is_not_found(user) and WorkOrder.objects.filter(number=number).exists():
        raise PermissionDenied(_("You cannot see this work order."))
    raise NotFound(_("No work order with number %(n)s.") % {"n": number})


def _detail(request: Request, order: WorkOrder, registration: services.Registration | None = None) -> dict[str, Any]:
    """The order as this caller may see it. Anyone who is not staff (a citizen) gets the public timeline only."""
    user: Any = request.user
    public_only = not user.has_role(*STAFF_ROLES)
    context = {"request": request, "public_only": public_only, "registration": registration}
    return WorkOrderDetailSerializer(order, context=context).data


def _after_write(request: Request, order: WorkOrder) -> dict[str, Any]:
    """Re-read through the caller's visibility filter, so the answer carries the same related rows as GET."""
    fresh = selectors.workorder_get(user=request.user, number=order.number)
    return _detail(request, fresh if fresh is not None else order)


def _uploaded_files(request: Request) -> list[CheckedFile]:
    """Repeated `attachments` form fields, checked by content. At most limit+1 bytes are read from each, which is
    enough to tell that it is too big without holding a huge upload in memory."""
    uploads = request.FILES.getlist("attachments")
    limit = cast(int, settings.GOVDESK["ATTACHMENT_MAX_BYTES"])
    return attachments_check([(upload.name or "file", upload.read(limit + 1)) for upload in uploads])


def _client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# --- list and create ----------------------------------------------------------------------------------------------


class WorkOrderListCreateApi(APIView):
    """GET: the orders the caller may see, newest first, filtered. POST: register a new order.

    Filters are validated first, so a malformed value is a 400 with the field named, never a database error.
    """

    pagination_class = Pagination
    parser_classes = [BoundedJSONParser, MultiPartParser]

    @extend_schema(
        parameters=[WorkOrderListFilterSerializer],
        responses={200: WorkOrderListSerializer(many=True), **error_responses(400, 401)},
        summary="List work orders",
    )
    def get(self, request: Request) -> Response:
        params = WorkOrderListFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = {key: value for key, value in params.validated_data.items() if value not in (None, "", False)}
        orders = selectors.workorder_list(user=request.user, filters=filters)
        paginator = Pagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        data = WorkOrderListSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        request={
            "application/json": WorkOrderCreateInputSerializer,
            "multipart/form-data": WorkOrderCreateMultipartSerializer,
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: WorkOrderDetailSerializer, **error_responses(400, 401, 403, 409)},
        summary="Register a work order",
    )
    @idempotent()
    def post(self, request: Request) -> Response:
        user: Any = request.user
        # The service checks this too; checking first means a caller without the role gets 403, not a file error.
        if not user.has_role(*INTAKE_ROLES):
            raise PermissionDenied(_("Your role does not allow registering work orders."))
        form = WorkOrderCreateInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        data.setdefault("channel", Channel.API)
        acting_as_citizen = not user.has_role(Role.OPERATOR, Role.DISPATCHER)
        allowed = CITIZEN_CHANNELS if acting_as_citizen else STAFF_CHANNELS
        if data["channel"] not in allowed:
            message = _("Channel must be one of: %(c)s.") % {"c": ", ".join(allowed)}
            raise ValidationFailed(message, fields={"channel": [message]})
        files = _uploaded_files(request)
        registration = services.workorder_register_recorded(
            actor=user,
            data=data,
            files=files,
            citizen_user=user if acting_as_citizen else None,
            ip_address=_client_ip(request),
        )
        # What registering wrote is the whole of a new order's related data: answer from it, without re-reading.
        order = registration.order
        body = _detail(request, order, registration=registration)
        return Response(body, status=201, headers={"Location": f"/api/v1/workorders/{order.number}/"})


class WorkOrderLookupApi(APIView):
    """The caller's earlier orders by phone number, for the operator console (operators and dispatchers only).

    POST the number in the body: a query string ends up in the access logs of every proxy and server on the way, so
    GET (the first version of this endpoint) is kept only for existing clients and is deprecated."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=PhoneLookupSerializer,
        responses={200: WorkOrderListSerializer(many=True), **error_responses(400, 401, 403)},
        summary="Earlier orders of a phone number",
    )
    def post(self, request: Request) -> Response:
        return self._lookup(request, request.data)

    @extend_schema(
        parameters=[PhoneLookupSerializer],
        responses={200: WorkOrderListSerializer(many=True), **error_responses(400, 401, 403)},
        summary="Earlier orders of a phone number (deprecated: the number lands in access logs; POST it)",
        deprecated=True,
    )
    def get(self, request: Request) -> Response:
        return self._lookup(request, request.query_params)

    def _lookup(self, request: Request, data: Any) -> Response:
        user: Any = request.user
        if not user.has_role(Role.OPERATOR, Role.DISPATCHER):
            raise PermissionDenied(_("Only operators and dispatchers look up callers."))
        params = PhoneLookupSerializer(data=data)
        params.is_valid(raise_exception=True)
        phone = params.validated_data["phone"]
        try:
            # As the blind index reads it (digits only), so "138-1234-5678" looks up like "13812345678".
            validate_phone(normalize_phone_for_index(phone))
        except DjangoValidationError as exc:
            raise ValidationFailed(exc.messages[0], fields={"phone": exc.messages}) from None
        orders = selectors.workorder_by_phone(user=user, phone=phone)
        return Response(WorkOrderListSerializer(orders, many=True, context={"request": request}).data)


# --- one order ----------------------------------------------------------------------------------------------------


class WorkOrderDetailApi(APIView):
    @extend_schema(
        responses={200: WorkOrderDetailSerializer, **error_responses(401, 403, 404)},
        summary="One work order with its timeline",
    )
    def get(self, request: Request, number: str) -> Response:
        return Response(_detail(request, _visible_order(request.user, number)))


class WorkOrderActionApi(APIView):
    """Base of the per-action endpoints below: parse the action's input, call its one service, answer the order."""

    workorder_action: Action
    input_serializer: type[serializers.Serializer]
    parser_classes = [BoundedJSONParser]

    def take(self, request: Request, number: str) -> Response:
        _check_number(number)
        # A role that may never take this action (a leader reading the order) gets 403 before its input is read.
        workorder_check_role(request.user, self.workorder_action)
        form = self.input_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        kwargs = dict(form.validated_data)
        if self.workorder_action is Action.REPLY:
            kwargs["files"] = _uploaded_files(request)
        service = services.ACTION_SERVICES[self.workorder_action]
        order = service(order=number, actor=request.user, **kwargs)
        return Response(_after_write(request, order))


def _action_view(action: Action) -> type[WorkOrderActionApi]:
    """One view class per action, so that the schema documents each action's own request body."""
    input_cls = ACTION_INPUTS[action]
    request_schema: Any = input_cls
    parsers: list[Any] = [BoundedJSONParser]
    if action is Action.REPLY:
        request_schema = {"application/json": input_cls, "multipart/form-data": ReplyMultipartInput}
        parsers = [BoundedJSONParser, MultiPartParser]
    service_doc = (services.ACTION_SERVICES[action].__doc__ or "").strip()

    class View(WorkOrderActionApi):
        workorder_action = action
        input_serializer = input_cls
        parser_classes = parsers

        @extend_schema(
            request=request_schema,
            responses={200: WorkOrderDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
            operation_id=f"workorders_{action.value.replace('-', '_')}",
            summary=f"Action: {action.value}",
            description=service_doc,
        )
        def post(self, request: Request, number: str) -> Response:
            return self.take(request, number)

    name = "".join(part.capitalize() for part in action.value.split("-"))
    View.__name__ = View.__qualname__ = f"WorkOrder{name}Api"
    return View


ACTION_VIEWS: dict[Action, type[WorkOrderActionApi]] = {action: _action_view(action) for action in ACTION_INPUTS}


class UnknownActionApi(APIView):
    """Any other `/workorders/{number}/{name}/`: a JSON 404 rather than Django's HTML page."""

    @extend_schema(exclude=True)
    def get(self, request: Request, number: str, name: str) -> Response:
        raise NotFound(_("Unknown action “%(a)s”.") % {"a": name[:40]})

    @extend_schema(exclude=True)
    def post(self, request: Request, number: str, name: str) -> Response:
        raise NotFound(_("Unknown action “%(a)s”.") % {"a": name[:40]})


class WorkOrderRevealApi(APIView):
    """One unmasked personal field, for the roles that need it; every attempt, allowed or refused, is audited."""

    @extend_schema(
        request=RevealInputSerializer,
        responses={200: RevealOutputSerializer, **error_responses(400, 401, 403, 404)},
        summary="Reveal an unmasked phone or ID number (audited)",
    )
    def post(self, request: Request, number: str) -> Response:
        _check_number(number)
        form = RevealInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        value = services.workorder_pii_reveal(
            order=number, actor=request.user, field=form.validated_data["field"], ip_address=_client_ip(request)
        )
        return Response(RevealOutputSerializer({"value": value}).data)


class WorkOrderAttachmentApi(APIView):
    """Download an attachment of an order the caller may see, always as a download and never sniffed as HTML."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(response=OpenApiTypes.BINARY),
            **error_responses(401, 403, 404),
        },
        summary="Download an attachment",
    )
    def get(self, request: Request, number: str, pk: int) -> FileResponse:
        order = _visible_order(request.user, number)
        attachment = Attachment.objects.filter(case_id=order.pk, pk=pk).first()
        if attachment is None:
            raise NotFound(_("This order has no such attachment."))
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("The file of this attachment is missing.")) from None
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
