"""Forms of the window and the online channel. They only collect input: the application services check it (one set of
rules for the API, the counter and the web), and their messages are put back on the fields here."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from govdesk.cases.attachments import CheckedFile, attachment_check
from govdesk.common.errors import ValidationFailed
from govdesk.matters.models import MatterVersion

from .models import TicketService

FIELD_PREFIX = "f_"
APPLICANT_FIELDS = ("applicant_name", "applicant_phone", "applicant_id_number")


class TicketTakeForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"), choices=TicketService.choices)


class ApplicationForm(forms.Form):
    """The applicant and the matter's own form fields (`MatterVersion.fields`), generated per version."""

    applicant_name = forms.CharField(label=_("Applicant name"), max_length=100, required=False)
    applicant_phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    applicant_id_number = forms.CharField(
        label=_("ID number"), max_length=18, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args: Any, version: MatterVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version = version
        for name in APPLICANT_FIELDS:
            self.fields[name].widget.attrs["required"] = "required"
        for definition in version.fields:
            self.fields[FIELD_PREFIX + definition["name"]] = _matter_field(definition)

    @property
    def matter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(FIELD_PREFIX)]

    @property
    def applicant_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in APPLICANT_FIELDS]

    def submission_data(self) -> dict[str, Any]:
        """What the application services take: the applicant, and the form answers under the matter's names."""
        data = getattr(self, "cleaned_data", {})
        answers = {}
        for definition in self.version.fields:
            value = data.get(FIELD_PREFIX + definition["name"])
            if value not in (None, ""):
                answers[definition["name"]] = value
        return {
            "matter": self.version.matter.code,
            **{name: data.get(name, "") for name in APPLICANT_FIELDS},
            "form": answers,
        }

    def add_service_errors(self, error: ValidationFailed) -> None:
        """The service's field names (`applicant_phone`, `form.area`) onto this form's fields; others on the form."""
        for field, messages in (error.fields or {}).items():
            name = FIELD_PREFIX + field[len("form.") :] if field.startswith("form.") else field
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        if not error.fields:
            self.add_error(None, str(error.message))


def _matter_field(definition: dict[str, Any]) -> forms.Field:
    """A form field for one of the matter's fields; every field is optional here, the service says what is missing,
    so the browser's and the server's messages never disagree. `required` only marks the label."""
    kind, label = definition["type"], definition["label"]
    attrs: dict[str, str] = {"required": "required"} if definition.get("required") else {}
    help_text = definition.get("help") or ""
    field: forms.Field
    if kind == "textarea":
        field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, **attrs}))
    elif kind == "choice":
        choices = [("", "—")] + [(c, c) for c in definition.get("choices") or []]
        field = forms.ChoiceField(choices=choices, widget=forms.Select(attrs=attrs))
    elif kind == "bool":
        field = forms.BooleanField()
    elif kind == "date":
        field = forms.CharField(widget=forms.DateInput(attrs={"type": "date", **attrs}))
    elif kind == "number":
        field = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal", **attrs}))
    elif kind == "phone":
        field = forms.CharField(widget=forms.TextInput(attrs={"inputmode": "tel", **attrs}))
    else:
        field = forms.CharField(widget=forms.TextInput(attrs=attrs))
    field.required = False
    field.label = label
    field.help_text = help_text
    if isinstance(field, forms.CharField):
        field.max_length = 4000
    return field


def material_files(files: Any, prefix: str, codes: list[str]) -> tuple[dict[str, CheckedFile], dict[str, str]]:
    """The uploaded file of each material (`<prefix><code>`), checked by content: (files by code, errors by code)."""
    limit = cast(int, settings.GOVDESK["ATTACHMENT_MAX_BYTES"])
    checked: dict[str, CheckedFile] = {}
    errors: dict[str, str] = {}
    for code in codes:
        uploads: list[UploadedFile] = files.getlist(prefix + code)
        if len(uploads) > 1:
            # One file per material: taking one of them silently would lose what the person meant to send.
            errors[code] = str(_("Choose one file for this material, not %(n)d.") % {"n": len(uploads)})
            continue
        upload = uploads[0] if uploads else None
        if upload is None:
            continue
        try:
            checked[code] = attachment_check(name=upload.name or "file", data=upload.read(limit + 1))
        except ValidationFailed as exc:
            errors[code] = str(exc.message)
    return checked, errors


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Application number"), max_length=32)
    id_last4 = forms.CharField(
        label=_("Last 4 characters of the ID number"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


class ClaimForm(forms.Form):
    number = forms.CharField(label=_("Application number"), max_length=32)
    id_number = forms.CharField(
        label=_("ID number"), max_length=18, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
