"""The forms of the project pages (online and at the counter). They only collect input: `project_register` checks it
(one set of rules for the API and the pages) and its messages are put back on the fields here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govdesk.common.errors import ValidationFailed

from .models import ProjectType


class ProjectRegisterForm(forms.Form):
    type = forms.ChoiceField(label=_("Project type"), widget=forms.RadioSelect)
    name = forms.CharField(label=_("Project name"), max_length=200)
    owner = forms.CharField(label=_("Owner (建设单位)"), max_length=200)
    owner_credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18, required=False)
    investment = forms.CharField(label=_("Investment (10,000 yuan)"), max_length=20)
    location = forms.CharField(label=_("Location"), max_length=200)
    land = forms.CharField(label=_("Land"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Contact"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    contact_id_number = forms.CharField(label=_("Contact ID number"), max_length=18, required=False)

    def __init__(self, *args: Any, types: list[ProjectType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        type_field = self.fields["type"]
        assert isinstance(type_field, forms.ChoiceField)
        type_field.choices = [(t.code, t.name) for t in types]
        self.fields["investment"].widget.attrs["inputmode"] = "decimal"
        self.fields["contact_phone"].widget.attrs["inputmode"] = "tel"

    def submission_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in self.fields}

    def add_service_errors(self, error: ValidationFailed) -> None:
        for field, messages in (error.fields or {}).items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        if not error.fields:
            self.add_error(None, str(error.message))
