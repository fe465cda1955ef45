from __future__ import annotations

from django.db import models

from .fields import EncryptedTextField


class Counter(models.Model):
    """Named sequences (e.g. work-order numbers per day). Incremented under a row lock."""

    key = models.CharField(max_length=64, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class IdempotencyKey(models.Model):
    """The answer to a creating request sent with an `Idempotency-Key` header (`govdesk.common.idempotency`): a retry
    with the same key and body gets this answer again instead of creating a second object. Kept for
    GOVDESK["IDEMPOTENCY_KEY_TTL_HOURS"], then purged by a periodic task."""

    # `user:<pk>`, `open311:<api key pk>` or `anon:<client address>`: one client's keys never meet another's.
    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    # sha256 (hex) of method, path, query string and the canonical body: the same key with another body is a 409.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    # The stored answer names the citizen (a new order's masked phone, name, address): encrypted like the case itself.
    body = EncryptedTextField(blank=True, default="")
    # The Location header of a 201, replayed with the body.
    location = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="common_idempotencykey_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
