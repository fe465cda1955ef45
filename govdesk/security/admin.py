"""The security administrator's pages: API tokens (revoke) and two-factor logins (reset), both audited.

django-otp's own device admins are removed: they show TOTP secrets and would let an editor swap a second factor
without an audit event.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from govdesk.common.errors import ApplicationError

from . import services
from .models import ApiToken, TwoFactorAccount
from .selectors import twofactor_required

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows change only through the actions (services), never through a form."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at", "revoked_reason")
    list_filter = ("revoked_reason",)
    search_fields = ("prefix", "user__username")
    list_select_related = ("user",)
    exclude = ("key_hash",)
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields if f.name != "key_hash"]

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = sum(
            services.api_token_revoke(token=t, reason="admin", acting_user=request.user, ip_address=_ip(request))
            for t in queryset.select_related("user")
        )
        self.message_user(request, ngettext("%d token revoked.", "%d tokens revoked.", count) % count)


@admin.register(TwoFactorAccount)
class TwoFactorAccountAdmin(ReadOnlyAdmin):
    list_display = ("username", "display_name", "required", "enrolled", "recovery_codes", "is_active")
    search_fields = ("username", "display_name")
    fields = ("username", "display_name", "is_active", "last_login")
    actions = ["reset_two_factor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups")
            .annotate(
                confirmed_totp=Count("totpdevice", filter=Q(totpdevice__confirmed=True), distinct=True),
                recovery_left=Count("staticdevice__token_set", distinct=True),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields

    @admin.display(description=_("required"), boolean=True)
    def required(self, obj: Any) -> bool:
        obj.__dict__["roles"] = frozenset(g.name for g in obj.groups.all())
        return twofactor_required(obj)

    @admin.display(description=_("enrolled"), boolean=True)
    def enrolled(self, obj: Any) -> bool:
        return bool(obj.confirmed_totp)

    @admin.display(description=_("recovery codes left"))
    def recovery_codes(self, obj: Any) -> int:
        return int(obj.recovery_left)

    @admin.action(description=_("Reset two-factor login (the person enrols again)"), permissions=["change"])
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for account in queryset:
            try:
                services.twofactor_reset(account, request.user, ip_address=_ip(request))
            except ApplicationError as exc:
                self.message_user(request, f"{account.username}: {exc.message}", level=messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, ngettext("%d account reset.", "%d accounts reset.", done) % done)
