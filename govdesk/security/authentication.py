"""`Authorization: Token <key>` for the API, checked against the hashed, expiring, revocable ApiToken rows."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from govdesk.common import clock

from . import services
from .models import ApiToken
from .selectors import api_token_get


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's header parsing (and drf-spectacular's "Token" security scheme), our own token table.

    The user and the user's unit come in the same query as the token: every write records the unit. A token of an
    account found inactive is revoked with all its others on the spot.
    """

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = api_token_get(key=key)
        if token is None:
            raise AuthenticationFailed(_("Invalid token."))
        now = clock.now()
        refusal = services.api_token_refusal(token, now=now)
        if refusal is not None:
            if token.revoked_at is None and not token.user.is_active:
                services.api_tokens_revoke_for_user(user=token.user, reason="inactive")
            raise AuthenticationFailed(refusal)
        services.api_token_touch(token, now=now)
        return token.user, token
