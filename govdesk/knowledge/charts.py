"""The article page's SVG chart: how citizens rated the work orders answered from the article, one bar per level
(非常满意 … 非常不满意). Server-side, no script, no network; every label escaped here."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from govdesk.evaluations.models import Level

FONT = 'font-family="sans-serif" font-size="12"'
# Green for the satisfied levels, grey for "basically", red for the bad ones (1 and 2 are 差评).
LEVEL_COLOURS = {5: "#2e7d32", 4: "#66a85a", 3: "#b0b7c3", 2: "#e07b53", 1: "#c0392b"}


def ratings_svg(by_level: Mapping[int, int] | Mapping[str, int]) -> SafeString | None:
    """None when no answer from the article was rated yet (the page says so in words)."""
    given = {int(level): int(count or 0) for level, count in by_level.items()}
    counts = {level: given.get(level, 0) for level in LEVEL_COLOURS}
    total = sum(counts.values())
    if total == 0:
        return None
    width, left, right, top, row = 560, 110, 70, 8, 26
    plot = width - left - right
    largest = max(counts.values())
    body: list[str] = []
    y = top
    for level in sorted(LEVEL_COLOURS, reverse=True):
        count = counts[level]
        label = str(Level(level).label)
        bar = round(plot * count / largest, 1) if count else 0
        share = round(100 * count / total)
        tip = f"{label}: {count} ({share}%)"
        body.append(f'<g class="level-bar" data-level="{level}" data-count="{count}">')
        body.append(f'<text x="4" y="{y + 15}" {FONT}>{escape(label)}</text>')
        body.append(
            f'<rect x="{left}" y="{y + 3}" width="{bar}" height="16" fill="{LEVEL_COLOURS[level]}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        body.append(f'<text x="{left + bar + 6}" y="{y + 15}" {FONT}>{count}</text>')
        body.append("</g>")
        y += row
    title = _("Ratings of the orders answered from this article, by level")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {y + 6}" role="img" '
        f'aria-label="{escape(title)}" class="svg-chart" data-testid="ratings-chart">'
        f"<title>{escape(title)}</title>"
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308  (every label in body is escaped)
