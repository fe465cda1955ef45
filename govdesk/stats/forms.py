"""The dashboard's filter bar. The statistics API checks the filters again; this form only draws and pre-fills them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from govdesk.applications.models import Channel as ApplicationChannel
from govdesk.catalog.models import Category
from govdesk.common.validators import validate_supported_date
from govdesk.matters.models import Matter, MatterType
from govdesk.org.models import Unit, UnitKind
from govdesk.workorders.forms import type_choices
from govdesk.workorders.models import Channel

CUSTOM = "custom"
DEFAULT_PERIOD = "30d"
PERIOD_CHOICES: list[tuple[str, Any]] = [
    ("week", _("This week")),
    ("month", _("This month")),
    ("last_month", _("Last month")),
    ("30d", _("Last 30 days")),
    ("90d", _("Last 90 days")),
    ("year", _("This year")),
    (CUSTOM, _("Custom dates")),
]
ANYTHING = ("", _("All"))


def period_presets(today: date) -> dict[str, tuple[date, date]]:
    """The preset periods as inclusive (first day, last day), all ending today except last month."""
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    return {
        "week": (today - timedelta(days=today.weekday()), today),
        "month": (first_of_month, today),
        "last_month": (last_month_end.replace(day=1), last_month_end),
        "30d": (today - timedelta(days=29), today),
        "90d": (today - timedelta(days=89), today),
        "year": (today.replace(month=1, day=1), today),
    }


def previous_month(today: date) -> str:
    """The last complete month as YYYY-MM: the default of the monthly report."""
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def stats_unit_choices() -> list[tuple[str, str]]:
    """Units that can be responsible for orders, streets included; the centre and the government are not units here."""
    units = Unit.objects.filter(is_active=True).exclude(kind__in=[UnitKind.GOVERNMENT, UnitKind.HOTLINE_CENTRE])
    return [(u.code, u.name) for u in units.order_by("sort_order", "code")]


def stats_category_choices() -> list[tuple[str, str]]:
    """Level 1 and level 2 categories by path; a level 2 entry is indented under its parent."""
    rows = Category.objects.filter(is_active=True, level__lte=2).order_by("path").values_list("path", "name", "level")
    return [(path, name if level == 1 else f"\u3000{name}") for path, name, level in rows]


class PeriodFilterForm(forms.Form):
    """What every statistics filter bar has: the period, a preset or custom dates. A bar adds its own choice fields
    and fills them in `filter_choices`."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_supported_date],
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_supported_date],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in self.filter_choices():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [ANYTHING, *choices]

    def filter_choices(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        """(field name, choices) of the bar's own choice fields; "All" is put first."""
        return []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned


class PeriodUnitFilterForm(PeriodFilterForm):
    """The period and the unit, which a unit administrator cannot change."""

    unit = forms.ChoiceField(label=_("Unit"), required=False, choices=())

    def __init__(self, *args: Any, locked_unit: Unit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        if locked_unit is not None:
            # A unit administrator sees their own unit only: one choice, not editable.
            unit_field.choices = [(locked_unit.code, locked_unit.name)]
            unit_field.disabled = True
            unit_field.initial = locked_unit.code
            unit_field.help_text = _("Unit administrators see their own unit and the units below it.")
        else:
            unit_field.choices = [ANYTHING, *stats_unit_choices()]


class StatsFilterForm(PeriodUnitFilterForm):
    """The filter bar of the work order statistics: period, unit, category, type, channel."""

    category = forms.ChoiceField(label=_("Category"), required=False, choices=())
    type = forms.ChoiceField(label=_("Type"), required=False, choices=())
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=())

    def filter_choices(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        return [("category", stats_category_choices()), ("type", type_choices()), ("channel", list(Channel.choices))]


def stats_matter_choices() -> list[tuple[str, str]]:
    """Active matters by code, named as the catalogue names them."""
    return [
        (code, f"{name}（{code}）") for code, name in Matter.objects.filter(is_active=True).values_list("code", "name")
    ]


class ApplicationStatsFilterForm(PeriodUnitFilterForm):
    """The filter bar of the application (办件) statistics: period, unit, matter, matter type, channel."""

    field_order = ["kind"]  # the hidden kind first, the shared fields next, as the bar draws them
    kind = forms.CharField(widget=forms.HiddenInput, required=False, initial="application")
    matter = forms.ChoiceField(label=_("Matter (catalogue)"), required=False, choices=())
    matter_type = forms.ChoiceField(label=_("Matter type"), required=False, choices=())
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=())

    def filter_choices(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        return [
            ("matter", stats_matter_choices()),
            ("matter_type", list(MatterType.choices)),
            ("channel", list(ApplicationChannel.choices)),
        ]


def stats_package_choices() -> list[tuple[str, str]]:
    """Active packages (一件事) by code."""
    from govdesk.packages.models import Package

    return [
        (code, f"{name}（{code}）") for code, name in Package.objects.filter(is_active=True).values_list("code", "name")
    ]


class PackageStatsFilterForm(PeriodUnitFilterForm):
    """The filter bar of the package (一件事) statistics: period, lead unit, package."""

    field_order = ["kind"]
    kind = forms.CharField(widget=forms.HiddenInput, required=False, initial="package")
    unit = forms.ChoiceField(label=_("Lead unit"), required=False, choices=())
    package = forms.ChoiceField(label=_("Package"), required=False, choices=())

    def filter_choices(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        return [("package", stats_package_choices())]
