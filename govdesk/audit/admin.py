from __future__ import annotations

from django.contrib import admin

from govdesk.common.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only for everybody, superusers included: the trail is append-only."""

    list_display = (
        "id",
        "occurred_at",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "from_state",
        "to_state",
        "success",
    )
    list_filter = ("action", "object_type", "success")
    search_fields = ("actor_username", "object_id", "note")
    date_hierarchy = "occurred_at"
