"""Small server-side SVG charts (bar, line, pie) for the printed reports: pure Python, no JavaScript, no network.

Every text goes through `xml.sax.saxutils.escape`, so labels taken from data (category names, unit names) cannot break
the markup. The font stack names the CJK fonts the PDF embeds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

FONT_FAMILY = "'Noto Sans CJK SC', 'WenQuanYi Zen Hei', sans-serif"
PALETTE = ("#2f6fb5", "#e07b39", "#3a9d5d", "#c2453d", "#7d5ba6", "#8c6d4f", "#d45f9e", "#6f7f8f", "#b5a01d", "#2aa5b5")
MAX_LABEL_CHARS = 10


def _num(value: float) -> str:
    """Coordinates with two decimals at most, without trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _short(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _nice_max(value: float) -> float:
    """The smallest 1/2/5 × 10^n at or above `value` (at least 1), for a readable axis."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))  # pragma: no cover - the loop always returns


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family={quoteattr(FONT_FAMILY)} font-size="11" role="img">'
    )
    parts = [head, f"<title>{escape(title)}</title>"]
    if title:
        parts.append(f'<text x="{width / 2:.0f}" y="16" text-anchor="middle" font-size="13">{escape(title)}</text>')
    return "".join([*parts, *body, "</svg>"])


def _text(x: float, y: float, label: str, *, anchor: str = "middle", size: int | None = None, extra: str = "") -> str:
    size_attr = f' font-size="{size}"' if size else ""
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"{size_attr}{extra}>{escape(label)}</text>'


def _axes(left: float, top: float, right: float, bottom: float, top_value: float) -> list[str]:
    out = []
    for i in range(5):
        value = top_value * i / 4
        y = bottom - (bottom - top) * i / 4
        out.append(f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(right)}" y2="{_num(y)}" stroke="#dddddd"/>')
        out.append(_text(left - 4, y + 4, _fmt(value), anchor="end", size=10))
    out.append(f'<line x1="{_num(left)}" y1="{_num(bottom)}" x2="{_num(right)}" y2="{_num(bottom)}" stroke="#666666"/>')
    return out


def bar_chart(
    items: Sequence[tuple[str, float]], *, title: str = "", width: int = 640, height: int = 260, color: str = PALETTE[0]
) -> str:
    """Vertical bars, one per (label, value), the value printed above each bar."""
    left, right, top, bottom = 44.0, width - 12.0, 28.0, height - 48.0
    top_value = _nice_max(max((v for _l, v in items), default=0))
    body = _axes(left, top, right, bottom, top_value)
    count = max(len(items), 1)
    slot = (right - left) / count
    bar = max(slot * 0.6, 1.0)
    rotate = count > 8
    for i, (label, value) in enumerate(items):
        h = (bottom - top) * (max(value, 0) / top_value)
        x = left + slot * i + (slot - bar) / 2
        body.append(
            f'<rect x="{_num(x)}" y="{_num(bottom - h)}" width="{_num(bar)}" height="{_num(h)}" fill="{color}"/>'
        )
        body.append(_text(x + bar / 2, bottom - h - 3, _fmt(value), size=9))
        cx = x + bar / 2
        if rotate:
            body.append(
                _text(
                    cx,
                    bottom + 12,
                    _short(label),
                    anchor="end",
                    size=9,
                    extra=f' transform="rotate(-35 {_num(cx)} {_num(bottom + 12)})"',
                )
            )
        else:
            body.append(_text(cx, bottom + 14, _short(label), size=10))
    return _svg(width, height, title, body)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str = "",
    width: int = 640,
    height: int = 260,
) -> str:
    """One polyline per (name, values) over shared x labels, with a legend; at most ~12 x labels are printed."""
    left, right, top, bottom = 44.0, width - 12.0, 40.0, height - 36.0
    top_value = _nice_max(max((v for _n, values in series for v in values), default=0))
    body = _axes(left, top, right, bottom, top_value)
    n = len(labels)
    step = (right - left) / max(n - 1, 1)
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            body.append(_text(left + step * i, bottom + 14, label, size=9))
    for s, (name, values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        points = " ".join(
            f"{_num(left + step * i)},{_num(bottom - (bottom - top) * max(v, 0) / top_value)}"
            for i, v in enumerate(values)
        )
        if points:
            body.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
        lx = left + s * 110
        body.append(f'<rect x="{_num(lx)}" y="24" width="12" height="8" fill="{color}"/>')
        body.append(_text(lx + 16, 32, name, anchor="start", size=10))
    return _svg(width, height, title, body)


def pie_chart(
    items: Sequence[tuple[str, float]], *, title: str = "", width: int = 420, height: int = 260, max_slices: int = 8
) -> str:
    """The largest `max_slices - 1` items and one "其他" slice for the rest, with a legend and percentages."""
    positive = sorted(((label, float(v)) for label, v in items if v > 0), key=lambda item: -item[1])
    if len(positive) > max_slices:
        rest = sum(v for _l, v in positive[max_slices - 1 :])
        positive = [*positive[: max_slices - 1], ("其他", rest)]
    total = sum(v for _l, v in positive)
    # The pie on the left, the legend (label, count, share) in the rest of the width.
    r = max(min(height / 2 - 24, width * 0.22), 10.0)
    cx, cy = r + 10, height / 2 + 8
    legend_x = 2 * r + 28
    body: list[str] = []
    if total <= 0:
        body.append(f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" fill="#eeeeee"/>')
        body.append(_text(cx, cy + 4, "无数据"))
        return _svg(width, height, title, body)
    angle = -math.pi / 2
    for i, (label, value) in enumerate(positive):
        color = PALETTE[i % len(PALETTE)]
        share = value / total
        if share >= 0.9999:
            body.append(f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" fill="{color}"/>')
        else:
            end = angle + share * 2 * math.pi
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            large = 1 if share > 0.5 else 0
            path = (
                f"M{_num(cx)},{_num(cy)} L{_num(x1)},{_num(y1)} "
                f"A{_num(r)},{_num(r)} 0 {large} 1 {_num(x2)},{_num(y2)} Z"
            )
            body.append(f'<path d="{path}" fill="{color}" stroke="#ffffff" stroke-width="1"/>')
            angle = end
        ly = 40 + i * 20
        body.append(f'<rect x="{_num(legend_x)}" y="{ly - 9}" width="12" height="10" fill="{color}"/>')
        legend = f"{_short(label, 8)} {value:g}（{share * 100:.1f}%）"
        body.append(_text(legend_x + 16, ly, legend, anchor="start", size=10))
    return _svg(width, height, title, body)
