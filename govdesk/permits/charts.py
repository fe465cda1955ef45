"""The registry's chart: permits issued per month, stacked by issuing unit; server-side SVG (no script, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass

from .selectors import MonthlyCounts

# Colour-blind-safe (Okabe–Ito), one per unit shown; the last for "other units".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 600, 180, 10, 24, 30


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]  # (x of the column's centre, "11"), under each month's column
    legend: list[tuple[str, str]]  # (colour, unit name)
    top: int  # the largest month's total, written beside the axis
    total: int


def monthly_chart(counts: MonthlyCounts) -> Chart:
    months = len(counts.months)
    totals = [sum(row[m] for row in counts.counts) for m in range(months)]
    top = max(totals, default=0)
    plot_height = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT) / max(months, 1)
    bars = []
    for m, month in enumerate(counts.months):
        base = float(HEIGHT - BOTTOM)
        for u, unit in enumerate(counts.units):
            n = counts.counts[u][m]
            if not n or not top:
                continue
            height = plot_height * n / top
            base -= height
            colour = PALETTE[min(u, len(PALETTE) - 1)]
            bars.append(Bar(LEFT + m * step + step * 0.15, base, step * 0.7, height, colour, f"{month} {unit}: {n}"))
    labels = [(LEFT + m * step + step / 2, month[5:]) for m, month in enumerate(counts.months)]
    legend = [(PALETTE[min(u, len(PALETTE) - 1)], unit) for u, unit in enumerate(counts.units)]
    return Chart(WIDTH, HEIGHT, bars, labels, legend, top, sum(totals))
