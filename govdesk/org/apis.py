"""API: obtain a token, who am I, and the units tree.

Thin views (HackSoft style): parse the input, call one service or selector, render. Errors leave as
`{"code", "message"[, "fields"]}` through govdesk.common.api.exception_handler.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import error_responses
from govdesk.common.errors import ApplicationError, ValidationFailed

from .models import Unit


class AccountLocked(ApplicationError):
    """Too many failed logins (django-axes); the same answer the web login gives, as JSON."""

    status_code = 429
    code = "locked"


class TokenObtainApi(APIView):
    """Exchange a username and password for an API token (`Authorization: Token <token>`).

    `authenticate()` gets the underlying Django request so django-axes sees the attempt: it counts failures and
    locks the account after five, exactly as for the web login. No authentication classes here, so neither a
    stale token nor a missing CSRF cookie can get in the way of logging in.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="TokenInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    @extend_schema_serializer(component_name="TokenOutput")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 429)},
        auth=[],
        summary="Obtain an API token",
    )
    def post(self, request: Request) -> Response:
        form = self.InputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(
            request=django_request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            # AxesMiddleware would swap in its own answer anyway; give the same one (govdesk.org.views) directly.
            raise AccountLocked(_("Too many failed logins: this account is locked for 30 minutes."))
        if user is None:
            raise ValidationFailed(
                _("Wrong username or password, or the account is disabled."), code="invalid_credentials"
            )
        # A token login is a login: the signal records last_login and lets axes clear the failure count, as the web
        # login does; no session is created, API clients send the token.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response(self.OutputSerializer({"token": token.key}).data)


class MeApi(APIView):
    """The caller's identity, roles and unit: what a client needs to decide which screens to offer."""

    @extend_schema_serializer(component_name="Me")
    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        display_name = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        unit = serializers.CharField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer, **error_responses(401)}, summary="The current user")
    def get(self, request: Request) -> Response:
        user: Any = request.user
        unit = user.unit
        data = {
            "username": user.username,
            "display_name": user.display_name or user.username,
            "roles": sorted(user.roles),
            "unit": unit.code if unit is not None else None,
        }
        return Response(self.OutputSerializer(data).data)


class UnitListApi(APIView):
    """Active units in display order; clients rebuild the tree from `parent`.

    Unpaginated: a district has a few hundred units, and pickers need them all at once.
    """

    @extend_schema_serializer(component_name="Unit")
    class OutputSerializer(serializers.ModelSerializer):
        # The output key is "parent" (a unit code); the stubs type `Field.parent` as the enclosing serializer.
        parent = serializers.SlugRelatedField(  # type: ignore[assignment,var-annotated]
            slug_field="code", read_only=True, allow_null=True
        )

        class Meta:
            model = Unit
            fields = ["code", "name", "kind", "parent", "accepts_orders"]

    @extend_schema(responses={200: OutputSerializer(many=True), **error_responses(401)}, summary="Units")
    def get(self, request: Request) -> Response:
        units = Unit.objects.filter(is_active=True).select_related("parent")
        return Response(self.OutputSerializer(units, many=True).data)
