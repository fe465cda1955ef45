"""Forms of the public citizen pages (no login)."""

from __future__ import annotations

from typing import Any

from captcha.fields import CaptchaField
from django import forms
from django.utils.translation import gettext_lazy as _

from govdesk.workorders.forms import area_field, text_field, type_choices
from govdesk.workorders.models import CONTENT_MAX_LENGTH


class PublicSubmitForm(forms.Form):
    request_type = forms.ChoiceField(label=_("Type"), choices=(), required=False)
    category = text_field(_("Category"), max_length=400, html_required=True, list="category-paths", autocomplete="off")
    title = text_field(_("Title"), html_required=True)
    content = area_field(_("Describe the problem"), max_length=CONTENT_MAX_LENGTH, rows=7, html_required=True)
    address = text_field(_("Address"), autocomplete="street-address")
    citizen_name = text_field(_("Your name"), max_length=50, autocomplete="name")
    citizen_phone = text_field(
        _("Your mobile phone"), max_length=20, html_required=True, inputmode="tel", autocomplete="tel"
    )
    captcha = CaptchaField(label=_("Characters in the picture"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["request_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— choose —")), *type_choices()]
        self.fields["content"].widget.attrs["data-counter"] = str(CONTENT_MAX_LENGTH)
        self.fields["captcha"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "off"})

    def clean_citizen_phone(self) -> str:
        # The phone is how the citizen tracks the request, so on this page it is required.
        phone = str(self.cleaned_data.get("citizen_phone") or "").strip()
        if not phone:
            raise forms.ValidationError(_("Give your phone number: you need its last 4 digits to track the request."))
        return phone

    def intake_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "captcha"}
        data["channel"] = "web"
        return data


class PublicTrackForm(forms.Form):
    number = forms.CharField(
        label=_("Order number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": "autofocus"}),
    )
    phone_last4 = forms.RegexField(
        label=_("Last 4 digits of your phone"),
        regex=r"^\d{4}$",
        max_length=4,
        error_messages={"invalid": _("Enter exactly 4 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": r"\d{4}"}),
    )
