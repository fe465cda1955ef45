"""The reporting index's SVG chart: one stacked bar per task, its units' reports accepted, submitted (waiting for
the office), still with the unit, and overdue. Server-side, no script, no network; every label escaped here."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .selectors import TaskProgress

FONT = 'font-family="sans-serif" font-size="12"'
# (attribute, colour, legend label): accepted, waiting for the office, with the unit in time, overdue.
ACCEPTED = "#2e7d32"
SUBMITTED = "#1f6fb2"
WAITING = "#b0b7c3"
OVERDUE = "#c0392b"


def _clip(label: str, room: int) -> str:
    used = 0
    out: list[str] = []
    for ch in label:
        used += 12 if ord(ch) > 0x2E80 else 7
        if used > room:
            return "".join(out) + "…"
        out.append(ch)
    return label


def task_progress_svg(tasks: list[TaskProgress]) -> SafeString | None:
    """None when there is no task (the page says so in words)."""
    if not tasks:
        return None
    width, left, right, top, row = 960, 300, 60, 34, 26
    plot = width - left - right
    legend = [
        (ACCEPTED, pgettext("report", "Accepted")),
        (SUBMITTED, pgettext("report", "Awaiting review")),
        (WAITING, pgettext("report", "With the unit")),
        (OVERDUE, pgettext("report", "Overdue")),
    ]
    body: list[str] = []
    x = left
    for colour, label in legend:
        body.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"></rect>')
        body.append(f'<text x="{x + 16}" y="16" {FONT}>{escape(label)}</text>')
        x += 24 + 13 * len(str(label))
    y = top
    for progress in tasks:
        total = max(progress.units, 1)
        in_time = progress.waiting - progress.overdue
        parts = [
            ("accepted", progress.accepted, ACCEPTED),
            ("submitted", progress.submitted, SUBMITTED),
            ("waiting", in_time, WAITING),
            ("overdue", progress.overdue, OVERDUE),
        ]
        title = f"{progress.task.title}"
        body.append(
            f'<g class="task-bar" data-task="{progress.task.pk}" data-accepted="{progress.accepted}" '
            f'data-submitted="{progress.submitted}" data-overdue="{progress.overdue}" data-units="{progress.units}">'
        )
        body.append(f'<text x="4" y="{y + 15}" {FONT}>{escape(_clip(title, left - 10))}</text>')
        x0 = float(left)
        for name, count, colour in parts:
            if count <= 0:
                continue
            w = round(plot * count / total, 1)
            tip = f"{title}: {count}"
            body.append(
                f'<rect class="seg-{name}" x="{round(x0, 1)}" y="{y + 3}" width="{w}" height="16" fill="{colour}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            x0 += w
        done = _("%(done)d/%(units)d accepted") % {"done": progress.accepted, "units": progress.units}
        body.append(f'<text x="{width - right + 4}" y="{y + 15}" {FONT}>{escape(done)}</text>')
        body.append("</g>")
        y += row
    title = _("Reports per task: accepted, awaiting review, with the unit, overdue")
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width + 60} {y + 6}" role="img" '
        f'aria-label="{escape(title)}" class="svg-chart" data-testid="reporting-progress">'
        f"<title>{escape(title)}</title>"
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308  (every label in body is escaped)
