"""Forms of the public citizen pages (no login)."""

from __future__ import annotations

from typing import Any

from captcha.fields import CaptchaField
from django import forms
from django.utils.translation import gettext_lazy as _

from govdesk.catalog.models import PublicTopic
from govdesk.catalog.selectors import public_topics
from govdesk.workorders.forms import area_field, text_field, type_choices
from govdesk.workorders.models import CONTENT_MAX_LENGTH


class PublicSubmitForm(forms.Form):
    """The citizen describes the problem and may pick a plain-language topic; the internal category tree is never
    shown (the system proposes the category from the text, the dispatcher decides: web/public_intake.py)."""

    request_type = forms.ChoiceField(label=_("Type"), choices=(), required=False)
    topic = forms.ChoiceField(
        label=_("What is it about? (optional)"),
        choices=(),
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one of the topics, or “Not sure”.")},
    )
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
        self.topics = {t.code: t for t in public_topics()}
        topic = self.fields["topic"]
        assert isinstance(topic, forms.ChoiceField)
        topic.choices = [("", _("Not sure")), *((t.code, t.name) for t in self.topics.values())]
        self.fields["content"].widget.attrs["data-counter"] = str(CONTENT_MAX_LENGTH)
        self.fields["captcha"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "off"})

    def topic_options(self) -> list[dict[str, Any]]:
        """The topics with their examples, for the page's own radio list."""
        chosen = str(self.data.get("topic", "")) if self.is_bound else ""
        options = [{"code": "", "name": _("Not sure"), "description": _("We will sort it out."), "checked": not chosen}]
        options += [
            {"code": t.code, "name": t.name, "description": t.description, "checked": t.code == chosen}
            for t in self.topics.values()
        ]
        return options

    def topic_chosen(self) -> PublicTopic | None:
        return self.topics.get(self.cleaned_data.get("topic") or "")

    def clean_citizen_phone(self) -> str:
        # The phone is how the citizen tracks the request, so on this page it is required.
        phone = str(self.cleaned_data.get("citizen_phone") or "").strip()
        if not phone:
            raise forms.ValidationError(_("Give your phone number: you need its last 4 digits to track the request."))
        return phone

    def intake_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("captcha", "topic")}
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
