"""The registry in the admin: read only. Permits are issued by approvals and changed only by the registry's services
(verify, revoke), never added, edited or deleted here (the registry is append-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Permit


@admin.register(Permit)
class PermitAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "unit", "holder_name", "issued_at", "status", "on_commitment")
    list_filter = ("status", "on_commitment")
    search_fields = ("number",)
    date_hierarchy = "issued_at"
    list_select_related = ("unit",)
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
