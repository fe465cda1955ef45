"""Web forms for work orders. They parse and keep what was typed; the services do the real checking.

Fields are deliberately lenient (most `required=False` on the server, `required` only as an HTML hint) so that one
submission shows every problem the service finds, with the service's own messages.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from govdesk.catalog.models import RequestType, Urgency
from govdesk.catalog.selectors import category_leaves
from govdesk.common.validators import validate_supported_date
from govdesk.org.models import Unit, UnitKind

from .models import CONTENT_MAX_LENGTH, Channel, Satisfaction, StatusChoices
from .selectors import PRIMARY_UNIT_NONE
from .states import Action

# Request types are data (Chinese names); these labels make them follow the interface language.
TYPE_LABELS: dict[str, Any] = {
    "consultation": _("Consultation"),
    "help": _("Request for help"),
    "complaint": _("Complaint"),
    "report": _("Report of wrongdoing"),
    "suggestion": _("Suggestion"),
    "praise": _("Praise"),
}


def type_label(request_type: RequestType) -> str:
    return str(TYPE_LABELS.get(request_type.code, request_type.name))


def type_choices() -> list[tuple[str, str]]:
    return [(t.code, type_label(t)) for t in RequestType.objects.all()]


def category_paths() -> list[str]:
    return list(category_leaves().order_by("path").values_list("path", flat=True))


def unit_choices() -> list[tuple[str, str]]:
    return [
        (u.code, u.name)
        for u in Unit.objects.filter(is_active=True, accepts_orders=True).order_by("sort_order", "code")
    ]


def all_unit_choices(kind: str | None = None) -> list[tuple[str, str]]:
    """Every unit, retired ones too: statistics keep counting orders of units no longer in service."""
    units = Unit.objects.all() if kind is None else Unit.objects.filter(kind=kind)
    return [(u.code, u.name) for u in units.order_by("sort_order", "code").only("code", "name")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; their content is checked by cases.attachments, not here."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


ATTACHMENT_ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"


def text_field(label: Any, *, max_length: int = 200, html_required: bool = False, **attrs: Any) -> forms.CharField:
    widget_attrs = {"maxlength": str(max_length), **attrs}
    if html_required:
        widget_attrs["required"] = "required"
    return forms.CharField(label=label, required=False, strip=False, widget=forms.TextInput(attrs=widget_attrs))


def area_field(label: Any, *, max_length: int = 2000, rows: int = 3, html_required: bool = False) -> forms.CharField:
    attrs = {"rows": str(rows), "maxlength": str(max_length)}
    if html_required:
        attrs["required"] = "required"
    return forms.CharField(label=label, required=False, strip=False, widget=forms.Textarea(attrs=attrs))


class IntakeForm(forms.Form):
    """受理: the fields of workorder_intake_clean, in the order an operator fills them during a call."""

    citizen_phone = text_field(
        _("Caller's phone"), max_length=20, autofocus="autofocus", inputmode="tel", autocomplete="off"
    )
    citizen_name = text_field(_("Caller's name"), max_length=50, autocomplete="off")
    citizen_id_number = text_field(_("ID number"), max_length=18, autocomplete="off")
    confidential = forms.BooleanField(
        label=_("Confidential reporter (keep the caller's identity from the unit)"), required=False
    )
    request_type = forms.ChoiceField(label=_("Type"), choices=(), required=False)
    category = text_field(_("Category"), max_length=400, html_required=True, list="category-paths", autocomplete="off")
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL, required=False)
    title = text_field(_("Title"), html_required=True)
    content = area_field(_("Content"), max_length=CONTENT_MAX_LENGTH, rows=7, html_required=True)
    address = text_field(_("Address"), autocomplete="off")
    attachments = MultipleFileField(
        label=_("Attachments (JPEG, PNG or PDF)"), widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = type_choices()
        field = self.fields["request_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— choose —")), *choices]
        self.fields["content"].widget.attrs["data-counter"] = str(CONTENT_MAX_LENGTH)

    def intake_data(self, *, channel: str) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "attachments"}
        data["channel"] = channel
        data["confidential"] = bool(data.get("confidential"))
        return data


# --- one form per lifecycle action --------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """Parses the fields of one action and hands them to its service as keyword arguments."""

    action: Action
    label: Any = ""
    button: Any = _("Submit")
    danger = False

    def service_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items()}


def _decision() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
        initial="approve",
    )


class _UnitsMixin:
    fields: dict[str, forms.Field]

    def _set_unit_choices(self, *, blank: bool, units: list[tuple[str, str]] | None) -> None:
        # A queue page draws one form per order: it passes the unit list it read once.
        choices = units if units is not None else unit_choices()
        unit = self.fields["unit"]
        co_units = self.fields["co_units"]
        assert isinstance(unit, forms.ChoiceField) and isinstance(co_units, forms.MultipleChoiceField)
        unit.choices = [("", _("— choose a unit —")), *choices] if blank else choices
        co_units.choices = choices


class DispatchForm(_UnitsMixin, ActionForm):
    action = Action.DISPATCH
    label = _("Dispatch")
    button = _("Dispatch")
    unit = forms.ChoiceField(label=_("Primary unit"), choices=())
    co_units = forms.MultipleChoiceField(
        label=_("Co-units"), choices=(), required=False, widget=forms.SelectMultiple(attrs={"size": "3"})
    )
    # The dispatcher's decision on the category (prefilled with the order's; the page holds the category-paths list).
    category = text_field(_("Category"), max_length=400, list="category-paths", autocomplete="off")
    note = area_field(_("Note to the unit"), rows=2)

    def __init__(self, *args: Any, units: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_unit_choices(blank=True, units=units)

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        # Empty: keep the order's category (a page without the field, or a dispatcher who cleared it).
        if not str(kwargs.get("category") or "").strip():
            kwargs.pop("category", None)
        return kwargs


class SignForm(ActionForm):
    action = Action.SIGN
    label = _("Sign for")
    button = _("Sign for this order")


class ReturnForm(ActionForm):
    action = Action.RETURN
    label = _("Return (not our matter)")
    button = _("Return to the dispatcher")
    danger = True
    reason = area_field(_("Reason"), html_required=True)
    legal_basis = area_field(_("Legal basis"), rows=2, html_required=True)


class ReviewReturnForm(_UnitsMixin, ActionForm):
    action = Action.REVIEW_RETURN
    label = _("Review the return")
    button = _("Decide")
    decision = _decision()
    unit = forms.ChoiceField(label=_("New primary unit (when approving)"), choices=(), required=False)
    co_units = forms.MultipleChoiceField(
        label=_("Co-units"), choices=(), required=False, widget=forms.SelectMultiple(attrs={"size": "3"})
    )
    note = area_field(_("Note"), rows=2)

    def __init__(self, *args: Any, units: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_unit_choices(blank=True, units=units)
        decision = self.fields["decision"]
        assert isinstance(decision, forms.ChoiceField)
        decision.choices = [("approve", _("Approve: re-dispatch to another unit")), ("reject", _("Reject: send back"))]

    def service_kwargs(self) -> dict[str, Any]:
        approve = self.cleaned_data["decision"] == "approve"
        kwargs: dict[str, Any] = {"approve": approve, "note": self.cleaned_data["note"]}
        if approve:
            kwargs["unit"] = self.cleaned_data["unit"] or None
            kwargs["co_units"] = self.cleaned_data["co_units"]
        return kwargs


class RequestExtensionForm(ActionForm):
    action = Action.REQUEST_EXTENSION
    label = _("Request an extension")
    button = _("Request extension")
    working_days = forms.IntegerField(label=_("Extra working days"), min_value=1, max_value=30, initial=5)
    reason = area_field(_("Reason"), html_required=True)


class ReviewExtensionForm(ActionForm):
    action = Action.REVIEW_EXTENSION
    label = _("Review the extension request")
    button = _("Decide")
    decision = _decision()
    note = area_field(_("Note"), rows=2)

    def service_kwargs(self) -> dict[str, Any]:
        return {"approve": self.cleaned_data["decision"] == "approve", "note": self.cleaned_data["note"]}


class ReplyForm(ActionForm):
    action = Action.REPLY
    label = _("Reply")
    button = _("Send the reply")
    reply = area_field(_("Reply to the citizen"), max_length=CONTENT_MAX_LENGTH, rows=5, html_required=True)
    attachments = MultipleFileField(
        label=_("Attachments (JPEG, PNG or PDF)"), widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reply"].widget.attrs["placeholder"] = _(
            "What was verified, what was done, the result, and a contact."
        )

    def service_kwargs(self) -> dict[str, Any]:
        return {"reply": self.cleaned_data["reply"]}


class VisitForm(ActionForm):
    action = Action.VISIT
    label = _("Return visit")
    button = _("Record the return visit")
    resolved = forms.TypedChoiceField(
        label=_("Resolved?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect)
    note = area_field(_("Note"), rows=2)


class ReopenForm(ActionForm):
    action = Action.REOPEN
    label = _("Reopen")
    button = _("Reopen the order")
    danger = True
    reason = area_field(_("Reason"), html_required=True)


class MergeForm(ActionForm):
    action = Action.MERGE
    label = _("Merge into another order")
    button = _("Merge")
    danger = True
    master = text_field(_("Master order number"), max_length=32, html_required=True, inputmode="numeric")
    note = area_field(_("Note"), rows=2)


class UrgeForm(ActionForm):
    action = Action.URGE
    label = _("Urge")
    button = _("Urge the unit")
    note = area_field(_("Note"), rows=2)


class SuperviseForm(ActionForm):
    action = Action.SUPERVISE
    label = _("Supervise")
    button = _("Add the supervision note")
    note = area_field(_("Supervision note"), html_required=True)


class NoteForm(ActionForm):
    action = Action.NOTE
    label = _("Process note")
    button = _("Add the note")
    note = area_field(_("Note"), html_required=True)


class AnswerForm(ActionForm):
    action = Action.ANSWER
    label = _("Answer directly")
    button = _("Answer and close")
    answer = area_field(_("Answer"), max_length=CONTENT_MAX_LENGTH, rows=4, html_required=True)
    # Set by the console's knowledge panel ("用此答复"): the article the answer cites, checked by the service.
    article = forms.CharField(
        label=_("Knowledge article cited"), required=False, max_length=16, widget=forms.HiddenInput
    )

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        if not kwargs.get("article"):
            kwargs.pop("article", None)
        return kwargs


class CancelForm(ActionForm):
    action = Action.CANCEL
    label = _("Cancel")
    button = _("Cancel the order")
    danger = True
    reason = area_field(_("Reason"), html_required=True)


ACTION_FORMS: dict[Action, type[ActionForm]] = {
    form.action: form
    for form in (
        DispatchForm,
        SignForm,
        ReturnForm,
        ReviewReturnForm,
        RequestExtensionForm,
        ReviewExtensionForm,
        ReplyForm,
        VisitForm,
        ReopenForm,
        MergeForm,
        UrgeForm,
        SuperviseForm,
        NoteForm,
        AnswerForm,
        CancelForm,
    )
}


class OrderFilterForm(forms.Form):
    text = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=())
    type = forms.ChoiceField(label=_("Type"), required=False, choices=())
    category = forms.CharField(
        label=_("Category"), required=False, max_length=400, widget=forms.TextInput(attrs={"list": "category-paths"})
    )
    unit = forms.ChoiceField(label=_("Unit"), required=False, choices=())
    created_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_supported_date],
    )
    created_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_supported_date],
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    due_soon = forms.BooleanField(label=_("Due soon only"), required=False)
    # The statistics' drill-downs: the primary unit and its subtree ("none": not dispatched), and the street.
    primary_unit = forms.ChoiceField(label=_("Primary unit"), required=False, choices=())
    primary_unit_only = forms.BooleanField(label=_("This unit only (not the units below it)"), required=False)
    street = forms.ChoiceField(label=_("Street"), required=False, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        anything = ("", _("Any"))
        for name, choices in (
            ("status", list(StatusChoices.choices)),
            ("type", type_choices()),
            ("unit", unit_choices()),
            ("channel", list(Channel.choices)),
            ("primary_unit", [(PRIMARY_UNIT_NONE, _("Not dispatched yet")), *all_unit_choices()]),
            ("street", all_unit_choices(kind=UnitKind.STREET)),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [anything, *choices]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
