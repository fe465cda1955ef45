"""Public guide pages of the packages (一件事办事指南): the list by life event and one guide for the whole event; no
login, printable, readable on a phone."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from govdesk.common.errors import NotFound

from . import selectors
from .models import LifeEvent

GUIDE_PAGE_SIZE = 40
BAR_COLOURS = ("#59a14f", "#bab0ac")


def saving_bars_svg(*, title: str, rows: list[tuple[str, int, str]]) -> SafeString:
    """Horizontal bars comparing the package with applying for each matter separately (days, visits): server-side
    SVG, no script. `rows`: (label, value, value text). Every label is escaped."""
    width, bar_left, row_height = 520, 150, 30
    largest = max([value for _label, value, _text in rows] + [1])
    body = []
    for index, (label, value, text) in enumerate(rows):
        y = 8 + index * row_height
        length = max(2, round((width - bar_left - 90) * value / largest))
        colour = BAR_COLOURS[index % len(BAR_COLOURS)]
        body.append(
            f'<text x="{bar_left - 8}" y="{y + 15}" text-anchor="end" font-family="sans-serif" font-size="12">'
            f"{escape(label)}</text>"
            f'<rect x="{bar_left}" y="{y}" width="{length}" height="20" fill="{colour}" rx="2"></rect>'
            f'<text x="{bar_left + length + 6}" y="{y + 15}" font-family="sans-serif" font-size="12">'
            f"{escape(text)}</text>"
        )
    height = 16 + row_height * len(rows)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="svg-chart"><title>{escape(title)}</title>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308  (every label above is escaped)


@require_GET
def guide_list(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:50]
    life_event = (request.GET.get("event") or "").strip()[:24]
    if life_event not in LifeEvent.values:
        life_event = ""
    packages = selectors.package_list(q=query, life_event=life_event)
    page = Paginator(packages, GUIDE_PAGE_SIZE).get_page(request.GET.get("page"))
    groups: dict[str, list[object]] = {}
    for package in page.object_list:
        groups.setdefault(package.life_event, []).append(package)
    labels = dict(LifeEvent.choices)
    return render(
        request,
        "packages/guide/list.html",
        {
            "page": page,
            "q": query,
            "event": life_event,
            "events": selectors.life_events_with_counts(),
            # Grouped by life event in the LifeEvent order, so a citizen finds "birth" or "opening a business".
            "groups": [(value, labels[value], groups[value]) for value in LifeEvent.values if value in groups],
        },
    )


@require_GET
def guide_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        guide = selectors.package_guide(code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    version = guide.version
    days_chart = saving_bars_svg(
        title=_("Time: the package against each matter applied for one after another"),
        rows=[
            (
                _("This package"),
                version.promised_limit_days,
                _("%(days)d working days") % {"days": version.promised_limit_days},
            ),
            (_("Separately"), guide.sum_limit_days, _("%(days)d working days") % {"days": guide.sum_limit_days}),
        ],
    )
    visits_chart = saving_bars_svg(
        title=_("Visits to the hall: the package against each matter separately"),
        rows=[
            (_("This package"), guide.visits, _("%(count)d visits") % {"count": guide.visits}),
            (_("Separately"), guide.sum_visits, _("%(count)d visits") % {"count": guide.sum_visits}),
        ],
    )
    return render(
        request,
        "packages/guide/detail.html",
        {
            "guide": guide,
            "version": version,
            "package": version.package,
            "life_event_label": LifeEvent(version.life_event).label,
            "days_chart": days_chart,
            "visits_chart": visits_chart,
            "days_saved": max(0, guide.sum_limit_days - version.promised_limit_days),
            "visits_saved": max(0, guide.sum_visits - guide.visits),
            "forms_saved": max(0, len(guide.items) - 1),
        },
    )
