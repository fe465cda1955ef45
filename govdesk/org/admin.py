"""The admin of units, accounts, role groups and login lockouts.

Accounts belong to the security administrator, and every change of one goes through org.services (checked, audited):
the forms offer username, display name, unit, phone, active, roles and the whitelisted special permissions, never
Django's raw is_superuser, is_staff, groups or user_permissions. Role groups are read-only: their permissions are
defined in code (services.ADMIN_ROLE_PERMISSIONS).
"""

from __future__ import annotations

from typing import Any, NoReturn

# Imported first so that their registrations exist before they are replaced below, whatever the app order.
import axes.admin as axes_admin
import django.contrib.auth.admin as auth_admin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import AdminForm
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import ReadOnlyPasswordHashField
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govdesk.common.errors import ValidationFailed

from . import services
from .models import Role, Unit, User
from .receivers import request_address


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "accepts_orders", "is_active")
    list_filter = ("kind", "accepts_orders", "is_active")
    search_fields = ("code", "name", "place_names")
    raw_id_fields = ("parent",)


# --- accounts --------------------------------------------------------------------------------------------------------


def _raise_as_form_error(exc: ValidationFailed, field: str) -> NoReturn:
    messages_ = exc.fields.get(field) or [exc.message]
    raise forms.ValidationError([str(m) for m in messages_])


