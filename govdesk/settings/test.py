"""Tests: fast hashing, in-memory cache, files under a temporary folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import GOVDESK

SECRET_KEY = "test-only-secret-key-not-for-production-0123456789abcdef"
# Test-only keys (32 bytes each, base64), never used anywhere else.
GOVDESK_FIELD_KEYS = "test1:dGVzdC1vbmx5LWZpZWxkLWtleS0xLW5vdC1zZWNyZXQ="
GOVDESK_BLIND_INDEX_KEY = "dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS1ub3Qtc2VjcmV0"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="govdesk-test-media-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
GOVDESK = {
    **GOVDESK,
    "PUBLIC_SUBMIT_RATE": "1000/h",
    "PUBLIC_TRACK_RATE": "1000/h",
    "PERMIT_VERIFY_RATE": "1000/h",
    "OPEN311_IP_RATE": "100000/h",
    # No classifier unless a test trains one (tests never read a model trained on this machine).
    "DISPATCH_MODEL_PATH": str(Path(tempfile.mkdtemp(prefix="govdesk-test-models-")) / "dispatch-classifier.joblib"),
    "EXPORT_DIR": tempfile.mkdtemp(prefix="govdesk-test-exports-"),
    # Empty; tests that archive point it at their own tmp_path.
    "AUDIT_ARCHIVE_DIR": tempfile.mkdtemp(prefix="govdesk-test-audit-archive-"),
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not SQLite's shared-cache memory database: there, concurrent connections fail at once with "database
    # table is locked" instead of waiting, so the concurrency tests could not model production's file database.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.mkdtemp(prefix="govdesk-test-db-")) / "test.sqlite3")}
    # A throw-away database: no need to wait for the disk.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"

# Serve static files straight from the apps (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tasks run at once, in the calling thread, on an in-memory queue, whatever GOVDESK_REDIS_URL or
# GOVDESK_TASKS_IMMEDIATE say. A test that needs a real queue swaps in a MemoryStorage (dispatch/tests/test_tasks.py).
HUEY = {
    **{k: v for k, v in HUEY.items() if k not in ("url", "filename")},
    "huey_class": "huey.SqliteHuey",
    "filename": str(Path(tempfile.mkdtemp(prefix="govdesk-test-tasks-")) / "tasks.sqlite3"),
    "immediate": True,
}
