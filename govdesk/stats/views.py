"""The statistics dashboard page, with a switch between work orders (工单) and applications (办件).

Work orders: the page draws the filter bar; its script fetches GET /api/v1/stats/overview/ and draws, so the API
(which checks the role and forces a unit administrator's unit) is the only source of numbers. Applications
(`?kind=application`): the page is rendered from the same selector the API answers with
(`stats_application_overview`), with server-side SVG charts, and the 好差评 rates beside it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from govdesk.common import clock
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.common.pages import forbidden, staff_page
from govdesk.evaluations.selectors import evaluation_rates
from govdesk.org.models import Role, Unit

from . import selectors
from .charts import pair_bars_svg, series_svg, step_bars_svg
from .forms import (
    CUSTOM,
    DEFAULT_PERIOD,
    ApplicationStatsFilterForm,
    PackageStatsFilterForm,
    StatsFilterForm,
    period_presets,
    previous_month,
)
from .project_times import PROJECT_KIND, project_times_dashboard

DASHBOARD_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER, Role.UNIT_ADMIN)
# Roles that see the whole district; anyone else with a dashboard role is a unit administrator.
DISTRICT_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER)
# Roles that may open the order list, where a chart's drill-down leads.
ORDER_LIST_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.HANDLER, Role.UNIT_ADMIN, Role.LEADER)
OVERVIEW_API = "/api/v1/stats/overview/"
SAMPLE_MONTH = "2000-01"
TOP_UNITS = 15
FILTER_KEYS = ("date_from", "date_to", "unit", "category", "type", "channel")
APPLICATION_FILTER_KEYS = ("date_from", "date_to", "unit", "matter", "matter_type", "channel")
PACKAGE_FILTER_KEYS = ("date_from", "date_to", "unit", "package")
# The matters drawn in "where applications wait" (the most received; the table lists every one).
TOP_MATTERS = 10
APPLICATION_KIND = "application"
PACKAGE_KIND = "package"


def _url(name: str, fallback: str, *args: str) -> str:
    """A URL by name if that app has published it, else the path the statistics contract fixes."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def _locked_unit(user: Any) -> Unit | None:
    return None if user.has_role(*DISTRICT_ROLES) else user.unit


def _with_period(params: QueryDict, today: date) -> QueryDict:
    """Fill the dates from the chosen preset (default: the last 30 days); name dates that match no preset custom."""
    data = params.copy()
    presets = period_presets(today)
    period = data.get("period", "")
    if not data.get("date_from") and not data.get("date_to"):
        # An unknown period keeps its value, so the form reports it (400); the dates are the default's meanwhile.
        start, end = presets.get(period) or presets[DEFAULT_PERIOD]
        data["period"] = period or DEFAULT_PERIOD
        data["date_from"], data["date_to"] = start.isoformat(), end.isoformat()
        return data
    chosen = presets.get(period)
    if chosen is None or (chosen[0].isoformat(), chosen[1].isoformat()) != (data.get("date_from"), data.get("date_to")):
        data["period"] = CUSTOM
    return data


def _labels() -> dict[str, str]:
    """Every string the script shows, translated here so the script holds no language."""
    return {
        "loading": _("Loading the statistics…"),
        "updated": _("Updated"),
        "error_bad_request": _("The filters are not valid"),
        "error_forbidden": _("You may not see these statistics."),
        "error_server": _("The statistics could not be loaded. Please try again later."),
        "error_network": _("The server could not be reached. Check the connection and try again."),
        "error_month": _("Choose a month as YYYY-MM."),
        "total": _("Orders received"),
        "total_formula": _("Orders received (created) in the period that match the filters."),
        "vs_previous": _("vs previous period"),
        "previous": _("Previous period"),
        "points": _("pts"),
        "no_change": _("unchanged"),
        "no_data": _("No data"),
        "not_applicable": _("n/a (no orders to count)"),
        "numerator": _("Numerator"),
        "denominator": _("Denominator"),
        "series_total": _("Received"),
        "series_closed": _("Orders closed"),
        "orders": _("orders"),
        "drill_hint": _("Click to see the orders"),
        "view_all": _("View all"),
        "none": _("None"),
        "number": _("Number"),
        "title": _("Title"),
        "unit": _("Unit"),
        "due_at": _("Deadline"),
        "day": _("by day"),
        "week": _("by week"),
        "month": _("by month"),
        "bigscreen_on": _("Big screen"),
        "bigscreen_off": _("Exit big screen"),
        "top_units": _("Top %(count)s units") % {"count": TOP_UNITS},
    }