class AccountForm(forms.ModelForm):
    """Fields shared by the add and the change form; roles and special permissions are checked by the services."""

    roles = forms.MultipleChoiceField(
        label=_("roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The system, security and audit administrator roles are held alone: never together, never with another "
            "role."
        ),
    )
    special_permissions = forms.MultipleChoiceField(
        label=_("special permissions"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = User
        fields = ("username", "display_name", "unit", "phone", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["special_permissions"].choices = [  # type: ignore[attr-defined]
            (code, services.GRANTABLE_PERMISSIONS[code]) for code in services.grantable_permissions_available()
        ]
        if self.instance.pk:
            self.fields["roles"].initial = services.user_roles_current(self.instance)
            self.fields["special_permissions"].initial = [
                code
                for code in services.user_permissions_current(self.instance)
                if code in services.GRANTABLE_PERMISSIONS
            ]

    def clean_roles(self) -> list[str]:
        try:
            return services.roles_check(self.cleaned_data.get("roles") or [])
        except ValidationFailed as exc:
            _raise_as_form_error(exc, "roles")

    def clean_special_permissions(self) -> list[str]:
        codes = self.cleaned_data.get("special_permissions") or []
        try:
            return sorted(services.permissions_check(codes))
        except ValidationFailed as exc:
            _raise_as_form_error(exc, "permissions")


class AccountChangeForm(AccountForm):
    password = ReadOnlyPasswordHashField(label=_("Password"))


class AccountAddForm(AccountForm):
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _passwords_check(self, self.instance, cleaned)
        return cleaned


def _passwords_check(form: forms.BaseForm, user: User, cleaned: dict[str, Any]) -> None:
    first, second = cleaned.get("password1"), cleaned.get("password2")
    if first and second and first != second:
        form.add_error("password2", gettext("The two password fields didn’t match."))
    elif first:
        try:
            services.password_check(first, user)
        except ValidationFailed as exc:
            form.add_error("password2", [str(m) for m in exc.fields.get("password", [exc.message])])


class AccountPasswordForm(forms.Form):
    password1 = AccountAddForm.base_fields["password1"]
    password2 = AccountAddForm.base_fields["password2"]

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _passwords_check(self, self.user, cleaned)
        return cleaned


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Accounts are the security administrator's; every save goes through org.services."""

    form = AccountChangeForm
    add_form = AccountAddForm
    add_form_template = None
    change_password_form = AccountPasswordForm
    list_display = ("username", "display_name", "unit", "role_list", "is_active", "last_login")
    list_filter = ("groups", "is_active", "unit__kind")
    search_fields = ("username", "display_name", "unit__name")
    ordering = ("username",)
    raw_id_fields = ("unit",)
    filter_horizontal = ()
    readonly_fields = ("last_login", "date_joined", "password_changed_at")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("GovDesk"), {"fields": ("display_name", "unit", "phone", "is_active")}),
        (_("Roles and permissions"), {"fields": ("roles", "special_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "password_changed_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("GovDesk"), {"fields": ("display_name", "unit", "phone", "is_active")}),
        (_("Roles and permissions"), {"fields": ("roles", "special_permissions")}),
    )
    actions = ["unlock_logins"]

    @admin.display(description=_("roles"))
    def role_list(self, obj: User) -> str:
        return ", ".join(sorted(obj.roles))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are deactivated, never deleted: the records keep who did what.
        return False

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = form.cleaned_data
        actor, address = request.user, request_address(request)
        if not change:
            created = services.user_create(
                username=data["username"],
                password=data["password1"],
                roles=data["roles"],
                unit=data.get("unit"),
                display_name=data.get("display_name", ""),
                phone=data.get("phone", ""),
                permissions=data["special_permissions"],
                is_active=data.get("is_active", True),
                acting_user=actor,
                ip_address=address,
            )
            # The admin goes on with the object it built (log entry, redirect): make it the saved one.
            obj.pk, obj.password = created.pk, created.password
            obj._state.adding, obj._state.db = False, created._state.db
            return
        services.user_update(
            user=obj,
            acting_user=actor,
            ip_address=address,
            **{name: data[name] for name in services.USER_UPDATABLE_FIELDS if name in data},
        )
        services.user_roles_set(user=obj, roles=data["roles"], acting_user=actor, ip_address=address)
        services.user_permissions_set(
            user=obj, permissions=data["special_permissions"], acting_user=actor, ip_address=address
        )
        services.user_set_active(user=obj, active=data["is_active"], acting_user=actor, ip_address=address)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Roles and permissions were saved by save_model through the services; nothing raw is left to save."""

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Set a password through the service (rules, audit, API tokens revoked); no 'unusable password' switch."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        form = AccountPasswordForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.user_password_set(
                user=user,
                password=form.cleaned_data["password1"],
                acting_user=request.user,
                ip_address=request_address(request),
            )
            self.log_change(request, user, gettext("Password changed successfully."))
            messages.success(request, gettext("Password changed successfully."))
            update_session_auth_hash(request, user)  # the administrator's own session survives their own change
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:org_user_change", args=(user.pk,)))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Change password: %s") % user.get_username(),
            "adminForm": AdminForm(form, [(None, {"fields": list(form.base_fields)})], {}),  # type: ignore[arg-type]
            "form_url": form_url,
            "form": form,
            "is_popup": False,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": user,
            "save_as": False,
            "show_save": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/auth/user/change_password.html", context)

    @admin.action(description=_("Unlock the login of the selected accounts (every address)"), permissions=["change"])
    def unlock_logins(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.login_unlock(
                username=user.get_username(), acting_user=request.user, ip_address=request_address(request)
            )
        messages.success(request, gettext("Unlocked %(n)d accounts.") % {"n": queryset.count()})


# --- role groups: read-only ------------------------------------------------------------------------------------------

admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(auth_admin.GroupAdmin):
    """One group per role; what each may do is defined in code (role_groups_sync) and can only be read here."""

    fields = ("name", "permissions")
    readonly_fields = ("name", "permissions")
    filter_horizontal = ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- login lockouts: seen and lifted by the security administrator, audited -------------------------------------------

if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginLockoutAdmin(axes_admin.AccessAttemptAdmin):
    """axes' failed-login records. No raw delete: unlocking is an audited action."""

    actions = ["unlock_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("axes.delete_accessattempt"))

    @admin.action(description=_("Unlock (this account from this address)"), permissions=["unlock"])
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        pairs = sorted({(a.username or "", a.ip_address) for a in queryset})
        for username, address in pairs:
            services.login_unlock(
                username=username, address=address, acting_user=request.user, ip_address=request_address(request)
            )
        messages.success(request, gettext("Unlocked %(n)d accounts.") % {"n": len(pairs)})
