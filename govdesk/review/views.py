"""The review pages: the years, a year's review with each figure's drill-down and the year-on-year comparison, the
documents to download, and the preview of a template. Leaders, supervisors and the system administrator read; units
and citizens do not (403). A year out of range or an unknown figure is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.common.pages import application_error_page, error_page, staff_page
from govdesk.org.models import Role

from .charts import yoy_bars_svg
from .figures import UnknownFigure, figure_get, figures_for_year
from .generator import (
    output_name,
    review_docx,
    review_for_year,
    review_paragraphs_html,
    review_pdf,
    segments_html,
    template_review,
)
from .models import ReviewTemplate
from .rendering import RenderedReview, TemplateError
from .selectors import figure_value_text, review_comparison, review_templates, review_year_valid, review_years
from .services import review_template_update

READERS = (Role.LEADER, Role.SUPERVISOR, Role.SYSADMIN)
EDITORS = (Role.SUPERVISOR, Role.SYSADMIN)
RECORDS_PER_PAGE = 50
DOWNLOADS = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
}


def _year(year: int) -> int:
    if not review_year_valid(year):
        raise Http404(_("There is no review for %(year)s.") % {"year": year})
    return year


def _review_context(review: RenderedReview) -> dict[str, object]:
    return {
        "year": review.year,
        "heading": segments_html(review.title, year=review.year, links=True),
        "paragraphs": review_paragraphs_html(review),
    }


@staff_page(*READERS)
def review_index(request: HttpRequest) -> HttpResponse:
    can_edit = request.user.has_role(*EDITORS)  # type: ignore[union-attr]
    return render(
        request,
        "review/index.html",
        {"years": review_years(), "templates": review_templates() if can_edit else [], "can_edit": can_edit},
    )


@staff_page(*READERS)
def review_year(request: HttpRequest, year: int) -> HttpResponse:
    _year(year)
    figures = figures_for_year(year)
    try:
        review = review_for_year(year, figures)
    except TemplateError as error:
        return error_page(request, str(error), 409)
    except ApplicationError as error:
        return application_error_page(request, error)
    comparison = review_comparison(year, figures)
    chart_rows = [(row.figure.label, row.yoy) for row in comparison if row.yoy is not None]
    return render(
        request,
        "review/year.html",
        {
            **_review_context(review),
            "comparison": comparison,
            "chart": yoy_bars_svg(chart_rows, title=_("Change against %(year)s") % {"year": year - 1})
            if chart_rows
            else None,
            "downloads": [(suffix.lstrip("."), output_name(year, suffix)) for suffix in DOWNLOADS],
        },
    )


@staff_page(*READERS)
def review_figure(request: HttpRequest, year: int, code: str) -> HttpResponse:
    _year(year)
    try:
        figure = figure_get(code, year)
    except UnknownFigure:
        raise Http404(_("There is no figure called %(code)s.") % {"code": code[:64]}) from None
    records: Any = figure.records()  # a RecordList: count() and slices, what Paginator reads
    page = Paginator(records, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/figure.html",
        {
            "year": year,
            "figure": figure,
            "value": figure_value_text(figure, figure.value),
            "last_year": figure_value_text(figure, figure.last_year),
            "counts": figure.counts(),
            "page": page,
        },
    )


@staff_page(*READERS)
def review_download(request: HttpRequest, year: int, filename: str) -> HttpResponse:
    _year(year)
    suffix = next((s for s in DOWNLOADS if filename == output_name(year, s)), None)
    if suffix is None:
        raise Http404(_("There is no such document."))
    try:
        review = review_for_year(year)
    except TemplateError as error:
        return error_page(request, str(error), 409)
    except ApplicationError as error:
        return application_error_page(request, error)
    content = review_docx(review) if suffix == ".docx" else review_pdf(review)
    response = HttpResponse(content, content_type=DOWNLOADS[suffix])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_page(*EDITORS)
def review_preview(request: HttpRequest, year: int, template_id: int) -> HttpResponse:
    """A template (active or not) rendered for `year`: what the review would say with it."""
    _year(year)
    template = get_object_or_404(ReviewTemplate, pk=template_id)
    try:
        review = template_review(template, year)
    except TemplateError as error:
        return error_page(request, str(error), 409)
    return render(request, "review/preview.html", {**_review_context(review), "template": template})


MAX_PARAGRAPHS = 60


def _posted_paragraphs(request: HttpRequest) -> list[dict[str, str]]:
    leads = request.POST.getlist("lead")[:MAX_PARAGRAPHS]
    texts = request.POST.getlist("text")[:MAX_PARAGRAPHS]
    rows = [{"heading": lead.strip(), "text": text.strip()} for lead, text in zip(leads, texts, strict=False)]
    return [row for row in rows if row["heading"] or row["text"]]


@staff_page(*EDITORS)
def review_template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    """The office edits a template's heading and paragraphs (the placeholders checked, named when wrong), then sees
    it previewed for last year."""
    template = get_object_or_404(ReviewTemplate, pk=template_id)
    heading = template.heading
    paragraphs = [{"heading": p.heading, "text": p.text} for p in template.paragraphs.order_by("order")]
    problems: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        heading = request.POST.get("heading", "").strip()[:200]
        paragraphs = _posted_paragraphs(request)
        try:
            review_template_update(template_id=template.pk, heading=heading, paragraphs=paragraphs, actor=request.user)
        except ValidationFailed as error:
            problems = {key: [str(text) for text in texts] for key, texts in (error.fields or {}).items()}
            status = 400
        else:
            messages.success(request, _("The template is saved."))
            return redirect("review:preview", timezone.localdate().year - 1, template.pk)
    rows = [
        {**row, "errors": problems.get(f"paragraphs.{n}.heading", []) + problems.get(f"paragraphs.{n}.text", [])}
        for n, row in enumerate([*paragraphs, {"heading": "", "text": ""}], start=1)
    ]
    return render(
        request,
        "review/template_edit.html",
        {"template": template, "heading": heading, "heading_errors": problems.get("heading", []), "rows": rows},
        status=status,
    )
