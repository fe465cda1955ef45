"""Serializers of the application API: input shapes (types only) and output shapes (masked on the server).

Input serializers check types and shapes; the services check meaning (known matter and material codes, the matter's
form rules, phone and ID formats, lengths), so every channel gives the same messages. Output never carries an unmasked
phone or ID number: those leave only through the audited reveal endpoint.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from govdesk.cases.models import CaseEvent, CaseSuspension, SuspensionKind
from govdesk.common.errors import PermissionDenied
from govdesk.common.masking import mask_id_number, mask_name, mask_phone

from .models import Application, ApplicationMaterial, Channel, Delivery, NoticeKind
from .permissions import STAFF_ROLE_CODES, application_check_actor
from .selectors import (
    application_materials,
    application_missing_codes,
    application_notices,
    application_suspensions,
    application_timeline,
)
from .services import MATERIALS_MAX, REVEALABLE_FIELDS, Submitted
from .states import TRANSITIONS, Action, Status, actions_from

NUMBER_PATTERN = r"^[0-9A-Za-z-]{1,32}$"


def _text(**kwargs: Any) -> serializers.CharField:
    """Free text: presence and type here; required-ness, length and control characters in the service."""
    return serializers.CharField(allow_blank=True, trim_whitespace=False, **kwargs)


class MaterialCodesField(serializers.ListField):
    """Material codes; the count is checked before any item is."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(max_length=32), max_length=MATERIALS_MAX, **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list) and len(data) > MATERIALS_MAX:
            self.fail("max_length", max_length=MATERIALS_MAX)
        return super().to_internal_value(data)


# --- input --------------------------------------------------------------------------------------------------------


class ApplicationCreateInput(serializers.Serializer):
    matter = serializers.CharField(max_length=64, help_text="The matter's code in the catalogue.")
    channel = serializers.ChoiceField(
        choices=Channel.choices, help_text="window: a window clerk registers it; online: a citizen files it."
    )
    applicant_name = _text(max_length=200)
    applicant_phone = _text(max_length=40)
    applicant_id_number = _text(max_length=40)
    form = serializers.DictField(
        required=False, help_text="Answers to the matter's form fields, by field name (see GET /matters/{code}/)."
    )
    materials = MaterialCodesField(required=False, help_text="Codes of the materials received.")


class ApplicationListFilter(serializers.Serializer):
    status = serializers.CharField(required=False, max_length=200, help_text="Comma-separated statuses.")
    matter = serializers.CharField(required=False, max_length=64, help_text="A matter code.")
    unit = serializers.CharField(required=False, max_length=32, help_text="The implementing unit's code.")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)

    def validate_status(self, value: str) -> str:
        wanted = [s.strip() for s in value.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in {status.value for status in Status}]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown status %(s)s; use %(all)s.")
                % {"s": ", ".join(u[:20] for u in unknown), "all": ", ".join(Status)}
            )
        return ",".join(wanted)


class ApplicationEmptyInput(serializers.Serializer):
    pass


class ApplicationNoteInput(serializers.Serializer):
    note = _text(required=False)


class ApplicationApproveInput(serializers.Serializer):
    note = _text(required=False)
    result_number = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The unit's own document number (文号) for the permit the approval issues; blank: the permit "
        "registry's next number. A number the registry already holds is refused (400) and nothing is stored.",
    )


class ApplicationReasonInput(serializers.Serializer):
    reason = _text()


class ApplicationCorrectionInput(serializers.Serializer):
    defects = serializers.DictField(
        child=_text(max_length=400),
        required=False,
        help_text="Received materials found defective: material code → what is wrong. Missing required materials "
        "are listed anyway.",
    )
    note = _text(required=False)


class ApplicationSupplementInput(serializers.Serializer):
    materials = MaterialCodesField(help_text="Codes of the materials handed in now.")
    note = _text(required=False)


class ApplicationSuspendInput(serializers.Serializer):
    reason = _text()
    kind = serializers.ChoiceField(choices=SuspensionKind.choices, required=False, default=SuspensionKind.OTHER)


class ApplicationDeliverInput(serializers.Serializer):
    delivery = serializers.ChoiceField(choices=Delivery.choices, required=False, default=Delivery.WINDOW)
    note = _text(required=False)


ACTION_INPUTS: dict[Action, type[serializers.Serializer]] = {
    Action.ACCEPT: ApplicationNoteInput,
    Action.REQUEST_CORRECTION: ApplicationCorrectionInput,
    Action.SUPPLEMENT: ApplicationSupplementInput,
    Action.REFUSE: ApplicationReasonInput,
    Action.SUSPEND: ApplicationSuspendInput,
    Action.RESUME: ApplicationNoteInput,
    Action.APPROVE: ApplicationApproveInput,
    Action.DENY: ApplicationReasonInput,
    Action.DELIVER: ApplicationDeliverInput,
}


class ApplicationMaterialFileInput(serializers.Serializer):
    file = serializers.FileField(help_text="A JPEG, PNG or PDF, at most 10 MB.")


class ApplicationRevealInput(serializers.Serializer):
    field = serializers.ChoiceField(choices=list(REVEALABLE_FIELDS))


class ApplicationRevealOutput(serializers.Serializer):
    value = serializers.CharField()


# --- output -------------------------------------------------------------------------------------------------------


def _viewer(serializer: serializers.Serializer) -> Any:
    return serializer.context["request"].user


