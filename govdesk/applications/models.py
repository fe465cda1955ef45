"""The application (办件): a case for one matter of the catalogue, accepted under one version of its rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.cases.models import Case
from govdesk.common.fields import BlindIndexField, EncryptedCharField, EncryptedJSONField

from .states import Status


class Channel(models.TextChoices):
    WINDOW = "window", _("Service hall window")
    ONLINE = "online", _("Online")


class Delivery(models.TextChoices):
    WINDOW = "window", _("Pick-up at the window")
    POST = "post", _("By post")
    ELECTRONIC = "electronic", _("Electronic")


class StatusChoices(models.TextChoices):
    SUBMITTED = Status.SUBMITTED.value, _("Awaiting acceptance")
    CORRECTION = Status.CORRECTION.value, _("Awaiting missing materials")
    REFUSED = Status.REFUSED.value, _("Not accepted")
    HANDLING = Status.HANDLING.value, _("Being handled")
    SUSPENDED = Status.SUSPENDED.value, _("Suspended")
    APPROVED = Status.APPROVED.value, _("Approved, awaiting delivery")
    DENIED = Status.DENIED.value, _("Denied, awaiting delivery")
    CLOSED = Status.CLOSED.value, _("Closed")


class Application(Case):
    matter = models.ForeignKey("matters.Matter", verbose_name=_("matter"), on_delete=models.PROTECT, related_name="+")
    # The rules it was submitted and accepted under: a later version of the matter never changes them.
    matter_version = models.ForeignKey(
        "matters.MatterVersion", verbose_name=_("matter version"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    applicant_name = models.CharField(_("applicant name"), max_length=100)
    # Encrypted at rest, searched only through the blind indexes, as the work order's citizen_phone/citizen_id_number.
    applicant_phone = EncryptedCharField(_("applicant phone"), max_length=20, blank=True)
    applicant_id_number = EncryptedCharField(_("applicant ID number"), max_length=18, blank=True)
    applicant_phone_index = BlindIndexField(source="applicant_phone", kind="phone")
    applicant_id_number_index = BlindIndexField(source="applicant_id_number", kind="id_number")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="own_applications",
    )
    # The answers to the matter's form fields; they hold personal data (addresses, incomes), so encrypted too.
    form = EncryptedJSONField(_("application form"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The decision's deadline, kept when `due_at` becomes the delivery's deadline at the decision (so a decision made
    # in time is never flagged overdue while the result waits at the window): decided in time iff decided_at ≤ it.
    decision_due_at = models.DateTimeField(_("decision deadline"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery = models.CharField(_("delivery"), max_length=12, choices=Delivery.choices, blank=True)
    decision_reason = models.TextField(_("reasons"), blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def get_status_display(self) -> str:
        return str(dict(StatusChoices.choices).get(self.status, self.status))


class ApplicationMaterial(models.Model):
    """One material of the matter's checklist for this application: received or not, checked by whom."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    received = models.BooleanField(_("received"), default=False)
    # The scanned copy (copies scanned at the window, uploads online); one file per material.
    attachment = models.ForeignKey(
        "cases.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    # Why the clerk sent it back (一次性告知: defective, not only missing).
    defect = models.CharField(_("defect"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("application material")
        verbose_name_plural = _("application materials")
        constraints = [models.UniqueConstraint(fields=["application", "code"], name="application_material_once")]

    def __str__(self) -> str:
        return self.name


class NoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("Notice of acceptance")
    CORRECTION = "correction", _("Notice of materials to supply")
    REFUSAL = "refusal", _("Notice of non-acceptance")
    RESULT = "result", _("Notice of the decision")


def notice_path(instance: ApplicationNotice, filename: str) -> str:
    return f"notices/{instance.issued_at:%Y/%m}/{filename}"


class ApplicationNotice(models.Model):
    """A sealed, numbered, dated notice (书面凭证, 行政许可法 第32条), written in its state change's transaction."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=12, choices=NoticeKind.choices)
    number = models.CharField(_("number"), max_length=40, unique=True)
    file = models.FileField(upload_to=notice_path, max_length=200)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return self.number


class TicketService(models.TextChoices):
    """The hall's queues; the letter starts the ticket's number (A023)."""

    GENERAL = "A", _("General matters")
    BUSINESS = "B", _("Business and enterprise")
    SOCIAL = "C", _("Social security and civil affairs")
    CONSTRUCTION = "D", _("Housing, construction and transport")


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    CALLED = "called", _("Called")
    NO_SHOW = "no_show", _("Did not come")
    DONE = "done", _("Served")


class QueueTicket(models.Model):
    """A number taken at the hall's kiosk (取号), called to a window (叫号). Numbers restart every day per queue."""

    day = models.DateField(_("day"))
    service = models.CharField(_("queue"), max_length=1, choices=TicketService.choices)
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=8)
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    taken_at = models.DateTimeField(_("taken at"))
    window = models.PositiveSmallIntegerField(_("window"), null=True, blank=True)
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    calls = models.PositiveSmallIntegerField(_("calls"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["day", "taken_at", "id"]
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        constraints = [
            models.UniqueConstraint(fields=["day", "service", "sequence"], name="queue_ticket_once_per_day"),
        ]
        indexes = [models.Index(fields=["day", "status", "service"], name="queue_ticket_waiting")]

    def __str__(self) -> str:
        return self.number
