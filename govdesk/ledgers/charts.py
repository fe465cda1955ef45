"""Server-side SVG charts of the ledger pages: a ledger's main figure month by month. No script, no network; every
label is escaped here, numbers formatted here."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

FONT = 'font-family="sans-serif" font-size="11"'
BAR = "#4e79a7"


def number_text(value: Decimal | int) -> str:
    """12, 12.5, 1208.34: no trailing zeros, no exponent."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return format(number.quantize(Decimal(1)), "f")
    return format(number.normalize(), "f")


def monthly_bars_svg(values: Sequence[Decimal | int], *, title: str, measure: str, testid: str) -> SafeString:
    """Twelve columns, January to December, each with its value above it (empty months have no column)."""
    width, height, left, bottom, top = 360, 150, 8, 22, 18
    plot_w, plot_h = width - 2 * left, height - bottom - top
    peak = max([Decimal(1), *(Decimal(v) for v in values)])
    slot = plot_w / 12
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" y2="{top + plot_h}" stroke="#999"/>']
    for index, value in enumerate(values[:12]):
        month = index + 1
        x = left + index * slot + slot * 0.15
        label = _("Month %(month)d") % {"month": month}
        body.append(f'<text x="{x + slot * 0.35:.1f}" y="{height - 6}" text-anchor="middle" {FONT}>{month}</text>')
        if not value:
            continue
        h = float(plot_h * Decimal(value) / peak)
        text = number_text(value)
        body.append(
            f'<rect class="bar" data-month="{month}" data-value="{escape(text)}" x="{x:.1f}" '
            f'y="{top + plot_h - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{BAR}">'
            f"<title>{escape(label)}: {escape(text)} {escape(measure)}</title></rect>"
        )
        body.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle" {FONT}>'
            f"{escape(text)}</text>"
        )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="svg-chart" data-testid="{escape(testid)}"><title>{escape(title)}</title>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308  (every label in body is escaped)
