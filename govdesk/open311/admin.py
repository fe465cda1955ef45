"""Open311 keys: created through the service (the key is shown once, then only its prefix), revoked by an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdesk.common.admin import ReadOnlyAdmin
from govdesk.common.validators import has_control_characters

from .models import ApiKey, Submission
from .services import api_key_create, api_key_revoke


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "owner_unit", "owner_user")

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "").strip()
        if has_control_characters(name, allow_newlines=False):
            raise forms.ValidationError(_("This text contains invisible control characters; please remove them."))
        return name


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "owner_unit", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix")
    raw_id_fields = ("owner_unit", "owner_user")
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("name", "prefix", "owner_unit", "owner_user", "is_active", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "owner_unit", "owner_user"]
        return ["name", "prefix", "owner_unit", "owner_user", "is_active", "created_at", "last_used_at", "revoked_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Submissions keep their sender; revoke instead.
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return
        # The form checked the name (unique, no control characters), so the service does not refuse it here.
        key, raw = api_key_create(
            name=obj.name, actor=request.user, owner_unit=obj.owner_unit, owner_user=obj.owner_user
        )
        obj.pk = key.pk
        obj.prefix, obj.key_hash, obj.created_at = key.prefix, key.key_hash, key.created_at
        self.message_user(
            request,
            _("The key for “%(name)s” is %(key)s — copy it now: it is not stored and will not be shown again.")
            % {"name": key.name, "key": raw},
            level=messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset:
            api_key_revoke(name=key.name, actor=request.user)
        self.message_user(request, _("%(count)d keys revoked.") % {"count": queryset.count()})


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "api_key", "order", "token", "processed_at", "error")
    list_filter = ("api_key",)
    raw_id_fields = ("order", "api_key")
    exclude = ("pending_intake", "email", "device_id")
