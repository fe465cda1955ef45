"""Units (the district's organisation tree), users and their roles."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.common.fields import EncryptedCharField


class Role(models.TextChoices):
    """DOMAIN.md §1. Stored as Django groups named by these codes, so an account can hold several."""

    OPERATOR = "operator", _("Hotline operator")
    DISPATCHER = "dispatcher", _("Dispatcher")
    HANDLER = "handler", _("Unit handler")
    UNIT_ADMIN = "unit_admin", _("Unit administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    # District leaders: read-only statistics, assessment and reports for the whole district.
    LEADER = "leader", _("Leader")
    WINDOW_CLERK = "window_clerk", _("Window clerk")
    CITIZEN = "citizen", _("Citizen")
    SYSADMIN = "sysadmin", _("System administrator")
    SECADMIN = "secadmin", _("Security administrator")
    AUDITOR = "auditor", _("Audit administrator")


CENTRE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR})
UNIT_ROLES = frozenset({Role.HANDLER, Role.UNIT_ADMIN})


class UnitKind(models.TextChoices):
    GOVERNMENT = "government", _("District government")
    HOTLINE_CENTRE = "hotline_centre", _("Hotline centre")
    DEPARTMENT = "department", _("Department")
    STREET = "street", _("Street / town")
    COMMUNITY = "community", _("Community / village")


class Unit(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Streets are matched to addresses by these names (e.g. road and community names), one per line.
    place_names = models.TextField(_("place names"), blank=True)
    accepts_orders = models.BooleanField(_("accepts work orders"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    def descendant_ids(self) -> set[int]:
        """This unit and every unit below it. Trees here are a few hundred units, so one query is enough."""
        children: dict[int | None, list[int]] = {}
        for unit_id, parent_id in Unit.objects.values_list("id", "parent_id"):
            children.setdefault(parent_id, []).append(unit_id)
        found, stack = {self.pk}, [self.pk]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found


class User(AbstractUser):
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True)  # encrypted at rest (common.fields)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Nobody is a superuser: powers come from roles only (org/services.py, migration 0002).
        constraints = [models.CheckConstraint(condition=models.Q(is_superuser=False), name="org_user_not_superuser")]

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        valid = set(Role.values)
        return frozenset(name for name in self.groups.values_list("name", flat=True) if name in valid)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))
