"""Supervision in the admin: the settings singleton (editable); urges, escalations and 督办 read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govdesk.common.admin import ReadOnlyAdmin

from .models import Escalation, SupervisionCase, SupervisionSettings, SupervisionUrge


@admin.register(SupervisionSettings)
class SupervisionSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "auto_urge_enabled",
        "urge_due_soon",
        "reurge_interval_days",
        "escalation_delay",
        "escalation_delay_unit",
        "answer_days",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row (pk 1): SupervisionSettings.current() creates it.
        return super().has_add_permission(request) and not SupervisionSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SupervisionUrge)
class SupervisionUrgeAdmin(ReadOnlyAdmin):
    list_display = ("case", "kind", "due_at", "sequence", "urged_at")
    list_filter = ("kind",)
    raw_id_fields = ("case",)


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("case", "due_at", "escalated_at", "status", "handled_by", "handled_at")
    list_filter = ("status",)
    raw_id_fields = ("case", "handled_by")


@admin.register(SupervisionCase)
class SupervisionCaseAdmin(ReadOnlyAdmin):
    list_display = ("pk", "case", "status", "opened_at", "answer_due_at", "is_overdue", "answered_at", "closed_at")
    list_filter = ("status", "is_overdue")
    raw_id_fields = ("case", "opened_by", "answered_by", "answered_unit", "closed_by")
