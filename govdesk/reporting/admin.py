from django.contrib import admin

from govdesk.common.admin import ReadOnlyAdmin

from .models import ReportingTask


@admin.register(ReportingTask)
class ReportingTaskAdmin(ReadOnlyAdmin):
    """Tasks are issued, and reports change, only through the services (timeline and audit)."""

    list_display = ("title", "kind", "year", "month", "due_at", "issued_by")
    list_filter = ("kind", "year")
