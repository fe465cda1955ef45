"""Server-side SVG charts of the project pages: the Gantt timeline of one project and the portfolio's counts per type
and stage. Drawn from what the selectors read, no script, no network; every label is escaped here."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .portfolio_selectors import PortfolioCounts, TimelineStage

FONT = 'font-family="sans-serif" font-size="12"'
ON_TIME = "#1f6fb2"
PART = "#6fa8dc"
OVER = "#c0392b"
DEADLINE = "#333"
NOW = "#b8860b"
# One colour per stage number (cycled), then the completed projects.
STAGE_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948")
COMPLETED = "#bab0ac"


def _svg(width: int, height: int, title: str, body: list[str], testid: str) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="svg-chart" data-testid="{testid}"><title>{escape(title)}</title>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308  (every label in body is escaped)


def _day(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d")


def _clip(label: str, room: int) -> str:
    """Cut a label to about `room` pixels at 12 px (CJK characters square, Latin ones half as wide)."""
    used = 0
    out: list[str] = []
    for ch in label:
        used += 12 if ord(ch) > 0x2E80 else 7
        if used > room:
            return "".join(out) + "…"
        out.append(ch)
    return label


def gantt_svg(stages: list[TimelineStage], *, origin: datetime, now: datetime) -> SafeString:
    """One bar per stage from its acceptance (or opening) to done (or now), a dark tick at its deadline, red when it
    ran past it; under it one thinner bar per approval of the stage with its unit and deadline. A gold line marks
    today. A stage not yet open has its row with no bar."""
    width, left, right, top = 960, 300, 16, 24
    stage_row, part_row = 28, 20
    plot = width - left - right
    moments = [origin, now]
    for stage in stages:
        moments += [m for m in (stage.start, stage.end, stage.due) if m is not None]
        for part in stage.parts:
            moments += [m for m in (part.start, part.end, part.due) if m is not None]
    first, last = min(moments), max(moments)
    span = (last - first).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        return round(left + plot * (moment - first).total_seconds() / span, 1)

    body: list[str] = [
        f'<text x="{left}" y="14" {FONT}>{escape(_day(first))}</text>',
        f'<text x="{width - right}" y="14" text-anchor="end" {FONT}>{escape(_day(last))}</text>',
    ]
    y = top
    for stage in stages:
        label = f"{stage.no}. {stage.name}"
        body.append(f'<g class="gantt-stage" data-stage="{stage.no}" data-over="{int(stage.over)}">')
        body.append(f'<text x="4" y="{y + 17}" {FONT} font-weight="bold">{escape(_clip(label, left - 10))}</text>')
        if stage.start is not None and stage.end is not None:
            x0, x1 = x(stage.start), x(stage.end)
            tip = _("%(stage)s: %(status)s, deadline %(due)s") % {
                "stage": label,
                "status": stage.status_label,
                "due": _day(stage.due) if stage.due else "—",
            }
            body.append(
                f'<rect class="gantt-bar" x="{x0}" y="{y + 5}" width="{max(2.0, round(x1 - x0, 1))}" height="16" '
                f'rx="2" fill="{OVER if stage.over else ON_TIME}"><title>{escape(tip)}</title></rect>'
            )
        else:
            # Not open or not yet applied for: say so where its bar would be.
            body.append(f'<text x="{left + 4}" y="{y + 17}" {FONT} fill="#777">{escape(stage.status_label)}</text>')
        if stage.due is not None:
            body.append(
                f'<rect class="gantt-deadline" data-deadline="{escape(_day(stage.due))}" x="{x(stage.due) - 1}" '
                f'y="{y + 1}" width="2.5" height="24" fill="{DEADLINE}"></rect>'
            )
        body.append("</g>")
        y += stage_row
        for part in stage.parts:
            label = f"{part.matter_name} · {part.unit_name}"
            body.append(f'<g class="gantt-part" data-number="{escape(part.number)}" data-over="{int(part.over)}">')
            body.append(f'<text x="20" y="{y + 14}" {FONT}>{escape(_clip(label, left - 26))}</text>')
            if part.start is not None and part.end is not None:
                x0, x1 = x(part.start), x(part.end)
                tip = _("%(part)s: deadline %(due)s") % {"part": label, "due": _day(part.due) if part.due else "—"}
                body.append(
                    f'<rect x="{x0}" y="{y + 5}" width="{max(2.0, round(x1 - x0, 1))}" height="10" rx="2" '
                    f'fill="{OVER if part.over else PART}"><title>{escape(tip)}</title></rect>'
                )
            if part.due is not None:
                body.append(
                    f'<rect class="gantt-deadline" x="{x(part.due) - 1}" y="{y + 2}" width="2" height="16" '
                    f'fill="{DEADLINE}"></rect>'
                )
            body.append("</g>")
            y += part_row
    body.append(f'<rect x="{x(now) - 0.75}" y="{top - 6}" width="1.5" height="{y - top + 6}" fill="{NOW}"></rect>')
    return _svg(width, y + 6, _("Stages and approvals against their deadlines"), body, "gantt")


def portfolio_counts_svg(counts: PortfolioCounts) -> SafeString | None:
    """Per project type one stacked bar: the projects at each stage, then the completed ones; the total beside it."""
    if not counts.rows:
        return None
    width, left, right, row, top = 960, 260, 60, 28, 36
    plot = width - left - right
    peak = max(1, *(sum(r["stages"]) + r["completed"] for r in counts.rows))
    legend = [
        (_("Stage %(no)s") % {"no": no}, STAGE_COLOURS[i % len(STAGE_COLOURS)]) for i, no in enumerate(counts.stage_nos)
    ]
    legend.append((_("Completed"), COMPLETED))
    body: list[str] = []
    lx = left
    for label, colour in legend:
        body.append(f'<rect x="{lx}" y="6" width="12" height="12" fill="{colour}"/>')
        body.append(f'<text x="{lx + 16}" y="16" {FONT}>{escape(label)}</text>')
        lx += 30 + 12 * len(label)
    y = top
    for entry in counts.rows:
        body.append(f'<g data-type="{escape(entry["code"])}">')
        body.append(f'<text x="4" y="{y + 16}" {FONT}>{escape(_clip(entry["name"], left - 10))}</text>')
        x = float(left)
        segments = [
            *(
                (n, STAGE_COLOURS[i % len(STAGE_COLOURS)], _("Stage %(no)s") % {"no": no})
                for i, (no, n) in enumerate(zip(counts.stage_nos, entry["stages"], strict=True))
            ),
            (entry["completed"], COMPLETED, _("Completed")),
        ]
        for n, colour, label in segments:
            if not n:
                continue
            w = round(plot * n / peak, 1)
            body.append(
                f'<rect x="{round(x, 1)}" y="{y + 4}" width="{w}" height="18" fill="{colour}">'
                f"<title>{escape(label)}: {n}</title></rect>"
            )
            x += w
        body.append(f'<text x="{round(x, 1) + 6}" y="{y + 17}" {FONT}>{entry["total"]}</text>')
        body.append("</g>")
        y += row
    return _svg(width, y + 4, _("Projects per type and stage"), body, "portfolio-chart")
