"""The year-on-year chart of the review page: one horizontal bar per figure, its change against last year in per
cent, growth to the right of the zero line and decline to the left. Server-side SVG, every text escaped."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe

FONT_FAMILY = "'Noto Sans CJK SC', 'WenQuanYi Zen Hei', sans-serif"
GROWTH, DECLINE = "#2f6fb5", "#c2453d"
ROW, LABEL_WIDTH, BAR_WIDTH, MARGIN = 22, 230, 420, 70
LABEL_CHARS = 16


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def yoy_bars_svg(rows: Sequence[tuple[str, Decimal]], *, title: str) -> SafeString:
    """`rows`: (label, change as a ratio: 0.064 for +6.4 %). Bars scaled to the largest change (at most ±200 %)."""
    width = LABEL_WIDTH + BAR_WIDTH + MARGIN
    height = 30 + ROW * max(len(rows), 1)
    limit = max([min(abs(float(change)), 2.0) for _label, change in rows] + [0.05])
    zero = LABEL_WIDTH + BAR_WIDTH / 2
    scale = BAR_WIDTH / 2 / limit
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family={quoteattr(FONT_FAMILY)} font-size="11" role="img" class="yoy-chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{zero:.1f}" y1="20" x2="{zero:.1f}" y2="{height - 4}" stroke="#888"/>',
    ]
    for index, (label, change) in enumerate(rows):
        y = 24 + index * ROW
        ratio = max(min(float(change), 2.0), -2.0)
        length = abs(ratio) * scale
        x = zero if ratio >= 0 else zero - length
        colour = GROWTH if ratio >= 0 else DECLINE
        percent = f"{float(change) * 100:+.1f}%"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(length, 1):.1f}" height="{ROW - 8}" fill="{colour}">'
            f"<title>{escape(label)} {escape(percent)}</title></rect>"
            f'<text x="{(x + length + 4) if ratio >= 0 else (x - 4):.1f}" y="{y + 13}" '
            f'text-anchor="{"start" if ratio >= 0 else "end"}">{escape(percent)}</text>'
        )
    parts.append("</svg>")
    # Every text above went through escape(); the rest is ours.
    return mark_safe("".join(parts))  # noqa: S308
