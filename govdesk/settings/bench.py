"""Benchmark server: production-like (no debug), but plain HTTP on loopback and a throwaway key."""

from __future__ import annotations

import os

from .base import *  # noqa: F403

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
# Throwaway keys for benchmark databases (encryption costs the same with any key).
GOVDESK_FIELD_KEYS = os.environ.get("GOVDESK_FIELD_KEYS", "bench1:YmVuY2gtb25seS1maWVsZC1rZXktbm90LXNlY3JldCE=")
GOVDESK_BLIND_INDEX_KEY = os.environ.get(
    "GOVDESK_BLIND_INDEX_KEY", "YmVuY2gtb25seS1ibGluZC1pbmRleC1rZXktbm90LXNlY3JldA=="
)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# The benchmark URLs: the product's plus the bare endpoint bench/intake.py --bare compares intake against. Only these
# settings route to it; the product's URLs never do.
ROOT_URLCONF = "bench.urls"
