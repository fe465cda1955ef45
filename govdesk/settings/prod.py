"""Production: every secret and host from the environment; HTTPS only; PostgreSQL expected."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from govdesk.common.crypto import parse_blind_index_key, parse_field_keys

from .base import *  # noqa: F403


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"Set the environment variable {name}.")
    return value


SECRET_KEY = _required("DJANGO_SECRET_KEY")
# Checked here, so a missing or malformed key stops the process at start, not at the first citizen's phone number.
GOVDESK_FIELD_KEYS = _required("GOVDESK_FIELD_KEYS")
GOVDESK_BLIND_INDEX_KEY = _required("GOVDESK_BLIND_INDEX_KEY")
parse_field_keys(GOVDESK_FIELD_KEYS)
parse_blind_index_key(GOVDESK_BLIND_INDEX_KEY)
ALLOWED_HOSTS = [h.strip() for h in _required("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
DEBUG = False

# Behind the intranet's TLS-terminating proxy: the client's address is the X-Forwarded-For entry it writes
# (govdesk.common.middleware.ProxyClientAddressMiddleware). GOVDESK_BEHIND_PROXY=0 for a server reached directly.
GOVDESK = {**GOVDESK, "BEHIND_PROXY": os.environ.get("GOVDESK_BEHIND_PROXY", "1") == "1"}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Cookies only over HTTPS. `manage.py serve` sets DJANGO_SECURE_COOKIES=0 only when it binds a loopback address and
# nothing says TLS is in front (the plain-HTTP loopback install of `make serve`); never set it for a reachable server.
SESSION_COOKIE_SECURE = os.environ.get("DJANGO_SECURE_COOKIES", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
