"""Review templates as data: the review's heading and its ordered paragraphs, each text with figure placeholders
(rendering.py). One template is active: the one the generator and the pages render."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewTemplate(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    heading = models.CharField(_("heading"), max_length=200, help_text=_("For example 一、{{year}}年工作回顾"))
    is_active = models.BooleanField(_("active"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-is_active", "name"]
        verbose_name = _("review template")
        verbose_name_plural = _("review templates")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="review_template_one_active"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReviewParagraph(models.Model):
    template = models.ForeignKey(
        ReviewTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="paragraphs"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    # The bold lead of a paragraph, as "——经济运行企稳向好。"; empty for a paragraph without one.
    heading = models.CharField(_("lead"), max_length=200, blank=True)
    text = models.TextField(_("text"), help_text=_("Figures as {{code}} or {{code|format}}, e.g. {{gdp|yi}}."))

    class Meta:
        ordering = ["template", "order"]
        verbose_name = _("review paragraph")
        verbose_name_plural = _("review paragraphs")
        constraints = [models.UniqueConstraint(fields=["template", "order"], name="review_paragraph_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {(self.heading or self.text)[:30]}"
