"""Serializers of the work-order API: input shapes (types only) and output shapes (masked on the server).

Input serializers check types and shapes only; the services check meaning (lengths, control characters, phone and
ID formats, known categories and units) so that every channel gives the same messages. Output serializers never
emit an unmasked phone or ID number: those leave only through the audited reveal endpoint.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from govdesk.cases.models import AssignmentRole, Attachment, CaseEvent
from govdesk.catalog.models import RequestType, Urgency
from govdesk.common.api import FieldsOnceMixin
from govdesk.common.errors import PermissionDenied
from govdesk.common.masking import mask_id_number, mask_name, mask_phone
from govdesk.common.validators import validate_supported_date
from govdesk.org.models import Role, Unit, UnitKind

from .models import Channel, Satisfaction, WorkOrder
from .permissions import workorder_can_reveal, workorder_check_transition_actor
from .selectors import PRIMARY_UNIT_NONE, workorder_timeline
from .services import CO_UNITS_MAX, Registration
from .states import TRANSITIONS, Action, Status, actions_from

NUMBER_PATTERN = r"^[0-9A-Za-z-]{1,32}$"
UNIT_CODE_MAX = 32


# --- fields -------------------------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanField(serializers.Field):
    """A JSON boolean, not "yes" or 1: a client sending a string has a bug we should report, not guess around.

    Form posts (multipart) can only carry text, so there exactly "true"/"false" (and "1"/"0", "on") are read.
    """

    default_error_messages = {"invalid": _("Must be true or false.")}
    FORM_VALUES = {"true": True, "1": True, "on": True, "false": False, "0": False, "off": False}

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        root = self.root
        if isinstance(data, str) and isinstance(getattr(root, "initial_data", None), QueryDict):
            value = self.FORM_VALUES.get(data.strip().lower())
            if value is not None:
                return value
        self.fail("invalid")
        raise AssertionError  # pragma: no cover (fail() raises)

    def to_representation(self, value: Any) -> bool:
        return bool(value)


class UnitCodeField(serializers.CharField):
    """A unit code; whether the unit exists and takes orders is the service's check."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=UNIT_CODE_MAX, **kwargs)


class NumberField(serializers.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NUMBER_PATTERN, max_length=32, **kwargs)


# --- input --------------------------------------------------------------------------------------------------------


class WorkOrderCreateInputSerializer(serializers.Serializer):
    """An intake. Required keys must be present; their content is checked by `workorder_register`."""

    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="Default api. Operators may use phone, web, other or api; citizens web or api.",
    )
    request_type = serializers.CharField(help_text="A request-type code, e.g. complaint.")
    category = serializers.CharField(help_text="A leaf category: its id or its full path.")
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    title = serializers.CharField(allow_blank=True, trim_whitespace=False)
    content = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="Up to 4,000 characters.")
    address = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    latitude = serializers.FloatField(required=False, allow_null=True)
    longitude = serializers.FloatField(required=False, allow_null=True)
    citizen_name = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    citizen_phone = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    citizen_id_number = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    confidential = StrictBooleanField(required=False)


class WorkOrderCreateMultipartSerializer(WorkOrderCreateInputSerializer):
    """The same intake as a form, with `attachments` repeated once per file (JPEG, PNG or PDF, 10 MB each)."""

    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class WorkOrderListFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text="Comma-separated statuses.")
    unit = UnitCodeField(required=False, help_text="A unit code: orders assigned to it (primary or co-unit).")
    category = serializers.CharField(required=False, max_length=400, help_text="A category id or a path prefix.")
    type = serializers.CharField(required=False, max_length=20, help_text="A request-type code.")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    created_from = serializers.DateField(
        required=False, input_formats=["%Y-%m-%d"], validators=[validate_supported_date]
    )
    created_to = serializers.DateField(required=False, input_formats=["%Y-%m-%d"], validators=[validate_supported_date])
    text = serializers.CharField(required=False, max_length=200, help_text="Number, or words in title/content/address.")
    overdue = serializers.BooleanField(required=False, default=False)
    due_soon = serializers.BooleanField(required=False, default=False)
    # The statistics' drill-downs (the same orders as the dashboard's figures).
    primary_unit = serializers.CharField(
        required=False,
        max_length=50,
        help_text='A unit code: orders whose primary unit is it or a unit below it; "none": not dispatched yet.',
    )
    primary_unit_only = serializers.BooleanField(
        required=False, default=False, help_text="With primary_unit: that unit itself, not the units below it."
    )
    street = serializers.CharField(
        required=False, max_length=50, help_text="A street's unit code: the orders the statistics count for it."
    )

    def validate_primary_unit(self, value: str) -> str:
        if value != PRIMARY_UNIT_NONE and not Unit.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("Unknown unit."))
        return value

    def validate_street(self, value: str) -> str:
        if not Unit.objects.filter(code=value, kind=UnitKind.STREET).exists():
            raise serializers.ValidationError(_("Unknown street."))
        return value

    def validate_status(self, value: str) -> str:
        wanted = [s.strip() for s in value.split(",") if s.strip()]
        known = {status.value for status in Status}
        unknown = [s for s in wanted if s not in known]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown status %(s)s; use %(all)s.") % {"s": ", ".join(unknown), "all": ", ".join(Status)}
            )
        return ",".join(wanted)

    def validate_unit(self, value: str) -> str:
        # A typo in a unit code should say so, not quietly answer "no orders".
        if not Unit.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("Unknown unit."))
        return value

    def validate_type(self, value: str) -> str:
        if not RequestType.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("Unknown request type."))
        return value

    def validate_category(self, value: str) -> str:
        if value.isdigit() and len(value) > 18:
            raise serializers.ValidationError(_("Unknown category."))
        return value


class PhoneLookupSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=30)


class RevealInputSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=["citizen_phone", "citizen_id_number"])


class RevealOutputSerializer(serializers.Serializer):
    value = serializers.CharField()


def _text(**kwargs: Any) -> serializers.CharField:
    """Free text: presence and type here; required-ness, length and control characters in the service."""
    return serializers.CharField(allow_blank=True, trim_whitespace=False, **kwargs)


class CoUnitsField(serializers.ListField):
    """Co-unit codes; the count is checked before any item is (10,000 of them must not cost 10,000 checks)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=UnitCodeField(), max_length=CO_UNITS_MAX, **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, list) and len(data) > CO_UNITS_MAX:
            self.fail("max_length", max_length=CO_UNITS_MAX)
        return super().to_internal_value(data)


class DispatchInput(serializers.Serializer):
    unit = UnitCodeField(help_text="The primary unit (主办).")
    co_units = CoUnitsField(required=False, help_text=f"Co-units (协办), at most {CO_UNITS_MAX}.")
    note = _text(required=False)
    category = serializers.CharField(
        required=False,
        max_length=400,
        help_text="The dispatcher's category (a leaf: its id or its full path); omitted: the order keeps its own.",
    )


class EmptyInput(serializers.Serializer):
    pass


class ReturnInput(serializers.Serializer):
    reason = _text()
    legal_basis = _text()


class ReviewReturnInput(serializers.Serializer):
    approve = StrictBooleanField(help_text="true: re-dispatch to `unit`; false: send back to the same unit.")
    unit = UnitCodeField(required=False)
    co_units = CoUnitsField(required=False)
    note = _text(required=False)


class RequestExtensionInput(serializers.Serializer):
    working_days = serializers.IntegerField(help_text="1 to 30 extra working days.")
    reason = _text()


class ReviewExtensionInput(serializers.Serializer):
    approve = StrictBooleanField()
    note = _text(required=False)


class ReplyInput(serializers.Serializer):
    reply = _text()


class ReplyMultipartInput(ReplyInput):
    attachments = serializers.ListField(child=serializers.FileField(), required=False)


class VisitInput(serializers.Serializer):
    resolved = StrictBooleanField()
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    note = _text(required=False)


class ReasonInput(serializers.Serializer):
    reason = _text()


class MergeInput(serializers.Serializer):
    master = NumberField(help_text="The number of the order this one duplicates.")
    note = _text(required=False)


class NoteInput(serializers.Serializer):
    note = _text(required=False)


class RequiredNoteInput(serializers.Serializer):
    note = _text()


class AnswerInput(serializers.Serializer):
    answer = _text()
    article = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="The knowledge article the answer cites: its id or code (ZS000001); checked by the service.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Passed to the service only when given.
        if not attrs.get("article"):
            attrs.pop("article", None)
        return attrs


ACTION_INPUTS: dict[Action, type[serializers.Serializer]] = {
    Action.DISPATCH: DispatchInput,
    Action.SIGN: EmptyInput,
    Action.RETURN: ReturnInput,
    Action.REVIEW_RETURN: ReviewReturnInput,
    Action.REQUEST_EXTENSION: RequestExtensionInput,
    Action.REVIEW_EXTENSION: ReviewExtensionInput,
    Action.REPLY: ReplyInput,
    Action.VISIT: VisitInput,
    Action.REOPEN: ReasonInput,
    Action.MERGE: MergeInput,
    Action.URGE: NoteInput,
    Action.SUPERVISE: RequiredNoteInput,
    Action.NOTE: RequiredNoteInput,
    Action.ANSWER: AnswerInput,
    Action.CANCEL: ReasonInput,
}


# --- output -------------------------------------------------------------------------------------------------------


class UnitRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    path = serializers.CharField()


class RequestTypeRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


def _viewer(serializer: serializers.Serializer) -> Any:
    return serializer.context["request"].user


def _sees_names(user: Any) -> bool:
    """List pages show the caller's name only to the roles that may always reveal it (the centre's intake staff)."""
    return bool(user.has_role(Role.OPERATOR, Role.DISPATCHER))


class WorkOrderListSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """One row of a list: no per-row queries (see selectors.LIST_RELATED), personal data masked."""

    status_display = serializers.CharField(source="get_status_display")
    request_type = RequestTypeRefSerializer()
    category = CategoryRefSerializer()
    primary_unit = UnitRefSerializer(allow_null=True)
    citizen_name = serializers.SerializerMethodField()
    citizen_phone = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = [
            "number",
            "status",
            "status_display",
            "title",
            "channel",
            "request_type",
            "category",
            "urgency",
            "address",
            "citizen_name",
            "citizen_phone",
            "confidential",
            "primary_unit",
            "created_at",
            "sign_due_at",
            "due_at",
            "is_overdue",
            "is_due_soon",
        ]

    def get_citizen_name(self, order: WorkOrder) -> str:
        return order.citizen_name if _sees_names(_viewer(self)) else mask_name(order.citizen_name)

    def get_citizen_phone(self, order: WorkOrder) -> str:
        return mask_phone(order.citizen_phone)


class AttachmentSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    type = serializers.CharField(source="content_type")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "type", "size", "url"]

    def get_url(self, attachment: Attachment) -> str:
        path = reverse("api-workorder-attachment", kwargs={"number": self.context["number"], "pk": attachment.pk})
        return str(self.context["request"].build_absolute_uri(path))


class TimelineEventSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["occurred_at", "action", "from_status", "to_status", "note", "actor", "unit"]

    def get_actor(self, event: CaseEvent) -> str | None:
        # Citizens see which unit acted, not which member of staff.
        if self.context.get("public_only") or event.actor is None:
            return None
        return str(event.actor.display_name or event.actor.username)

    def get_unit(self, event: CaseEvent) -> str | None:
        return event.actor_unit.name if event.actor_unit is not None else None


class WorkOrderDetailSerializer(WorkOrderListSerializer):
    """The whole order as its viewer may see it, with what they can do next and the timeline."""

    citizen_id_number = serializers.SerializerMethodField()
    visit_satisfaction = serializers.CharField(help_text="satisfied, basically, unsatisfied, or empty before a visit.")
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    co_units = serializers.SerializerMethodField()
    master = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta(WorkOrderListSerializer.Meta):
        fields = [
            *WorkOrderListSerializer.Meta.fields,
            "content",
            "latitude",
            "longitude",
            "citizen_id_number",
            "co_units",
            "dispatched_at",
            "signed_at",
            "replied_at",
            "closed_at",
            "reply",
            "answer",
            "visit_resolved",
            "visit_satisfaction",
            "visited_at",
            "reopen_count",
            "return_count",
            "urge_count",
            "master",
            "children",
            "attachments",
            "allowed_actions",
            "timeline",
        ]

    def _is_owner(self, order: WorkOrder) -> bool:
        user = _viewer(self)
        return bool(user.has_role(Role.CITIZEN) and order.citizen_user_id == user.pk)

    def get_citizen_name(self, order: WorkOrder) -> str:
        user = _viewer(self)
        if self._is_owner(order) or workorder_can_reveal(user, order, "citizen_phone"):
            return order.citizen_name
        return mask_name(order.citizen_name)

    def get_citizen_id_number(self, order: WorkOrder) -> str:
        return mask_id_number(order.citizen_id_number)

    def _fresh(self) -> Registration | None:
        """A just-registered order: its relations are known to be empty but for what registering wrote."""
        fresh = self.context.get("registration")
        return fresh if isinstance(fresh, Registration) else None

    @extend_schema_field(UnitRefSerializer(many=True))
    def get_co_units(self, order: WorkOrder) -> list[dict[str, str]]:
        if self._fresh():
            return []
        rows = order.assignments.filter(is_active=True, role=AssignmentRole.CO).select_related("unit").order_by("id")
        return [{"code": a.unit.code, "name": a.unit.name} for a in rows]

    def get_master(self, order: WorkOrder) -> str | None:
        return order.master.number if order.master_id and order.master is not None else None

    def get_children(self, order: WorkOrder) -> list[str]:
        if self._fresh():
            return []
        return list(order.children.order_by("id").values_list("number", flat=True))

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, order: WorkOrder) -> Any:
        context = {**self.context, "number": order.number}
        fresh = self._fresh()
        rows = fresh.attachments if fresh else order.attachments.all()
        return AttachmentSerializer(rows, many=True, context=context).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=[a.value for a in Action])))
    def get_allowed_actions(self, order: WorkOrder) -> list[str]:
        """Actions the table, the caller's roles and their unit allow now. Guards (deadlines, pending requests)
        are checked only when the action is taken, so an action listed here may still answer 409."""
        user = _viewer(self)
        allowed = []
        for action in actions_from(order.status):
            if action is Action.CLOSE_WITH_MASTER:
                continue
            try:
                workorder_check_transition_actor(user, order, TRANSITIONS[(Status(order.status), action)])
            except PermissionDenied:
                continue
            allowed.append(action.value)
        return allowed

    @extend_schema_field(TimelineEventSerializer(many=True))
    def get_timeline(self, order: WorkOrder) -> Any:
        public_only = bool(self.context.get("public_only"))
        fresh = self._fresh()
        events: Any = (
            [e for e in [fresh.event] if e.is_public or not public_only]
            if fresh
            else workorder_timeline(order=order, public_only=public_only)
        )
        return TimelineEventSerializer(events, many=True, context={**self.context, "public_only": public_only}).data
