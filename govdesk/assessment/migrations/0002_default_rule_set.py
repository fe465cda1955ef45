"""The default assessment rule set (docs/statistics.md, 单位考核): weights summing to 100, four deductions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import migrations

NAME = "默认考核规则"
ITEMS = (
    # rate key, weight, method, floor, target
    ("sign_on_time", "10", "linear", None, None),
    ("finish_on_time", "25", "range", "0.50", "0.95"),
    ("response", "10", "linear", None, None),
    ("resolution", "20", "linear", None, None),
    ("satisfaction", "25", "range", "0.60", "0.95"),
    ("visit", "10", "linear", None, None),
)
DEDUCTIONS = (
    # kind, rate key, points, at most
    ("rate", "return", "0.2", "5"),
    ("rate", "repeat_call", "0.1", "3"),
    ("overdue_open", "", "0.5", "10"),
    ("return_rejected", "", "1", "5"),
)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def create_default(apps: Any, schema_editor: Any) -> None:
    RuleSet = apps.get_model("assessment", "AssessmentRuleSet")
    if RuleSet.objects.exists():
        return
    rule_set = RuleSet.objects.create(
        name=NAME,
        active=not RuleSet.objects.filter(active=True).exists(),
        effective_from=date(2000, 1, 1),
        min_orders=10,
        description="按时签收率10、按时办结率25、响应率10、解决率20、满意率25、回访率10；退单率、重复来电率、"
        "月末仍超期未办结、无理退单扣分。",
    )
    Item = apps.get_model("assessment", "AssessmentRuleItem")
    for key, weight, method, floor, target in ITEMS:
        Item.objects.create(
            rule_set=rule_set, rate_key=key, weight=Decimal(weight), method=method, floor=_dec(floor), target=_dec(target)
        )
    Deduction = apps.get_model("assessment", "AssessmentDeduction")
    for kind, key, points, cap in DEDUCTIONS:
        Deduction.objects.create(rule_set=rule_set, kind=kind, rate_key=key, points=Decimal(points), max_points=_dec(cap))


def remove_default(apps: Any, schema_editor: Any) -> None:
    apps.get_model("assessment", "AssessmentRuleSet").objects.filter(name=NAME, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(create_default, remove_default)]