class ApplicationListSerializer(serializers.ModelSerializer):
    """One row of a list: no per-row queries (selectors.LIST_RELATED), personal data masked."""

    status_display = serializers.CharField(source="get_status_display")
    matter = serializers.CharField(source="matter.code")
    matter_name = serializers.CharField(source="matter_version.name")
    unit = serializers.SerializerMethodField()
    applicant_name = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "number",
            "status",
            "status_display",
            "matter",
            "matter_name",
            "unit",
            "channel",
            "applicant_name",
            "created_at",
            "accepted_at",
            "due_at",
            "is_overdue",
        ]

    def get_unit(self, application: Application) -> str | None:
        return application.primary_unit.code if application.primary_unit is not None else None

    def get_applicant_name(self, application: Application) -> str:
        user = _viewer(self)
        if user.has_role(*STAFF_ROLE_CODES) or application.applicant_id == user.pk:
            return application.applicant_name
        return mask_name(application.applicant_name)


class ApplicationMaterialSerializer(serializers.ModelSerializer):
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationMaterial
        fields = ["code", "name", "required", "received", "defect", "has_file", "checked_at"]

    def get_has_file(self, material: ApplicationMaterial) -> bool:
        return material.attachment_id is not None


class CaseSuspensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseSuspension
        fields = ["kind", "reason", "started_at", "ended_at", "working_days"]


class ApplicationNoticeRefSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NoticeKind.choices)
    number = serializers.CharField()
    issued_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="Serves the PDF to callers who may see the application.")


class ApplicationTimelineEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["occurred_at", "action", "from_status", "to_status", "note", "actor", "unit"]

    def get_actor(self, event: CaseEvent) -> str | None:
        # Applicants see which unit acted, not which member of staff.
        if self.context.get("public_only") or event.actor is None:
            return None
        return str(event.actor.display_name or event.actor.username)

    def get_unit(self, event: CaseEvent) -> str | None:
        return event.actor_unit.name if event.actor_unit is not None else None


class ApplicationDetailSerializer(ApplicationListSerializer):
    """The whole application as its viewer may see it: checklist, clock, suspensions, notices, timeline."""

    applicant_phone = serializers.SerializerMethodField()
    applicant_id_number = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="matter_version.version")
    promised_limit_days = serializers.IntegerField(source="matter_version.promised_limit_days")
    instant = serializers.BooleanField(source="matter_version.instant")
    form = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    missing_materials = serializers.SerializerMethodField()
    suspensions = serializers.SerializerMethodField()
    notices = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta(ApplicationListSerializer.Meta):
        fields = [
            *ApplicationListSerializer.Meta.fields,
            "version",
            "promised_limit_days",
            "instant",
            "applicant_phone",
            "applicant_id_number",
            "form",
            "decided_at",
            "decision_due_at",
            "delivered_at",
            "delivery",
            "decision_reason",
            "closed_at",
            "materials",
            "missing_materials",
            "suspensions",
            "notices",
            "allowed_actions",
            "timeline",
        ]

    def _fresh(self, application: Application) -> Submitted | None:
        """A just-submitted application: its relations hold only what submitting wrote (`context["submitted"]`)."""
        fresh = self.context.get("submitted")
        return fresh if isinstance(fresh, Submitted) and fresh.application.pk == application.pk else None

    def _materials(self, application: Application) -> list[ApplicationMaterial]:
        fresh = self._fresh(application)
        if fresh is not None:
            return fresh.materials
        cache = self.context.setdefault("_materials", {})
        if application.pk not in cache:
            cache[application.pk] = list(application_materials(application=application))
        return cache[application.pk]

    def get_applicant_phone(self, application: Application) -> str:
        return mask_phone(application.applicant_phone)

    def get_applicant_id_number(self, application: Application) -> str:
        return mask_id_number(application.applicant_id_number)

    @extend_schema_field(serializers.DictField())
    def get_form(self, application: Application) -> dict[str, Any]:
        return dict(application.form or {})

    @extend_schema_field(ApplicationMaterialSerializer(many=True))
    def get_materials(self, application: Application) -> Any:
        return ApplicationMaterialSerializer(self._materials(application), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_missing_materials(self, application: Application) -> list[str]:
        return application_missing_codes(self._materials(application))

    @extend_schema_field(CaseSuspensionSerializer(many=True))
    def get_suspensions(self, application: Application) -> Any:
        if self._fresh(application) is not None:
            return []
        return CaseSuspensionSerializer(application_suspensions(application=application), many=True).data

    @extend_schema_field(ApplicationNoticeRefSerializer(many=True))
    def get_notices(self, application: Application) -> list[dict[str, Any]]:
        request = self.context["request"]
        if self._fresh(application) is not None:
            return []
        return [
            {
                "kind": notice.kind,
                "number": notice.number,
                "issued_at": notice.issued_at,
                "url": request.build_absolute_uri(
                    reverse("api-application-notice", kwargs={"number": application.number, "pk": notice.pk})
                ),
            }
            for notice in application_notices(application=application)
        ]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=[a.value for a in Action])))
    def get_allowed_actions(self, application: Application) -> list[str]:
        """What the table, the caller's role and their unit allow now; guards (materials complete) are checked when
        the action is taken, so a listed action may still answer 409."""
        user = _viewer(self)
        allowed = []
        for action in actions_from(application.status):
            try:
                application_check_actor(user, application, TRANSITIONS[(Status(application.status), action)])
            except PermissionDenied:
                continue
            allowed.append(action.value)
        return allowed

    @extend_schema_field(ApplicationTimelineEventSerializer(many=True))
    def get_timeline(self, application: Application) -> Any:
        public_only = not _viewer(self).has_role(*STAFF_ROLE_CODES)
        fresh = self._fresh(application)
        events: Any = (
            [e for e in [fresh.event] if e.is_public or not public_only]
            if fresh is not None
            else application_timeline(application=application, public_only=public_only)
        )
        return ApplicationTimelineEventSerializer(
            events, many=True, context={**self.context, "public_only": public_only}
        ).data
