"""The package's own notices: one 受理通知书 listing the parts, one 一次性告知书 for everything missing across all
parts (each merged material once, with the matters that need it), one 不予受理通知书, and one result notice listing
each part's result. PDFs rendered as the applications' notices are (no network, the lead unit's seal), in Chinese in
every UI language: they are legal documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from govdesk.applications.notices import date_words, html_pdf, seal_svg

NUMBER_WORDS = {
    "acceptance": "一件事受理",
    "correction": "一件事补正",
    "refusal": "一件事不予受理",
    "result": "一件事结果",
}
TITLES = {
    "acceptance": "一件事受理通知书",
    "correction": "一件事一次性告知书",
    "refusal": "一件事不予受理通知书",
    "result": "一件事办理结果通知书",
}
NOT_SUBMITTED = "未提交"
# A part's state on the acceptance notice.
PART_ACCEPTED = "已受理"
PART_WAITING = "待前置事项办结后启动"
# A part's result, in the result notice's words.
RESULT_WORDS = {
    "approved": "准予办理",
    "denied": "不予准许",
    "refused": "不予受理",
    "cancelled": "未启动",
}


@dataclass(frozen=True)
class PackageNoticeContent:
    kind: str
    number: str
    issued_at: datetime
    issuer: str
    unit_name: str  # the lead unit's, whose seal the notice bears
    # Merged materials: received (acceptance) or to supply, {"code", "name", "problem", "matters"} (correction).
    materials: list[dict[str, str]] = field(default_factory=list)
    # Parts: {"matter", "unit", "number", "state"} (acceptance) or also "result", "reason", "notice" (result).
    parts: list[dict[str, str]] = field(default_factory=list)
    reason: str = ""
    due_at: datetime | None = None
    limit_days: int | None = None


def notice_html(*, package_application: Any, content: PackageNoticeContent) -> str:
    return render_to_string(
        "packages/notice.html",
        {
            "title": TITLES[content.kind],
            "kind": content.kind,
            "number": content.number,
            "package_application": package_application,
            "package_name": package_application.package_version.name,
            "submitted_on": date_words(package_application.created_at),
            "accepted_on": date_words(package_application.accepted_at),
            "issued_on": date_words(content.issued_at),
            "issued_at": timezone.localtime(content.issued_at).strftime("%Y-%m-%d %H:%M"),
            "issuer": content.issuer,
            "unit_name": content.unit_name,
            "materials": content.materials,
            "parts": content.parts,
            "reason": content.reason,
            "due_on": date_words(content.due_at),
            "limit_days": content.limit_days,
            "seal": seal_svg(content.unit_name),
        },
    )


def notice_pdf(*, package_application: Any, content: PackageNoticeContent) -> bytes:
    """The notice as PDF bytes, rendered inside the state change's transaction (a failure writes neither)."""
    return html_pdf(notice_html(package_application=package_application, content=content))
