"""Review templates: placeholders in the text, checked and rendered for a year.

A placeholder is `{{code}}`, `{{code|format}}` or `{{code.part|format}}`:
- `code`: a figure of the registry (figures.py), or `year` (the review's year, written as digits: 2022);
- `part`: what of the figure: `value` (the default), `yoy` (the change against last year, a ratio), `last_year`,
  `rank_city`, `rank_province`;
- `format`: one of numbers.FORMATS (`plain` by default).
Everything outside the placeholders is text and stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from govdesk.review.figures import FIGURE_PARTS, FIGURES, Figure, figure_get
from govdesk.review.numbers import FORMATS, FormatError, number_format

YEAR = "year"
PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<code>[A-Za-z0-9_]+)(?:\.(?P<part>[A-Za-z_]+))?\s*(?:\|\s*(?P<format>[A-Za-z_]+)\s*)?\}\}"
)


class TemplateError(ValueError):
    """A template that cannot be rendered: the message names the placeholder and what is wrong with it."""


@dataclass(frozen=True)
class Placeholder:
    code: str
    part: str
    format: str
    source: str  # as written, for messages


@dataclass(frozen=True)
class Segment:
    """A piece of rendered text: plain text, or a figure (its code and part) written in its format."""

    text: str
    figure: str = ""
    part: str = ""


@dataclass(frozen=True)
class RenderedParagraph:
    heading: tuple[Segment, ...]
    body: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return segments_text(self.heading) + segments_text(self.body)


@dataclass(frozen=True)
class RenderedReview:
    year: int
    title: tuple[Segment, ...]
    paragraphs: tuple[RenderedParagraph, ...]
    figures: Mapping[str, Figure]

    @property
    def title_text(self) -> str:
        return segments_text(self.title)

    def plain_text(self) -> str:
        """The title and the paragraphs, separated by empty lines, as the seed's text is laid out."""
        return "\n\n".join([self.title_text, *(paragraph.text for paragraph in self.paragraphs)]) + "\n"


def segments_text(segments: Iterable[Segment]) -> str:
    return "".join(segment.text for segment in segments)


def _split(text: str) -> list[str | Placeholder]:
    """The text cut into plain pieces and placeholders, refusing malformed or unknown ones."""
    pieces: list[str | Placeholder] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        pieces.append(text[position : match.start()])
        code, part, fmt = match["code"], match["part"] or "value", match["format"] or "plain"
        source = match.group(0)
        if code != YEAR and code not in FIGURES:
            raise TemplateError(
                gettext("Unknown figure “%(code)s” in %(placeholder)s.") % {"code": code, "placeholder": source}
            )
        if part not in FIGURE_PARTS or (code == YEAR and part != "value"):
            raise TemplateError(
                gettext("Unknown part “%(part)s” of a figure in %(placeholder)s.")
                % {"part": part, "placeholder": source}
            )
        if fmt not in FORMATS:
            raise TemplateError(
                gettext("Unknown format “%(format)s” in %(placeholder)s.") % {"format": fmt, "placeholder": source}
            )
        pieces.append(Placeholder(code=code, part=part, format=fmt, source=source))
        position = match.end()
    pieces.append(text[position:])
    for piece in pieces:
        if isinstance(piece, str) and ("{{" in piece or "}}" in piece):
            start = max(piece.find("{{"), 0)
            raise TemplateError(
                gettext("A placeholder is not written as {{code}} or {{code|format}}: “%(text)s”.")
                % {"text": piece[start : start + 40]}
            )
    return pieces


def template_placeholders(text: str) -> list[Placeholder]:
    """The placeholders of `text`; TemplateError naming the first unknown figure, part or format."""
    return [piece for piece in _split(text) if isinstance(piece, Placeholder)]


def placeholder_render(placeholder: Placeholder, figure: Figure | None, year: int) -> str:
    if placeholder.code == YEAR:
        return number_format(year, placeholder.format) if placeholder.format != "plain" else str(year)
    assert figure is not None
    value = figure.part(placeholder.part)
    if value is None:
        return gettext("[no data: %(figure)s]") % {"figure": figure.label}
    try:
        return number_format(value, placeholder.format, figure.measure)
    except FormatError as error:
        raise TemplateError(
            gettext("%(placeholder)s cannot be written for %(year)s: %(error)s")
            % {"placeholder": placeholder.source, "year": year, "error": error}
        ) from error


def text_render(text: str, year: int, figures: Mapping[str, Figure]) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    for piece in _split(text):
        if isinstance(piece, str):
            if piece:
                segments.append(Segment(piece))
        elif piece.code == YEAR:
            segments.append(Segment(placeholder_render(piece, None, year)))
        else:
            segments.append(
                Segment(placeholder_render(piece, figures[piece.code], year), figure=piece.code, part=piece.part)
            )
    return tuple(segments)


def review_render(
    *, year: int, heading: str, paragraphs: Iterable[tuple[str, str]], figures: Mapping[str, Figure] | None = None
) -> RenderedReview:
    """The template (its heading and (heading, text) paragraphs) rendered for `year` over the records.

    Checks every placeholder first (TemplateError naming it), then computes each figure the template uses once
    (unless `figures`, already computed for the year, holds it).
    """
    paragraph_list = list(paragraphs)
    codes: set[str] = set()
    for text in [heading, *(part for pair in paragraph_list for part in pair)]:
        codes.update(p.code for p in template_placeholders(text) if p.code != YEAR)
    known = figures or {}
    used = {code: known[code] if code in known else figure_get(code, year) for code in FIGURES if code in codes}
    return RenderedReview(
        year=year,
        title=text_render(heading, year, used),
        paragraphs=tuple(
            RenderedParagraph(heading=text_render(lead, year, used), body=text_render(body, year, used))
            for lead, body in paragraph_list
        ),
        figures=used,
    )


def template_texts_check(texts: Iterable[Any]) -> None:
    """TemplateError for the first text with a bad placeholder."""
    for text in texts:
        template_placeholders(str(text or ""))
