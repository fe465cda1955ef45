"""The annual work review written from the records: plain text, a Word document, a PDF and an HTML page.

The active template (models.ReviewTemplate) rendered for the year (rendering.py) is written four ways:
- `review_plain_text(year)`: the heading and the paragraphs separated by empty lines (what tests compare with the seed);
- `review_docx`: python-docx, a title, the section heading, one paragraph per paragraph with its lead in bold;
- `review_pdf`: the HTML below without links through the notices' renderer (`applications.notices.html_pdf`: WeasyPrint,
  nothing fetched but `data:` URLs), one CJK font face (no bold: the leads keep the regular face);
- `review_html`: one self-contained page (inline style, no script, no external resource); each figure a link
  `<a class="figure" data-figure="CODE" href="/review/<year>/figures/CODE/">` to its drill-down. The links are
  root-relative paths of the platform by default; `base_url` ("https://govdesk.example.gov.cn") makes them absolute,
  for a file read away from the platform.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from govdesk.common.errors import NotFound

from .figures import Figure
from .models import ReviewTemplate
from .rendering import RenderedReview, Segment, review_render

FONT_STACK = '"Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Zen Hei", serif'
DOCX_FONT = "Noto Serif CJK SC"
OUTPUT_SUFFIXES = (".docx", ".pdf", ".html")


def active_template() -> ReviewTemplate:
    template = ReviewTemplate.objects.filter(is_active=True).first()
    if template is None:
        raise NotFound(_("No review template is active."))
    return template


def template_review(template: ReviewTemplate, year: int, figures: Mapping[str, Figure] | None = None) -> RenderedReview:
    """`template` rendered for `year` (TemplateError naming a bad placeholder)."""
    paragraphs = [(p.heading, p.text) for p in template.paragraphs.order_by("order")]
    return review_render(year=year, heading=template.heading, paragraphs=paragraphs, figures=figures)


def review_for_year(year: int, figures: Mapping[str, Figure] | None = None) -> RenderedReview:
    """The active template rendered for `year` (with `figures` already computed for it, if any)."""
    return template_review(active_template(), year, figures)


def review_plain_text(year: int) -> str:
    """The review of `year` as plain text: its heading, then each paragraph (lead and text), separated by empty
    lines, as the seed's section 一 is laid out."""
    return review_for_year(year).plain_text()


def figure_url(year: int, code: str, *, base_url: str = "") -> str:
    return base_url.rstrip("/") + reverse("review:figure", args=(year, code))


def segments_html(segments: Iterable[Segment], *, year: int, links: bool, base_url: str = "") -> SafeString:
    """The segments as HTML: text escaped; a figure a link to its drill-down (or a span without links)."""
    parts: list[SafeString] = []
    for segment in segments:
        if not segment.figure:
            parts.append(format_html("{}", segment.text))
        elif links:
            parts.append(
                format_html(
                    '<a class="figure" data-figure="{}" href="{}">{}</a>',
                    segment.figure,
                    figure_url(year, segment.figure, base_url=base_url),
                    segment.text,
                )
            )
        else:
            parts.append(format_html('<span class="figure" data-figure="{}">{}</span>', segment.figure, segment.text))
    return format_html_join("", "{}", ((part,) for part in parts))


def review_paragraphs_html(review: RenderedReview, *, links: bool = True, base_url: str = "") -> list[dict[str, Any]]:
    return [
        {
            "heading": segments_html(paragraph.heading, year=review.year, links=links, base_url=base_url),
            "body": segments_html(paragraph.body, year=review.year, links=links, base_url=base_url),
        }
        for paragraph in review.paragraphs
    ]


def review_html(review: RenderedReview, *, links: bool = True, base_url: str = "") -> str:
    """The review as one self-contained HTML page."""
    return render_to_string(
        "review/document.html",
        {
            "title": _("%(year)s work review") % {"year": review.year},
            "heading": segments_html(review.title, year=review.year, links=links, base_url=base_url),
            "paragraphs": review_paragraphs_html(review, links=links, base_url=base_url),
            "font_stack": FONT_STACK,
            "links": links,
        },
    )


def review_pdf(review: RenderedReview) -> bytes:
    from govdesk.applications.notices import html_pdf

    return html_pdf(review_html(review, links=False))


def review_docx(review: RenderedReview) -> bytes:
    """The review as a Word document (python-docx): a title, the section heading, the paragraphs."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    for style_name in ("Normal", "Title", "Heading 1"):
        style = document.styles[style_name]
        style.font.name = DOCX_FONT
        # Word takes a CJK run's font from eastAsia, not from the name python-docx sets.
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), DOCX_FONT)
    document.styles["Normal"].font.size = Pt(12)
    document.core_properties.title = _("%(year)s work review") % {"year": review.year}
    document.add_heading(_("%(year)s work review") % {"year": review.year}, level=0)
    document.add_heading(review.title_text, level=1)
    for paragraph in review.paragraphs:
        written = document.add_paragraph()
        written.paragraph_format.first_line_indent = Pt(24)
        for segment in paragraph.heading:
            written.add_run(segment.text).bold = True
        for segment in paragraph.body:
            written.add_run(segment.text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def output_name(year: int, suffix: str) -> str:
    return f"work-review-{year}{suffix}"


def work_review_write(*, year: int, out_dir: Path, base_url: str = "") -> list[Path]:
    """Write `work-review-<year>.docx`, `.pdf` and `.html` into `out_dir` (created if missing); the three paths.

    Everything is rendered before anything is written, so a bad template leaves the directory as it was.
    """
    review = review_for_year(year)
    contents = {
        ".docx": review_docx(review),
        ".pdf": review_pdf(review),
        ".html": review_html(review, base_url=base_url).encode("utf-8"),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in OUTPUT_SUFFIXES:
        path = out_dir / output_name(year, suffix)
        path.write_bytes(contents[suffix])
        written.append(path)
    return written
