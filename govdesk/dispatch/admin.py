"""Smart dispatch in the admin: the settings singleton (editable) and, read-only, the suggestions and corrections."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govdesk.common.admin import ReadOnlyAdmin

from .models import DispatchCorrection, DispatchSettings, DispatchSuggestion


@admin.register(DispatchSettings)
class DispatchSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "auto_dispatch_enabled", "auto_dispatch_threshold", "duplicate_window_days")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row (pk 1): DispatchSettings.current() creates it.
        return super().has_add_permission(request) and not DispatchSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DispatchSuggestion)
class DispatchSuggestionAdmin(ReadOnlyAdmin):
    list_display = ("case", "created_at", "category", "confidence", "unit", "auto_dispatched", "model_version")
    list_filter = ("auto_dispatched", "model_version")
    raw_id_fields = ("case", "category", "unit")


@admin.register(DispatchCorrection)
class DispatchCorrectionAdmin(ReadOnlyAdmin):
    list_display = ("case", "created_at", "suggested_unit", "final_unit", "suggested_category", "final_category")
    raw_id_fields = ("case", "corrected_by", "suggested_category", "final_category", "suggested_unit", "final_unit")
