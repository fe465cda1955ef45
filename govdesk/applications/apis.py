"""The application REST API: list, submit, detail, one endpoint per lifecycle action, material files, notices, reveal.

Thin views: each parses its input with a serializer, calls ONE service or selector, and renders. Services do every
check that matters and raise ApplicationError subclasses, which the common exception handler turns into
`{"code", "message"[, "fields"]}` with 400, 403, 404 or 409; each service runs in one transaction, so a rejected
request writes nothing.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.cases.attachments import attachment_check
from govdesk.common.api import Pagination, error_responses
from govdesk.common.errors import NotFound, PermissionDenied, ValidationFailed
from govdesk.common.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from govdesk.common.parsers import BoundedJSONParser
from govdesk.org.models import Role

from . import hooks, selectors, services
from .models import Application
from .permissions import application_check_role, application_refusal_is_not_found
from .serializers import (
    ACTION_INPUTS,
    NUMBER_PATTERN,
    ApplicationCreateInput,
    ApplicationDetailSerializer,
    ApplicationListFilter,
    ApplicationListSerializer,
    ApplicationMaterialFileInput,
    ApplicationMaterialSerializer,
    ApplicationRevealInput,
    ApplicationRevealOutput,
)
from .states import Action

_NUMBER_RE = re.compile(NUMBER_PATTERN)


def _not_found(number: str) -> NotFound:
    return NotFound(_("No application with number %(n)s.") % {"n": number[:40]})


def _check_number(number: str) -> None:
    """Refuse path values that cannot be a number before they reach SQL (PostgreSQL rejects NUL bytes)."""
    if not _NUMBER_RE.match(number):
        raise _not_found(number)


def _visible(user: Any, number: str) -> Application:
    """The application if the caller may see it; 404 if there is none; 403 if it exists but is not theirs, except
    for a citizen, who gets the same 404."""
    _check_number(number)
    application = selectors.application_get(user=user, number=number)
    if application is not None:
        return application
    if not application_refusal_is_not_found(user) and Application.objects.filter(number=number).exists():
        raise PermissionDenied(_("You cannot see this application."))
    raise _not_found(number)


def _detail(request: Request, number: str) -> dict[str, Any]:
    return ApplicationDetailSerializer(_visible(request.user, number), context={"request": request}).data


def _client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class ApplicationListCreateApi(APIView):
    """GET: the applications the caller may see, newest first. POST: register (window) or file (online) one."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        parameters=[ApplicationListFilter],
        responses={200: ApplicationListSerializer(many=True), **error_responses(400, 401)},
        summary="List applications",
    )
    def get(self, request: Request) -> Response:
        params = ApplicationListFilter(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = {key: value for key, value in params.validated_data.items() if value not in (None, "")}
        rows = selectors.application_list(user=request.user, filters=filters)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        data = ApplicationListSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        # The case types built on applications (a package: `"package"` instead of `"matter"`) add their variants
        # through hooks, evaluated when the schema is generated (after every app's ready()).
        request=PolymorphicProxySerializer(
            component_name="ApplicationSubmission",
            serializers=lambda: [ApplicationCreateInput, *hooks.case_api_create_schemas()[0]],
            resource_type_field_name=None,
        ),
        responses={
            201: PolymorphicProxySerializer(
                component_name="ApplicationSubmitted",
                serializers=lambda: [ApplicationDetailSerializer, *hooks.case_api_create_schemas()[1]],
                resource_type_field_name=None,
            ),
            **error_responses(400, 401, 403, 409),
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        summary="Submit an application",
        description="Register (window) or file (online) an application for a matter (`matter`), or a package "
        "application (一件事) with `package` (a package code) instead of `matter`: `form` then holds the merged "
        "form's fields and `materials` the merged materials' codes. A package's answer carries `kind: package` "
        "and `parts` (one per bundled matter, from the acceptance on).",
    )
    @idempotent()
    def post(self, request: Request) -> Response:
        other = hooks.case_api_for_body(request.data)
        if other is not None:
            # `"package": code` instead of `"matter"`: a package application (一件事), answered by its own app.
            return other.create(request)
        user: Any = request.user
        # The service checks this too; checking first means a caller without the role gets 403, not a field error.
        if not user.has_role(Role.WINDOW_CLERK, Role.CITIZEN):
            raise PermissionDenied(_("Your role does not allow registering applications."))
        form = ApplicationCreateInput(data=request.data)
        form.is_valid(raise_exception=True)
        submitted = services.application_submit_recorded(
            actor=request.user, data=dict(form.validated_data), ip_address=_client_ip(request)
        )
        # What submitting wrote is the whole of a new application's related data: answer from it, without re-reading
        # (as the work-order API does); a later GET gives the same body.
        application = submitted.application
        body = ApplicationDetailSerializer(application, context={"request": request, "submitted": submitted}).data
        return Response(body, status=201, headers={"Location": f"/api/v1/applications/{application.number}/"})


class ApplicationDetailApi(APIView):
    @extend_schema(
        responses={200: ApplicationDetailSerializer, **error_responses(401, 403, 404)},
        summary="One application with its materials, clock, notices and timeline",
    )
    def get(self, request: Request, number: str) -> Response:
        other = hooks.case_api_for_number(number)
        if other is not None:
            return other.detail(request, number)
        return Response(_detail(request, number))


class ApplicationActionApi(APIView):
    """Base of the per-action endpoints: parse the action's input, call its one service, answer the application."""

    application_action: Action
    input_serializer: type[serializers.Serializer]
    parser_classes = [BoundedJSONParser]

    def take(self, request: Request, number: str) -> Response:
        _check_number(number)
        other = hooks.case_api_for_number(number)
        if other is not None:
            return other.action(request, number, self.application_action.value)
        # A role that may never take this action gets 403 before its input is read.
        application_check_role(request.user, self.application_action)
        form = self.input_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        service = services.ACTION_SERVICES[self.application_action]
        service(application=number, actor=request.user, **form.validated_data)
        return Response(_detail(request, number))


def _action_view(action: Action) -> type[ApplicationActionApi]:
    """One view class per action, so the schema documents each action's own request body."""
    input_cls = ACTION_INPUTS[action]
    service_doc = (services.ACTION_SERVICES[action].__doc__ or "").strip()

    class View(ApplicationActionApi):
        application_action = action
        input_serializer = input_cls

        @extend_schema(
            request=input_cls,
            responses={200: ApplicationDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
            operation_id=f"applications_{action.value.replace('-', '_')}",
            summary=f"Action: {action.value}",
            description=service_doc,
        )
        def post(self, request: Request, number: str) -> Response:
            return self.take(request, number)

    name = "".join(part.capitalize() for part in action.value.split("-"))
    View.__name__ = View.__qualname__ = f"Application{name}Api"
    return View


ACTION_VIEWS: dict[Action, type[ApplicationActionApi]] = {action: _action_view(action) for action in ACTION_INPUTS}


class ApplicationMaterialFileApi(APIView):
    """Upload the scan of one material (multipart `file`): checked by content, one per material."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ApplicationMaterialFileInput},
        responses={201: ApplicationMaterialSerializer, **error_responses(400, 401, 403, 404, 409)},
        summary="Upload a material's file",
    )
    def post(self, request: Request, number: str, code: str) -> Response:
        _check_number(number)
        other = hooks.case_api_for_number(number)
        if other is not None:
            return other.material_file(request, number, code)
        upload = request.FILES.get("file")
        if upload is None:
            message = _("Choose a file.")
            raise ValidationFailed(message, fields={"file": [message]})
        limit = cast(int, settings.GOVDESK["ATTACHMENT_MAX_BYTES"])
        checked = attachment_check(name=upload.name or "file", data=upload.read(limit + 1))
        material = services.application_material_attach(
            application=number, actor=request.user, code=code[:32], file=checked
        )
        return Response(ApplicationMaterialSerializer(material).data, status=201)


class ApplicationNoticeApi(APIView):
    """A notice's PDF, for callers who may see the application; never sniffed as anything else."""

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(response=OpenApiTypes.BINARY),
            **error_responses(401, 403, 404),
        },
        summary="Download a notice (PDF)",
    )
    def get(self, request: Request, number: str, pk: int) -> FileResponse:
        other = hooks.case_api_for_number(number)
        if other is not None:
            return cast(FileResponse, other.notice(request, number, pk))
        application = _visible(request.user, number)
        notice = selectors.application_notices(application=application).filter(pk=pk).first()
        if notice is None:
            raise NotFound(_("This application has no such notice."))
        try:
            handle = notice.file.open("rb")
        except FileNotFoundError:
            raise NotFound(_("The file of this notice is missing.")) from None
        response = FileResponse(
            handle,
            as_attachment=False,
            filename=f"{notice.kind}-{application.number}.pdf",
            content_type="application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ApplicationRevealApi(APIView):
    """One unmasked personal field, for the window and the deciding unit; every attempt is audited."""

    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=ApplicationRevealInput,
        responses={200: ApplicationRevealOutput, **error_responses(400, 401, 403, 404)},
        summary="Reveal the applicant's phone or ID number (audited)",
    )
    def post(self, request: Request, number: str) -> Response:
        _check_number(number)
        form = ApplicationRevealInput(data=request.data)
        form.is_valid(raise_exception=True)
        value = services.application_pii_reveal(
            application=number, actor=request.user, field=form.validated_data["field"], ip_address=_client_ip(request)
        )
        return Response(ApplicationRevealOutput({"value": value}).data)


class UnknownActionApi(APIView):
    """Any other `/applications/{number}/{name}/`: a JSON 404 rather than Django's HTML page."""

    @extend_schema(exclude=True)
    def get(self, request: Request, number: str, name: str) -> Response:
        raise NotFound(_("Unknown action “%(a)s”.") % {"a": name[:40]})

    @extend_schema(exclude=True)
    def post(self, request: Request, number: str, name: str) -> Response:
        other = hooks.case_api_for_number(number)
        if other is not None:
            return other.action(request, number, name)
        raise NotFound(_("Unknown action “%(a)s”.") % {"a": name[:40]})
