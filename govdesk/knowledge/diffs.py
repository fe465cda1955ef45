"""What changed between two versions of an article (a draft against the published version, or one published version
against the one before): per field, and for the texts character by character, since Chinese has no spaces to diff
words by. Pure Python: the pages draw the segments as <del>/<ins>, escaped by the template."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from django.utils.translation import gettext_lazy as _

# (attribute, label) in the order the pages show them.
DIFF_FIELDS: tuple[tuple[str, Any], ...] = (
    ("title", _("Question")),
    ("answer", _("Answer")),
    ("policy_basis", _("Policy basis")),
    ("area", _("Area it applies to")),
    ("valid_from", _("Valid from")),
    ("valid_to", _("Valid to")),
    ("tags", _("Tags")),
)
TEXT_FIELDS = frozenset({"title", "answer", "policy_basis"})


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: str
    after: str
    # ("equal" | "delete" | "insert", text) in reading order; only for the long texts.
    segments: list[tuple[str, str]] = field(default_factory=list)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def text_segments(before: str, after: str) -> list[tuple[str, str]]:
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("equal", before[i1:i2]))
            continue
        if i2 > i1:
            segments.append(("delete", before[i1:i2]))
        if j2 > j1:
            segments.append(("insert", after[j1:j2]))
    return segments


def changes_between(before: Any | None, after: Any) -> list[FieldChange]:
    """The fields of `after` that differ from `before` (every filled field when there is no `before`)."""
    changes: list[FieldChange] = []
    for name, label in DIFF_FIELDS:
        old = _shown(getattr(before, name, None)) if before is not None else ""
        new = _shown(getattr(after, name, None))
        if old == new:
            continue
        segments = text_segments(old, new) if name in TEXT_FIELDS and old and new else []
        changes.append(FieldChange(name=name, label=str(label), before=old, after=new, segments=segments))
    return changes
