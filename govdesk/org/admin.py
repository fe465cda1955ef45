from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "accepts_orders", "is_active")
    list_filter = ("kind", "accepts_orders", "is_active")
    search_fields = ("code", "name", "place_names")
    raw_id_fields = ("parent",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts are the security administrator's; roles are the groups named by role codes."""

    list_display = ("username", "display_name", "unit", "role_list", "is_active", "last_login")
    list_filter = ("groups", "is_active", "unit__kind")
    search_fields = ("username", "display_name", "unit__name")
    raw_id_fields = ("unit",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("GovDesk"), {"fields": ("display_name", "unit", "phone", "password_changed_at")}),
    )

    @admin.display(description=_("roles"))
    def role_list(self, obj: User) -> str:
        return ", ".join(sorted(obj.roles))
