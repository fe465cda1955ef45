"""Server-side SVG charts of the application statistics page: drawn from the overview's figures, no script, no
network. Every label is escaped; numbers are formatted here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# One colour per step, in APPLICATION_STEPS order (acceptance, correction, unit, suspension, delivery).
STEP_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#bab0ac", "#b07aa1")
SERIES_COLOURS = ("#4e79a7", "#59a14f")
FONT = 'font-family="sans-serif" font-size="12"'


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="svg-chart"><title>{escape(title)}</title>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308  (every label above and in body is escaped)


def _text_width(label: str) -> int:
    """Roughly, at 12 px: CJK characters are square, Latin ones about half as wide."""
    return sum(12 if ord(ch) > 0x2E80 else 7 for ch in label)


def _legend(items: Sequence[tuple[str, str]], x: int, y: int, width: int) -> tuple[list[str], int]:
    """The legend's marks, wrapped onto as many lines as the width needs; returns them and the last line's y."""
    out = []
    start = x
    for label, colour in items:
        step = 30 + _text_width(label)
        if x + step > width and x > start:
            x, y = start, y + 18
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{y}" {FONT}>{escape(label)}</text>')
        x += step
    return out, y


def series_svg(series: list[dict[str, Any]], *, title: str, labels: tuple[str, str]) -> SafeString:
    """Received and decided per period, as pairs of columns."""
    width, height, left, bottom, top = 760, 240, 40, 36, 28
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max([1, *(max(p["received"], p["decided"]) for p in series)])
    body, _y = _legend(list(zip(labels, SERIES_COLOURS, strict=True)), left, 16, width)
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    body.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" {FONT}>{peak}</text>')
    slot = plot_w / max(1, len(series))
    bar = max(1.0, slot * 0.4)
    every = max(1, len(series) // 12)
    for i, point in enumerate(series):
        x0 = left + i * slot + slot * 0.1
        for j, key in enumerate(("received", "decided")):
            h = plot_h * point[key] / peak
            body.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{SERIES_COLOURS[j]}"><title>{escape(point["label"])} {escape(labels[j])}: '
                f"{point[key]}</title></rect>"
            )
        if i % every == 0:
            body.append(
                f'<text x="{x0 + bar:.1f}" y="{height - bottom + 16}" text-anchor="middle" {FONT}>'
                f"{escape(point['label'])}</text>"
            )
    return _svg(width, height, title, body)


def step_bars_svg(
    rows: list[dict[str, Any]], steps: list[dict[str, str]], *, title: str, hours_label: str
) -> SafeString:
    """Where applications wait: per row (a unit or a matter) one bar of the average hours in each step, stacked."""
    left, bar_h, gap, right = 180, 18, 8, 70
    width = 760
    body, legend_end = _legend(
        [(s["label"], STEP_COLOURS[i % len(STEP_COLOURS)]) for i, s in enumerate(steps)], 10, 16, width
    )
    top = legend_end + 16
    height = top + len(rows) * (bar_h + gap) + 10
    plot_w = width - left - right
    totals = [sum((r["steps"][s["key"]]["hours"] or 0) for s in steps) for r in rows]
    peak = max([1.0, *totals])
    for n, (row, total) in enumerate(zip(rows, totals, strict=True)):
        y = top + n * (bar_h + gap)
        name = row["name"] if len(row["name"]) <= 13 else row["name"][:12] + "…"
        body.append(
            f'<text x="{left - 6}" y="{y + bar_h - 4}" text-anchor="end" {FONT}><title>{escape(row["name"])}</title>'
            f"{escape(name)}</text>"
        )
        x = float(left)
        for i, step in enumerate(steps):
            colour = STEP_COLOURS[i % len(STEP_COLOURS)]
            figure = row["steps"][step["key"]]
            hours = figure["hours"] or 0
            w = plot_w * hours / peak
            if w <= 0:
                continue
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}">'
                f"<title>{escape(row['name'])} · {escape(step['label'])}: {hours:.1f} {escape(hours_label)} "
                f"(n={figure['count']})</title></rect>"
            )
            x += w
        body.append(f'<text x="{x + 6:.1f}" y="{y + bar_h - 4}" {FONT}>{total:.1f} {escape(hours_label)}</text>')
    return _svg(width, height, title, body)


PAIR_COLOURS = ("#4e79a7", "#bab0ac")


def pair_bars_svg(
    rows: list[dict[str, Any]], keys: tuple[str, str], *, title: str, labels: tuple[str, str], unit_label: str
) -> SafeString:
    """Per row two horizontal bars side by side (a package's average total days against the sum of its parts'
    days); rows whose figures are None (nothing decided) are left out."""
    rows = [r for r in rows if r[keys[0]] is not None and r[keys[1]] is not None]
    left, bar_h, gap, right, width = 180, 12, 10, 90, 760
    body, legend_end = _legend(list(zip(labels, PAIR_COLOURS, strict=True)), 10, 16, width)
    top = legend_end + 16
    height = top + max(1, len(rows)) * (2 * bar_h + gap) + 10
    plot_w = width - left - right
    peak = max([1.0, *(float(r[k]) for r in rows for k in keys)])
    for n, row in enumerate(rows):
        y = top + n * (2 * bar_h + gap)
        full = str(row["name"])
        name = full if len(full) <= 13 else full[:12] + "…"
        body.append(
            f'<text x="{left - 6}" y="{y + bar_h + 4}" text-anchor="end" {FONT}><title>{escape(full)}</title>'
            f"{escape(name)}</text>"
        )
        for i, key in enumerate(keys):
            value = float(row[key])
            w = plot_w * value / peak
            yy = y + i * bar_h
            body.append(
                f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar_h - 1}" fill="{PAIR_COLOURS[i]}">'
                f"<title>{escape(full)} · {escape(labels[i])}: {value:.2f} {escape(unit_label)}</title></rect>"
            )
            body.append(f'<text x="{left + w + 4:.1f}" y="{yy + bar_h - 2}" {FONT}>{value:.2f}</text>')
    return _svg(width, height, title, body)
