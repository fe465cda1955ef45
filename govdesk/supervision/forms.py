"""Forms of the supervision pages. They parse; the services check everything that matters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import ANSWER_DAYS_MAX, TEXT_MAX_LENGTH
from .states import CaseAction


def _area(label: Any, *, required: bool, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": TEXT_MAX_LENGTH}),
    )


def _days() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Answer within (working days)"),
        required=False,
        min_value=1,
        max_value=ANSWER_DAYS_MAX,
        help_text=_("Empty: the default from the supervision settings."),
    )


class OpenCaseForm(forms.Form):
    # A work order's or an application's number (the field keeps its name: the API's and the pages' alike).
    order = forms.CharField(label=_("Order or application number"), max_length=32)
    reason = _area(_("Reason and requirements"), required=True)
    answer_days = _days()


class CaseActionForm(forms.Form):
    action: CaseAction
    label: Any = ""
    button: Any = _("Submit")

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class NoteForm(CaseActionForm):
    action = CaseAction.NOTE
    label = _("Supervisor's note")
    button = _("Add the note")
    note = _area(_("Note"), required=True, rows=2)


class AnswerForm(CaseActionForm):
    action = CaseAction.ANSWER
    label = _("Answer the supervision case")
    button = _("Send the answer")
    answer = _area(_("Answer: what was done, the result, what remains"), required=True, rows=4)


class CloseForm(CaseActionForm):
    action = CaseAction.CLOSE
    label = _("Close the supervision case")
    button = _("Close")
    note = _area(_("Note"), required=False, rows=2)


class ReopenForm(CaseActionForm):
    action = CaseAction.REOPEN
    label = _("Reopen: the answer is not good enough")
    button = _("Reopen")
    reason = _area(_("What is still missing"), required=True, rows=2)
    answer_days = _days()


CASE_ACTION_FORMS: dict[CaseAction, type[CaseActionForm]] = {
    form.action: form for form in (NoteForm, AnswerForm, CloseForm, ReopenForm)
}


class UrgeForm(forms.Form):
    case = forms.CharField(label=_("Order or application number"), max_length=32)
    note = _area(_("Note"), required=False, rows=2)


class EscalationHandleForm(forms.Form):
    note = _area(_("Note"), required=False, rows=2)
