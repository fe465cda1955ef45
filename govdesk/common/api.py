"""Shared REST API plumbing: one error shape, pagination, helpers for views that call services."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ErrorSerializer(serializers.Serializer):
    """The one error shape every API answer uses, so the schema tells clients what a 4xx body holds."""

    code = serializers.CharField()
    message = serializers.CharField()
    # The body's key is called "fields"; the serializer metaclass moves declared fields out of the way of `.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """`@extend_schema(responses={200: X, **error_responses(400, 404)})`: document the error answers once."""
    return {code: OpenApiResponse(response=ErrorSerializer) for code in codes}


class FieldsOnceMixin:
    """ModelSerializer introspects the model to build its fields on every instance (about 1 ms for a wide model);
    build them once per class and hand each instance a copy, which is what DRF does for declared fields anyway."""

    _fields_by_class: dict[type, dict[str, Any]] = {}

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        built = FieldsOnceMixin._fields_by_class.get(cls)
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            FieldsOnceMixin._fields_by_class[cls] = built
        return copy.deepcopy(built)


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                out[str(key)] = [str(v) if not isinstance(v, dict) else str(next(iter(v.values()), "")) for v in value]
            else:
                out[str(key)] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def django_validation_error_fields(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error as `{"code", "message"[, "fields"]}`."""
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = django_validation_error_fields(exc)
        first = next(iter(fields.values()))[0]
        return Response({"code": "invalid", "message": first, "fields": fields}, status=400)
    if isinstance(exc, Http404):
        return Response({"code": "not_found", "message": _("Not found.")}, status=404)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first_field, first_msgs = next(iter(fields.items()))
        message = first_msgs[0] if first_field == "non_field_errors" else f"{first_field}: {first_msgs[0]}"
        response.data = {"code": "invalid", "message": message, "fields": fields}
        return response
    code = getattr(exc, "default_code", "error")
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        code = "not_authenticated"
    elif response.status_code == status.HTTP_403_FORBIDDEN:
        code = "permission_denied"
    detail = getattr(exc, "detail", str(exc))
    response.data = {"code": str(code), "message": str(detail)}
    return response
