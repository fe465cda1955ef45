from __future__ import annotations

from django.contrib import admin

from govdesk.common.admin import ReadOnlyAdmin

from .models import WorkOrder


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    """Look-up only: orders change through the workflow (services), never by editing rows."""

    list_display = ("number", "title", "status", "request_type", "primary_unit", "created_at", "due_at", "is_overdue")
    list_filter = ("status", "request_type", "channel", "urgency", "is_overdue")
    search_fields = ("number", "title")
    date_hierarchy = "created_at"
    exclude = ("citizen_phone", "citizen_id_number")