@staff_page(*DASHBOARD_ROLES)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """统计分析: filters, the eight rates with their change, charts that drill down, overdue and due-soon lists."""
    user: Any = request.user
    locked = _locked_unit(user)
    if locked is None and not user.has_role(*DISTRICT_ROLES):
        return forbidden(request, _("Your account belongs to no unit, so there are no statistics to show."))
    today = timezone.localdate(clock.now())
    if request.GET.get("kind") == APPLICATION_KIND:
        return _application_dashboard(request, user, locked, today)
    if request.GET.get("kind") == PACKAGE_KIND:
        return _package_dashboard(request, user, locked, today)
    if request.GET.get("kind") == PROJECT_KIND:
        return project_times_dashboard(request, _with_period(request.GET, today))
    data = _with_period(request.GET, today)
    if locked is not None:
        data["unit"] = locked.code
    form = StatsFilterForm(data, locked_unit=locked)
    valid = form.is_valid()
    month = previous_month(today)
    config = {
        "api": OVERVIEW_API,
        "orders": reverse("workorders:list"),
        "order_detail": reverse("workorders:detail", args=["__number__"]),
        "drill": user.has_role(*ORDER_LIST_ROLES),
        "presets": {key: [start.isoformat(), end.isoformat()] for key, (start, end) in period_presets(today).items()},
        "locked_unit": locked.code if locked is not None else None,
        "stats_xlsx": _url("reports:stats_xlsx", "/reports/stats.xlsx"),
        "monthly_pdf": _url("reports:monthly_pdf", f"/reports/monthly/{SAMPLE_MONTH}.pdf", SAMPLE_MONTH),
        "monthly_xlsx": _url("reports:monthly_xlsx", f"/reports/monthly/{SAMPLE_MONTH}.xlsx", SAMPLE_MONTH),
        "sample_month": SAMPLE_MONTH,
        "top_units": TOP_UNITS,
    }
    context = {
        "form": form,
        "config": config,
        "labels": _labels(),
        "locked_unit": locked,
        "month": month,
        "monthly_pdf": config["monthly_pdf"].replace(SAMPLE_MONTH, month),
        "monthly_xlsx": config["monthly_xlsx"].replace(SAMPLE_MONTH, month),
        "stats_xlsx": config["stats_xlsx"],
        "stats_query": urlencode({key: str(data.get(key)) for key in FILTER_KEYS if data.get(key)}),
    }
    return render(request, "stats/dashboard.html", context, status=200 if valid else 400)


def _application_charts(overview: dict[str, Any]) -> dict[str, Any]:
    steps = overview["step_times"]["steps"]
    hours = _("h")
    matters = overview["step_times"]["by_matter"][:TOP_MATTERS]
    return {
        "series": series_svg(
            overview["series"],
            title=_("Applications received over time"),
            labels=(_("Submitted (applications)"), _("Decided (applications)")),
        ),
        "wait_by_unit": step_bars_svg(
            overview["step_times"]["by_unit"], steps, title=_("Where applications wait, by unit"), hours_label=hours
        ),
        "wait_by_matter": step_bars_svg(
            matters, steps, title=_("Where applications wait, by matter"), hours_label=hours
        ),
    }


def _application_dashboard(request: HttpRequest, user: Any, locked: Unit | None, today: date) -> HttpResponse:
    """办件 statistics: KPI tiles, the series, breakdowns with rates, where applications wait, the overdue list and
    the 好差评 rates. Filters a person cannot use answer 400 with the form's messages."""
    data = _with_period(request.GET, today)
    data["kind"] = APPLICATION_KIND
    if locked is not None:
        data["unit"] = locked.code
    form = ApplicationStatsFilterForm(data, locked_unit=locked)
    overview: dict[str, Any] | None = None
    ratings = None
    if form.is_valid():
        try:
            flt = selectors.stats_application_filter_parse(data, user)
        except ValidationFailed as exc:
            for field, messages in (exc.fields or {"__all__": [exc.message]}).items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        except PermissionDenied as exc:
            return forbidden(request, str(exc.message))
        else:
            overview = selectors.stats_application_overview(user=user, flt=flt)
            ratings = evaluation_rates((flt.date_from, flt.date_to), unit=flt.unit)
    # Ratings per matter, where the evaluations app provides them.
    by_matter_ratings = getattr(ratings, "by_matter", None)
    context = {
        "form": form,
        "kind": APPLICATION_KIND,
        "locked_unit": locked,
        "overview": overview,
        "charts": _application_charts(overview) if overview is not None else None,
        "ratings": ratings,
        "by_matter_ratings": by_matter_ratings,
        "workorder_query": urlencode({k: str(data.get(k)) for k in ("period", "date_from", "date_to") if data.get(k)}),
        "top_matters": TOP_MATTERS,
    }
    return render(request, "stats/applications.html", context, status=200 if overview is not None else 400)


def _package_dashboard(request: HttpRequest, user: Any, locked: Unit | None, today: date) -> HttpResponse:
    """一件事 statistics: KPI tiles, the saving per package (average total working days against the parts' one after
    another) and the tables per package and per lead unit, from the selector the API answers with."""
    data = _with_period(request.GET, today)
    data["kind"] = PACKAGE_KIND
    if locked is not None:
        data["unit"] = locked.code
    form = PackageStatsFilterForm(data, locked_unit=locked)
    overview: dict[str, Any] | None = None
    if form.is_valid():
        try:
            flt = selectors.stats_package_filter_parse(data, user)
        except ValidationFailed as exc:
            for field, messages in (exc.fields or {"__all__": [exc.message]}).items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        except PermissionDenied as exc:
            return forbidden(request, str(exc.message))
        else:
            overview = selectors.stats_package_overview(user=user, flt=flt)
    chart = None
    if overview is not None:
        chart = pair_bars_svg(
            overview["by_package"],
            ("avg_total_days", "avg_sequential_days"),
            title=_("Total working days per package, against its parts one after another"),
            labels=(_("Average total working days"), _("Sum of the parts' working days")),
            unit_label=_("working days"),
        )
    # The export answers the same figures: it carries the filters the page was asked with.
    export_query = {key: str(data.get(key)) for key in PACKAGE_FILTER_KEYS if data.get(key)}
    context = {
        "form": form,
        "kind": PACKAGE_KIND,
        "locked_unit": locked,
        "overview": overview,
        "chart": chart,
        "stats_xlsx": _url("reports:stats_xlsx", "/reports/stats.xlsx"),
        "stats_query": urlencode({"kind": PACKAGE_KIND, **export_query}),
    }
    return render(request, "stats/packages.html", context, status=200 if overview is not None else 400)
