"""The notices an application's state changes issue (行政许可法 第32条, 第38条): PDFs in Chinese, numbered, dated and
sealed with the unit's seal, drawn here as inline SVG.

Rendered like the monthly report (`reports/pdf.py`): a Django template to HTML, WeasyPrint with fonts from the system
and a URL fetcher that refuses everything but `data:` URLs, so a notice never reaches any server whatever the data
holds. The texts are the legal documents' own wording, so they are Chinese in every UI language.
"""

from __future__ import annotations

import gc
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

# The number's word per kind: 受理 / 补正 / 不予受理 / 决定, as in "受理〔2026〕000012号".
NUMBER_WORDS = {"acceptance": "受理", "correction": "补正", "refusal": "不予受理", "result": "决定"}
TITLES = {
    "acceptance": "受理通知书",
    "correction": "一次性告知书",
    "refusal": "不予受理通知书",
    "result": "办理结果通知书",
}
SEAL_RED = "#d0021b"
# The seal's lettering is 宋体 (国发〔1999〕25号 prescribes it for seals): the document's own serif font. Left
# unset, the SVG text took the system's default CJK font (Noto Sans CJK JP on Debian: Japanese glyph forms), a third
# font embedded in every notice: ~40 KB and ~12% of the render time (docs/benchmarks.md, "Applications").
SEAL_FONT = "'Noto Serif CJK SC', 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', serif"
# A correction notice's line for a material never handed in (the document's own words, see above).
NOT_SUBMITTED = "未提交"


def seal_svg(unit_name: str, *, size: int = 150) -> SafeString:
    """A round official seal: red ring, five-pointed star, the unit's name along the upper arc (each character placed
    and turned by hand, so no renderer's support for textPath is needed)."""
    c = size / 2
    ring = c - 4
    star_outer, star_inner = size * 0.15, size * 0.06
    points = []
    for i in range(10):
        radius = star_outer if i % 2 == 0 else star_inner
        angle = math.radians(-90 + i * 36)
        points.append(f"{c + radius * math.cos(angle):.2f},{c + radius * math.sin(angle):.2f}")
    chars = list(unit_name.strip())[:24] or [" "]
    font = size * (0.13 if len(chars) <= 10 else 0.10)
    text_radius = ring - font * 0.95
    span = min(250.0, max(60.0, len(chars) * font / text_radius * 180 / math.pi * 1.15))
    glyphs = []
    for i, ch in enumerate(chars):
        angle = -90.0 if len(chars) == 1 else -90 - span / 2 + i * span / (len(chars) - 1)
        x = c + text_radius * math.cos(math.radians(angle))
        y = c + text_radius * math.sin(math.radians(angle))
        glyphs.append(
            f'<text x="{x:.2f}" y="{y:.2f}" transform="rotate({angle + 90:.2f} {x:.2f} {y:.2f})" '
            f'text-anchor="middle" dominant-baseline="central" font-family="{SEAL_FONT}" font-size="{font:.1f}" '
            f'fill="{SEAL_RED}">'
            f"{escape(ch)}</text>"
        )
    markup = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        f'class="seal" opacity="0.85">'
        f'<circle cx="{c}" cy="{c}" r="{ring}" fill="none" stroke="{SEAL_RED}" stroke-width="{size * 0.03:.2f}"/>'
        f'<polygon points="{" ".join(points)}" fill="{SEAL_RED}"/>'
        f"{''.join(glyphs)}</svg>"
    )
    # Every piece of text in the markup went through escape() above; the rest is ours.
    return mark_safe(markup)  # noqa: S308


@dataclass(frozen=True)
class NoticeContent:
    """What a notice says beyond the application itself."""

    kind: str
    number: str
    issued_at: datetime
    issuer: str  # the clerk or handler who issued it
    unit_name: str
    # Materials: accepted (acceptance) or to supply, each {"code", "name", "problem"} (correction).
    materials: list[dict[str, str]]
    reason: str = ""
    approved: bool | None = None
    due_at: datetime | None = None
    limit_days: int | None = None


def _date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日"


def notice_html(*, application: Any, content: NoticeContent) -> str:
    return render_to_string(
        "applications/notice.html",
        {
            "title": TITLES[content.kind],
            "kind": content.kind,
            "number": content.number,
            "application": application,
            "matter_name": application.matter_version.name,
            "submitted_on": _date(application.created_at),
            "accepted_on": _date(application.accepted_at),
            "issued_on": _date(content.issued_at),
            "issued_at": timezone.localtime(content.issued_at).strftime("%Y-%m-%d %H:%M"),
            "issuer": content.issuer,
            "unit_name": content.unit_name,
            "materials": content.materials,
            "reason": content.reason,
            "approved": content.approved,
            "due_on": _date(content.due_at),
            "limit_days": content.limit_days,
            "seal": seal_svg(content.unit_name),
        },
    )


def _local_only_fetcher() -> Any:
    # Imported here: WeasyPrint takes over a second to import, and only the PDF needs it.
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data"}, timeout=1, allow_redirects=False)

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"refused (notices never fetch URLs): {url[:80]}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher()


def notice_pdf(*, application: Any, content: NoticeContent) -> bytes:
    """The notice as PDF bytes. Services call it inside the state change's transaction: if it fails, neither the
    state change nor the notice is written."""
    return html_pdf(notice_html(application=application, content=content))


def html_pdf(html: str) -> bytes:
    """A notice's HTML as PDF bytes, fetching nothing but `data:` URLs (also the package notices' renderer)."""
    from weasyprint import HTML

    pdf = HTML(string=html, url_fetcher=_local_only_fetcher()).write_pdf()
    assert pdf is not None
    _renderer_heap_settle()
    return bytes(pdf)


_RENDERER_LOADED = threading.Event()


def _renderer_heap_settle() -> None:
    # The first notice loads WeasyPrint and the CJK fonts: a large heap that lives as long as the process. Left in the
    # collector's care, every full collection walks it again, a 200-280 ms pause that lands on whichever state change
    # renders a notice next (a package's fan-out: p95 385 -> 210 ms; docs/benchmarks.md). Once loaded, it is moved to
    # the permanent generation (garbage collected first, so only what is alive is kept).
    if _RENDERER_LOADED.is_set():
        return
    _RENDERER_LOADED.set()
    gc.collect()
    gc.freeze()


def date_words(moment: datetime | None) -> str:
    """2026年11月3日, as the notices write dates."""
    return _date(moment)
