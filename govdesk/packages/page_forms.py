"""The merged form of a package version, for the counter and the online pages. It only collects input: the package
services check it (one set of rules for the API, the counter and the web), and their messages are put back on the
fields here, the way the applications' own form does."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from govdesk.applications.forms import APPLICANT_FIELDS, FIELD_PREFIX, ApplicationForm
from govdesk.applications.forms import _matter_field as matter_field
from govdesk.common.errors import ValidationFailed

from .catalogue import package_form_clean, package_materials_needed
from .models import PackageVersion


class PackageForm(forms.Form):
    """The applicant and the merged fields of `PackageVersion.fields`, each asked once.

    A field with `required_if` carries its rule on the page (`data-required-if-field` / `-equals`): the script hides
    it while the rule does not hold; without the script it stays visible with a hint saying when it is needed."""

    applicant_name = ApplicationForm.base_fields["applicant_name"]
    applicant_phone = ApplicationForm.base_fields["applicant_phone"]
    applicant_id_number = ApplicationForm.base_fields["applicant_id_number"]

    def __init__(self, *args: Any, version: PackageVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version = version
        for name in APPLICANT_FIELDS:
            self.fields[name].widget.attrs["required"] = "required"
        labels = {d["name"]: d.get("label") or d["name"] for d in version.fields}
        for definition in version.fields:
            field = matter_field(definition)
            rule = definition.get("required_if") or {}
            if rule.get("field"):
                field.widget.attrs.pop("required", None)
                label = labels.get(rule["field"], rule["field"])
                if rule.get("equals") is True:
                    hint = _("Needed when “%(field)s” is ticked.") % {"field": label}
                elif rule.get("equals") is False:
                    hint = _("Needed when “%(field)s” is not ticked.") % {"field": label}
                else:
                    hint = _("Needed when “%(field)s” is “%(value)s”.") % {
                        "field": label,
                        "value": _display(rule.get("equals")),
                    }
                field.help_text = f"{field.help_text} {hint}".strip()
            self.fields[FIELD_PREFIX + definition["name"]] = field

    @property
    def applicant_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in APPLICANT_FIELDS]

    @property
    def merged_fields(self) -> list[dict[str, Any]]:
        """Each merged field with its rule, for the template's `data-required-if-*` attributes."""
        rows = []
        for definition in self.version.fields:
            rule = definition.get("required_if") or {}
            rows.append(
                {
                    "field": self[FIELD_PREFIX + definition["name"]],
                    "rule_field": FIELD_PREFIX + rule["field"] if rule.get("field") else "",
                    "rule_equals": _display(rule.get("equals")) if rule.get("field") else "",
                }
            )
        return rows

    def submission_data(self) -> dict[str, Any]:
        """What the package services take: the applicant, and the merged answers under the package's field names."""
        data = getattr(self, "cleaned_data", {})
        answers = {}
        for definition in self.version.fields:
            value = data.get(FIELD_PREFIX + definition["name"])
            if value not in (None, ""):
                answers[definition["name"]] = value
        return {
            "package": self.version.package.code,
            **{name: data.get(name, "") for name in APPLICANT_FIELDS},
            "form": answers,
        }

    def answers_known(self) -> dict[str, Any] | None:
        """The merged answers, cleaned as the package services clean them, once the form is bound and valid (a
        checklist then lists only what this situation needs); None before."""
        if not self.is_bound or not self.is_valid():
            return None
        try:
            return package_form_clean(version=self.version, data=self.submission_data()["form"])
        except ValidationFailed:
            return None

    def needed_codes(self) -> set[str] | None:
        """The codes of the merged materials these answers need (None while they are not known): a material ticked or
        uploaded only for a matter the situation does not need is no part of the application."""
        answers = self.answers_known()
        if answers is None:
            return None
        return {row["material"].code for row in package_materials_needed(self.version, answers)}

    def add_service_errors(self, error: ValidationFailed) -> None:
        """The service's field names (`applicant_phone`, `form.birth_date`) onto this form's fields; others above."""
        for field, messages in (error.fields or {}).items():
            name = FIELD_PREFIX + field[len("form.") :] if field.startswith("form.") else field
            if name not in self.fields and FIELD_PREFIX + field in self.fields:
                name = FIELD_PREFIX + field  # the catalogue's checks name the merged field alone
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        if not error.fields:
            self.add_error(None, str(error.message))


def _display(value: Any) -> str:
    """A rule's value as the page shows and the script compares it (a checkbox is "true" when ticked)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)
