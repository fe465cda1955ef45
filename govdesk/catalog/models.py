"""Configuration as data: categories, request types, time-limit policies and the dispatch catalogue (派单目录)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.calendar.core import LimitUnit


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class LimitUnitChoices(models.TextChoices):
    MINUTES = LimitUnit.MINUTES.value, _("minutes")
    HOURS = LimitUnit.HOURS.value, _("hours")
    WORKING_HOURS = LimitUnit.WORKING_HOURS.value, _("working hours")
    WORKING_DAYS = LimitUnit.WORKING_DAYS.value, _("working days")


class Category(models.Model):
    """A node of the 3-level category tree (GB/T 39666-style). Orders are filed under leaves."""

    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"))
    # "城乡建设/安全生产/事故处理": unique, human-readable and stable across re-imports.
    path = models.CharField(_("path"), max_length=400, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    # Offered to citizens' own apps as an Open311 service (and on public pages); internal categories stay hidden.
    public = models.BooleanField(_("public service"), default=False)
    description = models.CharField(_("public description"), max_length=400, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True, help_text=_("Comma-separated."))

    class Meta:
        ordering = ["sort_order", "path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.path

    @property
    def is_leaf(self) -> bool:
        return not self.children.exists()

    def ancestor_paths(self) -> list[str]:
        """Own path first, then each ancestor's: '城乡建设/安全生产/事故处理', '城乡建设/安全生产', '城乡建设'."""
        parts = self.path.split("/")
        return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


class AttributeDatatype(models.TextChoices):
    """The six datatypes of Open311 GeoReport v2 service attributes."""

    STRING = "string", _("Short text")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Long text")
    SINGLEVALUELIST = "singlevaluelist", _("Choose one")
    MULTIVALUELIST = "multivaluelist", _("Choose several")


class CategoryAttribute(models.Model):
    """An extra question a category asks at intake (an Open311 service definition attribute)."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="attributes"
    )
    code = models.SlugField(_("code"), max_length=50)
    datatype = models.CharField(_("datatype"), max_length=20, choices=AttributeDatatype.choices)
    # False: information shown to the citizen, not a question (Open311 `variable`).
    variable = models.BooleanField(_("asks for an answer"), default=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    description = models.CharField(_("question"), max_length=400)
    datatype_description = models.CharField(_("hint"), max_length=200, blank=True)
    # [{"key": "1", "name": "..."}] for the two list datatypes.
    values = models.JSONField(_("values"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category", "order", "code"]
        verbose_name = _("category attribute")
        verbose_name_plural = _("category attributes")
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="category_attribute_code_unique")]

    def __str__(self) -> str:
        return f"{self.category.path}: {self.code}"


class RequestType(models.Model):
    """咨询, 求助, 投诉, 举报, 建议, 表扬."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=20)
    # A consultation can be answered by the operator directly (直接办结).
    allows_direct_answer = models.BooleanField(_("can be answered directly"), default=False)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self) -> str:
        return self.name


class TimeLimitPolicy(models.Model):
    """Sign-for and completion limits. The most specific matching policy wins: urgency, then category, then type."""

    name = models.CharField(_("name"), max_length=100)
    request_type = models.ForeignKey(
        RequestType,
        verbose_name=_("request type"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: any type."),
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, blank=True, help_text=_("Empty: any.")
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Applies to this category and everything below it. Empty: any."),
    )
    sign_amount = models.DecimalField(_("sign-for limit"), max_digits=6, decimal_places=1)
    sign_unit = models.CharField(_("sign-for unit"), max_length=20, choices=LimitUnitChoices.choices)
    finish_amount = models.DecimalField(_("completion limit"), max_digits=6, decimal_places=1)
    finish_unit = models.CharField(_("completion unit"), max_length=20, choices=LimitUnitChoices.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("time-limit policy")
        verbose_name_plural = _("time-limit policies")

    def __str__(self) -> str:
        return self.name


class DispatchRule(models.Model):
    """派单目录: a category (and its subtree) goes to a responsible unit.

    A local matter (`by_place`) goes to the street whose place names appear in the address, else to `unit`.
    """

    category = models.OneToOneField(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="dispatch_rule"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+")
    by_place = models.BooleanField(_("local matter: dispatch to the street of the address"), default=False)

    class Meta:
        verbose_name = _("dispatch rule")
        verbose_name_plural = _("dispatch catalogue")

    def __str__(self) -> str:
        return f"{self.category} → {self.unit}"


class PublicTopic(models.Model):
    """A plain-language topic a citizen may pick on the public submit page instead of the internal category tree.

    The topic only narrows the system's category proposal: the order is filed under the proposed leaf and the
    dispatcher decides. Categories are referred to by path (stable across re-imports of the tree, and valid before
    the tree is imported: topics ship with a migration, the tree with `catalog_import`); a path the deployed tree does
    not have is treated as empty.
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    description = models.CharField(_("examples shown to citizens"), max_length=200, blank=True)
    category_path = models.CharField(
        _("category node"),
        max_length=400,
        blank=True,
        help_text=_(
            "Path of the category node the proposal is restricted to, e.g. 城乡建设/城市建设和市政管理. "
            "Empty: the whole tree."
        ),
    )
    fallback_path = models.CharField(
        _("category without a model"),
        max_length=400,
        blank=True,
        help_text=_(
            "Path of the leaf used when no classifier can propose one. Empty: the node itself when it is a "
            "leaf, else its 其他 leaf, else its first leaf."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("public topic")
        verbose_name_plural = _("public topics")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, Any] = {}
        node = Category.objects.filter(path=self.category_path).first() if self.category_path else None
        if self.category_path and node is None:
            errors["category_path"] = _("No category has this path.")
        if self.fallback_path:
            fallback = Category.objects.filter(path=self.fallback_path).first()
            if fallback is None:
                errors["fallback_path"] = _("No category has this path.")
            elif fallback.children.exists():
                errors["fallback_path"] = _("Choose a leaf (a category without sub-categories).")
            elif node is not None and not (fallback.path + "/").startswith(node.path + "/"):
                errors["fallback_path"] = _("The leaf must lie under the topic's category node.")
        if errors:
            raise ValidationError(errors)
