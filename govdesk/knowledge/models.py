"""The hotline knowledge base (知识库): articles the operators answer callers from, each kept by a responsible unit.

An article is shown only through its published version (`Article.current`); versions are append-only, one per
publication. Every change of an article's text is a revision (`ArticleRevision`, a case on the case core,
`CaseKind.KNOWLEDGE`, numbers ZX…): the unit writes the draft, the 12345 centre publishes it or returns it, and the
case gives it a deadline, a timeline, the audit trail and supervision's urging, as a unit's report (reporting) has.
An answer that cites an article is an `ArticleUse`, so an article's use and its callers' ratings can be read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from govdesk.cases.models import Case

from .states import Status


class StatusChoices(models.TextChoices):
    # "knowledge" context: the short words mean other things elsewhere in the platform ("Returned" is 退单 there).
    DRAFT = Status.DRAFT.value, pgettext_lazy("knowledge", "Draft")
    SUBMITTED = Status.SUBMITTED.value, pgettext_lazy("knowledge", "Awaiting review")
    RETURNED = Status.RETURNED.value, pgettext_lazy("knowledge", "Returned")
    PUBLISHED = Status.PUBLISHED.value, pgettext_lazy("knowledge", "Published")
    DISCARDED = Status.DISCARDED.value, pgettext_lazy("knowledge", "Discarded")


class Reason(models.TextChoices):
    NEW = "new", pgettext_lazy("knowledge", "New article")
    EDIT = "edit", pgettext_lazy("knowledge", "Revision")
    EXPIRY = "expiry", pgettext_lazy("knowledge", "Expiry review")
    SEEDED = "seeded", pgettext_lazy("knowledge", "From past replies")


class Article(models.Model):
    """One knowledge item (知识条目), kept current by its responsible unit; shown only through its published
    version."""

    code = models.CharField(_("article code"), max_length=16, unique=True)
    unit = models.ForeignKey("org.Unit", verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+")
    # The published version; None until the first publication.
    current = models.ForeignKey(
        "ArticleVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # 撤下 by the centre: never shown or answered from again, kept for the history of the answers that cited it.
    is_withdrawn = models.BooleanField(_("withdrawn"), default=False)
    # Answers that cited it, counted in the answer's transaction (F() + 1).
    use_count = models.PositiveIntegerField(_("times used"), default=0)
    created_at = models.DateTimeField(_("created at"))
    # Moves on every change of `current` or `is_withdrawn`: the search index's freshness stamp reads its maximum.
    updated_at = models.DateTimeField(_("updated at"), db_index=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")

    def __str__(self) -> str:
        return self.code


class ArticleVersion(models.Model):
    """One publication of an article, as published: append-only (never updated, never deleted)."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    # The question as callers ask it.
    title = models.CharField(_("question"), max_length=200)
    answer = models.TextField(_("answer"))
    policy_basis = models.TextField(_("policy basis"), blank=True)
    area = models.CharField(_("applicable area"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"))
    # None: no end.
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+"
    )
    revision = models.ForeignKey(
        "ArticleRevision", verbose_name=_("revision"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["article", "number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_once"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="knowledge_version_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleRevision(Case):
    """A change of an article (new, edited, reviewed at expiry, or a seeded draft), written by its unit and
    published by the centre. The draft's question is the case's `title`; `primary_unit` is the article's unit."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="revisions")
    # Set while the revision is open, cleared when it closes: the database keeps one open revision per article.
    open_article = models.OneToOneField(
        Article, null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="open_revision"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices, default=Reason.NEW)
    answer = models.TextField(_("answer"), blank=True)
    policy_basis = models.TextField(_("policy basis"), blank=True)
    area = models.CharField(_("applicable area"), max_length=100, blank=True)
    # None while a seeded draft has none: submitting requires it.
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Where a seeded draft came from, e.g. "messages_replies: 2549, 2611".
    source = models.CharField(_("drafted from"), max_length=200, blank=True, db_index=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")

    def get_status_display(self) -> str:
        return str(dict(StatusChoices.choices).get(self.status, self.status))


class ArticleUse(models.Model):
    """An answered work order that cited the article (one per order), with the version the operator read."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="uses")
    version = models.ForeignKey(ArticleVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="+")
    case = models.OneToOneField("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="+")
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), on_delete=models.PROTECT, related_name="+"
    )
    used_at = models.DateTimeField(_("answered at"), db_index=True)

    class Meta:
        ordering = ["-used_at", "-id"]
        verbose_name = _("article use")
        verbose_name_plural = _("article uses")
        indexes = [models.Index(fields=["article", "used_at"])]

    def __str__(self) -> str:
        return f"{self.article_id} → {self.case_id}"
