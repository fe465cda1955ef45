"""Benchmark server: production-like (no debug), but plain HTTP on loopback and a throwaway key."""

from __future__ import annotations

import os

from .base import *  # noqa: F403

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
