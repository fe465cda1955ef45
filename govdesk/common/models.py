from __future__ import annotations

from django.db import models


class Counter(models.Model):
    """Named sequences (e.g. work-order numbers per day). Incremented under a row lock."""

    key = models.CharField(max_length=64, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
