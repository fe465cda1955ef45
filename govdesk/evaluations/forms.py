"""Forms of the 好差评 pages. They parse; the services check everything that matters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govdesk.common.validators import validate_supported_date
from govdesk.org.models import Unit

from .models import COMMENT_MAX_LENGTH, EvaluationChannel, Level
from .services import TEXT_MAX_LENGTH
from .states import RectificationAction


def _area(label: Any, *, required: bool, rows: int = 3, max_length: int = TEXT_MAX_LENGTH) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": max_length}),
    )


class RateForm(forms.Form):
    """Five big buttons (each submits its level) and an optional comment."""

    level = forms.TypedChoiceField(label=_("Your rating"), choices=Level.choices, coerce=int)
    comment = _area(_("Comment (optional)"), required=False, rows=3, max_length=COMMENT_MAX_LENGTH)


class PadRateForm(RateForm):
    case = forms.CharField(label=_("Case number"), max_length=32)


class PadLookupForm(forms.Form):
    case = forms.CharField(
        label=_("Case number"), max_length=32, widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "text"})
    )


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class ActionForm(forms.Form):
    action: RectificationAction
    label: Any = ""
    button: Any = _("Submit")

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class VerifyForm(ActionForm):
    action = RectificationAction.VERIFY
    label = _("Verify the bad rating")
    button = _("Record the verification")
    justified = forms.TypedChoiceField(
        label=_("Is the bad rating justified?"),
        choices=[("yes", _("Justified: the unit rectifies")), ("no", _("Unjustified: close, not counted"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = _area(_("Note (required when unjustified)"), required=False, rows=2)


class AnswerForm(ActionForm):
    action = RectificationAction.ANSWER
    label = _("Answer: what was rectified")
    button = _("Send the answer")
    answer = _area(_("What was done, the result, who to contact"), required=True, rows=4)


class AppealForm(ActionForm):
    action = RectificationAction.APPEAL
    label = _("Appeal: the rating is unjustified")
    button = _("Send the appeal")
    reason = _area(_("Why the rating is unjustified"), required=True, rows=3)


class DecideAppealForm(ActionForm):
    action = RectificationAction.DECIDE_APPEAL
    label = _("Decide the appeal")
    button = _("Record the decision")
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Upheld: the rating is unjustified")), ("no", _("Rejected: the rectification goes on"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = _area(_("Note"), required=False, rows=2)


class CloseForm(ActionForm):
    action = RectificationAction.CLOSE
    label = _("Close without the citizen's rating")
    button = _("Close")
    note = _area(_("Note"), required=False, rows=2)


ACTION_FORMS: dict[RectificationAction, type[ActionForm]] = {
    form.action: form for form in (VerifyForm, AnswerForm, AppealForm, DecideAppealForm, CloseForm)
}


class RatesFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"),
        validators=[validate_supported_date],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        validators=[validate_supported_date],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.filter(is_active=True).order_by("code"), required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *EvaluationChannel.choices], required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The first day must not be after the last day."))
        if start and end and (end - start).days > 366:
            raise forms.ValidationError(_("Choose at most one year."))
        return data
