"""Imports of catalogue data from files. Each is a dry run unless `commit` is true."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from govdesk.calendar.core import LimitUnit
from govdesk.common.errors import ValidationFailed
from govdesk.org.models import Unit

from .models import Category, DispatchRule, RequestType, TimeLimitPolicy, Urgency


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    committed: bool


def _rows(text: str, expected: list[str]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in expected if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(_("The file lacks the columns: %(cols)s.") % {"cols": ", ".join(missing)})
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def category_tree_import(*, text: str, commit: bool) -> ImportResult:
    """Import a tree from CSV `level1,level2,level3` (level3 may be empty for shorter branches)."""
    rows = _rows(text, ["level1", "level2", "level3"])
    wanted: dict[str, tuple[str, int]] = {}
    for lineno, row in enumerate(rows, start=2):
        names = [row["level1"], row["level2"], row["level3"]]
        if not names[0]:
            raise ValidationFailed(_("Line %(n)d: level1 is empty.") % {"n": lineno})
        if not names[1] and names[2]:
            raise ValidationFailed(_("Line %(n)d: level3 without level2.") % {"n": lineno})
        for depth in range(1, 4):
            part = names[:depth]
            if not part[-1]:
                break
            if any("/" in n for n in part):
                raise ValidationFailed(_("Line %(n)d: names must not contain '/'.") % {"n": lineno})
            wanted.setdefault("/".join(part), (part[-1], depth))
    existing = set(Category.objects.filter(path__in=wanted).values_list("path", flat=True))
    result = ImportResult(created=len(wanted) - len(existing), updated=0, unchanged=len(existing), committed=commit)
    if commit:
        with transaction.atomic():
            by_path = {c.path: c for c in Category.objects.filter(path__in=wanted)}
            for order, (path, (name, depth)) in enumerate(wanted.items()):
                if path in by_path:
                    continue
                parent = by_path.get(path.rsplit("/", 1)[0]) if depth > 1 else None
                by_path[path] = Category.objects.create(
                    parent=parent, name=name, level=depth, path=path, sort_order=order
                )
    return result


def dispatch_rules_import(*, text: str, commit: bool) -> ImportResult:
    """Import the dispatch catalogue from CSV `category,unit_code,by_place` (category as a path, by_place 1/0)."""
    rows = _rows(text, ["category", "unit_code"])
    categories = {c.path: c for c in Category.objects.all()}
    units = {u.code: u for u in Unit.objects.all()}
    plan: list[tuple[Category, Unit, bool]] = []
    for lineno, row in enumerate(rows, start=2):
        category = categories.get(row["category"])
        if category is None:
            raise ValidationFailed(_("Line %(n)d: unknown category %(c)s.") % {"n": lineno, "c": row["category"]})
        unit = units.get(row["unit_code"])
        if unit is None:
            raise ValidationFailed(_("Line %(n)d: unknown unit code %(c)s.") % {"n": lineno, "c": row["unit_code"]})
        plan.append((category, unit, row.get("by_place", "") in {"1", "true", "是"}))
    existing = {r.category_id: r for r in DispatchRule.objects.all()}
    created = sum(1 for c, _u, _b in plan if c.pk not in existing)
    changed = sum(
        1 for c, u, b in plan if c.pk in existing and (existing[c.pk].unit_id, existing[c.pk].by_place) != (u.pk, b)
    )
    if commit:
        with transaction.atomic():
            for category, unit, by_place in plan:
                DispatchRule.objects.update_or_create(category=category, defaults={"unit": unit, "by_place": by_place})
    return ImportResult(created, changed, len(plan) - created - changed, commit)


def time_limit_policies_import(*, text: str, commit: bool) -> ImportResult:
    """Import policies from CSV `name,request_type,urgency,category,sign_amount,sign_unit,finish_amount,finish_unit`.

    Rows are matched by name; empty request_type/urgency/category mean "any".
    """
    rows = _rows(
        text,
        ["name", "request_type", "urgency", "category", "sign_amount", "sign_unit", "finish_amount", "finish_unit"],
    )
    types = {t.code: t for t in RequestType.objects.all()}
    categories = {c.path: c for c in Category.objects.all()}
    plan = []
    for lineno, row in enumerate(rows, start=2):
        fields: dict[str, object] = {}
        if row["request_type"] and row["request_type"] not in types:
            raise ValidationFailed(
                _("Line %(n)d: unknown request type %(c)s.") % {"n": lineno, "c": row["request_type"]}
            )
        fields["request_type"] = types.get(row["request_type"])
        if row["urgency"] and row["urgency"] not in Urgency.values:
            raise ValidationFailed(_("Line %(n)d: urgency must be normal or urgent.") % {"n": lineno})
        fields["urgency"] = row["urgency"]
        if row["category"] and row["category"] not in categories:
            raise ValidationFailed(_("Line %(n)d: unknown category %(c)s.") % {"n": lineno, "c": row["category"]})
        fields["category"] = categories.get(row["category"])
        for key in ("sign", "finish"):
            try:
                amount = Decimal(row[f"{key}_amount"])
            except InvalidOperation:
                raise ValidationFailed(
                    _("Line %(n)d: %(f)s is not a number.") % {"n": lineno, "f": f"{key}_amount"}
                ) from None
            if amount <= 0:
                raise ValidationFailed(_("Line %(n)d: limits must be positive.") % {"n": lineno})
            if row[f"{key}_unit"] not in {u.value for u in LimitUnit}:
                raise ValidationFailed(_("Line %(n)d: unknown unit %(u)s.") % {"n": lineno, "u": row[f"{key}_unit"]})
            fields[f"{key}_amount"] = amount
            fields[f"{key}_unit"] = row[f"{key}_unit"]
        plan.append((row["name"], fields))
    existing = set(TimeLimitPolicy.objects.filter(name__in=[n for n, _f in plan]).values_list("name", flat=True))
    if commit:
        with transaction.atomic():
            for name, fields in plan:
                TimeLimitPolicy.objects.update_or_create(name=name, defaults=fields)
    return ImportResult(len(plan) - len(existing), len(existing), 0, commit)
