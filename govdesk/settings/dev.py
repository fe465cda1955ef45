"""Local development and `make run`: embedded SQLite, debug pages, a per-checkout secret key."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable

from govdesk.common.crypto import generate_key

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


def _local_secret(env_name: str, file_name: str, make: Callable[[], str]) -> str:
    """The environment's value, else one generated on the first run and kept under VAR_DIR (mode 600, like
    var/demo-password). Losing the field keys file loses the local database's phone and ID numbers: keep it with it."""
    if os.environ.get(env_name):
        return os.environ[env_name]
    path = VAR_DIR / file_name
    if not path.exists():
        # Written whole with mode 600 beside it, then linked into place: another process starting at the same moment
        # (the task worker next to runserver) never reads a half-written key, and the first link wins.
        fd, temporary = tempfile.mkstemp(dir=VAR_DIR, prefix=f".{file_name}.")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(make() + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


GOVDESK_FIELD_KEYS = _local_secret("GOVDESK_FIELD_KEYS", "field-keys", lambda: f"dev1:{generate_key()}")
GOVDESK_BLIND_INDEX_KEY = _local_secret("GOVDESK_BLIND_INDEX_KEY", "blind-index-key", generate_key)

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
