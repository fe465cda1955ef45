"""Secrets of a loopback installation: the environment's value, else one generated once and kept under VAR_DIR.

Shared by `govdesk.settings.dev` (`make run`) and `manage.py serve` (`make serve`, production settings on the same
machine), so both open the same database with the same keys. Never used by `govdesk.settings.prod` itself: there
every secret must come from the environment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from govdesk.common.crypto import generate_key


def local_secret(
    env_name: str, file_name: str, make: Callable[[], str], *, var_dir: Path, environ: Mapping[str, str] | None = None
) -> str:
    """The environment's value, else one generated on the first run and kept under var_dir (mode 600, like
    var/demo-password). Losing the field keys file loses the local database's phone and ID numbers: keep it with it."""
    environ = os.environ if environ is None else environ
    if environ.get(env_name):
        return environ[env_name]
    path = var_dir / file_name
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        # Written whole with mode 600 beside it, then linked into place: another process starting at the same moment
        # (the task worker next to runserver) never reads a half-written key, and the first link wins.
        fd, temporary = tempfile.mkstemp(dir=var_dir, prefix=f".{file_name}.")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(make() + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


# Environment variable → (file under VAR_DIR, how to make a new value). The file names are those `make run` has always
# written, so an existing var/ keeps its keys.
LOCAL_SECRETS: dict[str, tuple[str, Callable[[], str]]] = {
    "DJANGO_SECRET_KEY": ("secret_key", lambda: secrets.token_urlsafe(50)),
    "GOVDESK_FIELD_KEYS": ("field-keys", lambda: f"dev1:{generate_key()}"),
    "GOVDESK_BLIND_INDEX_KEY": ("blind-index-key", generate_key),
}


def local_secrets_resolve(*, var_dir: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every secret the settings need, by its environment variable's name."""
    return {
        env_name: local_secret(env_name, file_name, make, var_dir=var_dir, environ=environ)
        for env_name, (file_name, make) in LOCAL_SECRETS.items()
    }
