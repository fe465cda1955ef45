"""Local development and `make run`: embedded SQLite, debug pages, a per-checkout secret key."""

from __future__ import annotations

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

VAR_DIR.mkdir(parents=True, exist_ok=True)
_key_file = VAR_DIR / "secret_key"
if not _key_file.exists():
    _key_file.write_text(secrets.token_urlsafe(50))
    _key_file.chmod(0o600)
SECRET_KEY = _key_file.read_text().strip()

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
