from __future__ import annotations

from django.contrib import admin

from govdesk.common.admin import ReadOnlyAdmin

from .models import Application


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    """Look-up only: applications change through the workflow (services), never by editing rows."""

    list_display = ("number", "title", "status", "channel", "primary_unit", "created_at", "due_at", "is_overdue")
    list_filter = ("status", "channel", "is_overdue")
    search_fields = ("number", "title")
    date_hierarchy = "created_at"
    exclude = ("applicant_phone", "applicant_id_number", "form")
