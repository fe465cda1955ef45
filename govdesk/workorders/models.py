"""The 12345 hotline work order (工单): a case with a citizen, a category and a type."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.cases.models import Case
from govdesk.catalog.models import Urgency
from govdesk.common.fields import BlindIndexField, EncryptedCharField

from .states import Status

CONTENT_MAX_LENGTH = 4000


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB = "web", _("Web / mobile")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    OTHER = "other", _("Letter / other")


class StatusChoices(models.TextChoices):
    NEW = Status.NEW.value, _("Awaiting dispatch")
    DISPATCHED = Status.DISPATCHED.value, _("Awaiting sign-for")
    HANDLING = Status.HANDLING.value, _("Being handled")
    RETURNED = Status.RETURNED.value, _("Returned, under review")
    REPLIED = Status.REPLIED.value, _("Replied, awaiting return visit")
    MERGED = Status.MERGED.value, _("Merged")
    CLOSED = Status.CLOSED.value, _("Closed")
    CANCELLED = Status.CANCELLED.value, _("Cancelled")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class WorkOrder(Case):
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    request_type = models.ForeignKey("catalog.RequestType", verbose_name=_("type"), on_delete=models.PROTECT)
    category = models.ForeignKey("catalog.Category", verbose_name=_("category"), on_delete=models.PROTECT)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    content = models.TextField(_("content"), max_length=CONTENT_MAX_LENGTH)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # An identifier from the jurisdiction's address register (Open311 `address_id`).
    address_id = models.CharField(_("address ID"), max_length=100, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    citizen_name = models.CharField(_("citizen name"), max_length=50, blank=True)
    # Encrypted at rest (common.fields): only the blind indexes below can be searched, and only for equality (the
    # operator console's caller history).
    citizen_phone = EncryptedCharField(_("citizen phone"), max_length=20, blank=True)
    citizen_id_number = EncryptedCharField(_("citizen ID number"), max_length=18, blank=True)
    citizen_phone_index = BlindIndexField(source="citizen_phone", kind="phone")
    citizen_id_number_index = BlindIndexField(source="citizen_id_number", kind="id_number")
    confidential = models.BooleanField(_("confidential reporter"), default=False)
    # Answers to the category's extra questions, by attribute code.
    attributes = models.JSONField(_("answers to the category's questions"), default=dict, blank=True)
    # Who submitted it through a machine channel (the Open311 API key's or API client's name).
    source = models.CharField(_("submitted through"), max_length=100, blank=True)
    citizen_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("citizen account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="own_workorders",
    )
    master = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    answer = models.TextField(_("direct answer"), blank=True)
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    visit_resolved = models.BooleanField(_("resolved"), null=True, blank=True)
    visit_satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    return_count = models.PositiveSmallIntegerField(_("returned"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("urged"), default=0)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")

    def get_status_display(self) -> str:
        return str(dict(StatusChoices.choices).get(self.status, self.status))


class ReturnStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved: re-dispatched")
    REJECTED = "rejected", _("Rejected: sent back")


class WorkOrderReturn(models.Model):
    """退单: a unit says the order is not theirs, with the reason and legal basis; the dispatcher decides."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="returns")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField(_("returned at"))
    reason = models.TextField(_("reason"))
    legal_basis = models.TextField(_("legal basis"))
    status = models.CharField(_("status"), max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        ordering = ["returned_at"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")

    def __str__(self) -> str:
        return f"{self.unit_id} {self.status}"
