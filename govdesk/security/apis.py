"""API login and logout: `POST /api/v1/auth/token/` (password, and a second factor where needed) and
`POST /api/v1/auth/logout/` (revokes the token used)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govdesk.common.api import ErrorSerializer, error_responses
from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.org.views import lockout_message

from . import services
from .authentication import ApiTokenAuthentication
from .models import ApiToken
from .selectors import twofactor_enrolled, twofactor_needed


class AccountLocked(ApplicationError):
    """Too many failed logins (django-axes); the same answer the web login gives, as JSON."""

    status_code = 429
    code = "locked"


class SecondFactorNeeded(ApplicationError):
    """401: the password was right, the second factor is missing, wrong, or not set up yet."""

    status_code = 401
    code = "otp_required"


def _client_ip(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class TokenObtainApi(APIView):
    """Exchange a username and password (and, for two-factor accounts, `otp`) for a new API token.

    Each call issues a new token (`Authorization: Token <token>`), valid until `expires_at` at most and for
    GOVDESK["API_TOKEN_IDLE_MINUTES"] without use. `authenticate()` gets the underlying Django request so django-axes
    sees the attempt; a wrong second factor is reported as a failed login too, so the same lockout applies. No
    authentication classes here, so neither a stale token nor a missing CSRF cookie can get in the way of logging in.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="TokenInput")
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=256, trim_whitespace=False)
        otp = serializers.CharField(
            max_length=32,
            required=False,
            allow_blank=True,
            help_text="The 6-digit code of the authenticator app, or a one-time recovery code. Required for "
            "accounts with two-factor login; without it they get 401 with code `otp_required`.",
        )

    @extend_schema_serializer(component_name="TokenOutput")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expires_at = serializers.DateTimeField(help_text="The absolute end of the token's life.")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            401: OpenApiResponse(
                response=ErrorSerializer,
                description="Second factor missing (`otp_required`), wrong (`otp_invalid`) or not set up "
                "(`otp_enrolment_required`: enrol in the browser first).",
            ),
            **error_responses(400, 429),
        },
        auth=[],
        summary="Obtain an API token",
    )
    def post(self, request: Request) -> Response:
        form = self.InputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        django_request = request._request
        username = form.validated_data["username"]
        user = authenticate(request=django_request, username=username, password=form.validated_data["password"])
        if getattr(django_request, "axes_locked_out", False):
            # AxesMiddleware would swap in its own answer anyway; give the same one (govdesk.org.views) directly.
            raise AccountLocked(lockout_message(django_request))
        if user is None:
            raise ValidationFailed(
                _("Wrong username or password, or the account is disabled."), code="invalid_credentials"
            )
        if twofactor_needed(user):
            self._second_factor(django_request, user, form.validated_data.get("otp", ""))
        # A token login is a login: the signal records last_login and lets axes clear the failure count, as the web
        # login does; no session is created, API clients send the token.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        token, key = services.api_token_issue(user=user, ip_address=_client_ip(request))
        return Response(self.OutputSerializer({"token": key, "expires_at": token.expires_at}).data)

    def _second_factor(self, django_request: Any, user: Any, code: str) -> None:
        if not twofactor_enrolled(user):
            raise SecondFactorNeeded(
                _("This account must set up two-factor login: log in once in the browser to enrol an authenticator."),
                code="otp_enrolment_required",
            )
        if not code.strip():
            raise SecondFactorNeeded(
                _('This account logs in with two factors: send the authenticator\'s 6-digit code as "otp".')
            )
        if services.twofactor_verify(user=user, code=code, ip_address=_client_ip(django_request)) is None:
            # Counted like a wrong password, so five wrong codes lock the account as five wrong passwords do.
            user_login_failed.send(
                sender=__name__, credentials={"username": user.get_username()}, request=django_request
            )
            if getattr(django_request, "axes_locked_out", False):
                raise AccountLocked(lockout_message(django_request))
            raise SecondFactorNeeded(_("The two-factor code is not right."), code="otp_invalid")


class LogoutApi(APIView):
    """Revoke the token this request was made with. A session (browser) client is logged out by the web logout."""

    authentication_classes = [ApiTokenAuthentication]

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="The token is revoked."), **error_responses(401)},
        summary="Log out (revoke this token)",
    )
    def post(self, request: Request) -> Response:
        token = request.auth
        if isinstance(token, ApiToken):
            services.api_token_revoke(
                token=token, reason="logout", acting_user=request.user, ip_address=_client_ip(request)
            )
        return Response(status=204)
