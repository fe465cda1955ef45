"""Local development and `make run`: embedded SQLite, debug pages, a per-checkout secret key."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import VAR_DIR
from .local_secrets import local_secrets_resolve

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

# The same files `manage.py serve` reads (govdesk/settings/local_secrets.py): one key set per checkout.
_secrets = local_secrets_resolve(var_dir=VAR_DIR)
SECRET_KEY = _secrets["DJANGO_SECRET_KEY"]
GOVDESK_FIELD_KEYS = _secrets["GOVDESK_FIELD_KEYS"]
GOVDESK_BLIND_INDEX_KEY = _secrets["GOVDESK_BLIND_INDEX_KEY"]

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
