"""The statistics dashboard's `?kind=project`: the average approval time of construction projects (平均审批用时,
the figure governments publish), per project type and per stage, against their limits, in a period.

The figures are the projects app's (`project_average_times`), read as the monthly report reads them. They are the
district's: average working days hold no personal data and no unit's work list, so every dashboard role sees the
same table (a unit administrator too).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdesk.projects.models import ProjectType
from govdesk.projects.portfolio_selectors import PORTFOLIO_ROLES, project_average_times

from .charts import pair_bars_svg
from .forms import PeriodFilterForm

PROJECT_KIND = "project"


class ProjectTimesFilterForm(PeriodFilterForm):
    """The filter bar: the period (a preset or custom dates, both days needed) and the project type."""

    kind = forms.CharField(widget=forms.HiddenInput, required=False, initial=PROJECT_KIND)
    type = forms.ChoiceField(label=gettext_lazy("Project type"), required=False, choices=())

    field_order = ["kind", "period", "date_from", "date_to", "type"]

    def filter_choices(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        return [("type", list(ProjectType.objects.order_by("order", "code").values_list("code", "name")))]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("date_from") or not cleaned.get("date_to"):
            self.add_error(None, _("Choose the first and the last day of the period."))
        return cleaned


def project_times_chart(figures: dict[str, Any]) -> Any:
    """Per stage (of every type shown), the average working days against the stage's limit."""
    rows = [
        {"name": f"{row['type_name']} · {row['no']}. {row['name']}", "avg": row["avg_days"], "limit": row["limit_days"]}
        for row in figures["by_stage"]
    ]
    return pair_bars_svg(
        rows,
        ("avg", "limit"),
        title=_("Average approval time per stage, against its limit"),
        labels=(_("Average working days"), _("Time limit")),
        unit_label=_("working days"),
    )


def project_times_dashboard(request: HttpRequest, data: Any) -> HttpResponse:
    """`data`: the query with the period's dates filled in (the dashboard's `_with_period`)."""
    data["kind"] = PROJECT_KIND
    form = ProjectTimesFilterForm(data)
    figures: dict[str, Any] | None = None
    if form.is_valid():
        start: date = form.cleaned_data["date_from"]
        end: date = form.cleaned_data["date_to"]
        figures = project_average_times(start=start, end=end, type=form.cleaned_data.get("type") or None)
    context = {
        "form": form,
        "kind": PROJECT_KIND,
        "figures": figures,
        "chart": project_times_chart(figures) if figures is not None else None,
        "portfolio_link": request.user.has_role(*PORTFOLIO_ROLES),  # type: ignore[union-attr]
    }
    return render(request, "stats/projects.html", context, status=200 if figures is not None else 400)
