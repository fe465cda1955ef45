"""Policy choice, the dispatch catalogue and street matching."""

from __future__ import annotations

from typing import Any

import pytest

from govdesk.catalog.models import Category, DispatchRule, RequestType, TimeLimitPolicy
from govdesk.catalog.selectors import category_leaves, dispatch_unit_suggest, street_for_address, time_limit_policy_for
from govdesk.org.models import Unit, UnitKind
from govdesk.org.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


def rtype(code: str) -> RequestType:
    return RequestType.objects.get(code=code)


def test_six_request_types_and_defaults_from_the_migration() -> None:
    assert set(RequestType.objects.values_list("code", flat=True)) == {
        "consultation",
        "help",
        "complaint",
        "report",
        "suggestion",
        "praise",
    }
    assert list(RequestType.objects.filter(allows_direct_answer=True).values_list("code", flat=True)) == [
        "consultation"
    ]
    expected_days = {"consultation": 2, "help": 10, "suggestion": 10, "complaint": 15, "report": 15}
    for code, days in expected_days.items():
        policy = time_limit_policy_for(request_type=rtype(code), urgency="normal", category=None)
        assert (float(policy.sign_amount), policy.sign_unit) == (2, "working_hours")
        assert (float(policy.finish_amount), policy.finish_unit) == (days, "working_days")
    urgent = time_limit_policy_for(request_type=rtype("complaint"), urgency="urgent", category=None)
    assert (float(urgent.sign_amount), urgent.sign_unit, float(urgent.finish_amount), urgent.finish_unit) == (
        30,
        "minutes",
        24,
        "hours",
    )


def test_the_most_specific_policy_wins(categories: Any) -> None:
    top = Category.objects.get(path="城乡建设")
    by_top = TimeLimitPolicy.objects.create(
        name="城乡建设",
        category=top,
        sign_amount=2,
        sign_unit="working_hours",
        finish_amount=12,
        finish_unit="working_days",
    )
    by_branch = TimeLimitPolicy.objects.create(
        name="市政",
        category=categories.branch,
        sign_amount=2,
        sign_unit="working_hours",
        finish_amount=8,
        finish_unit="working_days",
    )
    by_type_and_leaf = TimeLimitPolicy.objects.create(
        name="投诉·设施",
        category=categories.facilities,
        request_type=rtype("complaint"),
        sign_amount=1,
        sign_unit="working_hours",
        finish_amount=5,
        finish_unit="working_days",
    )
    urgent_leaf = TimeLimitPolicy.objects.create(
        name="紧急·设施",
        category=categories.facilities,
        urgency="urgent",
        sign_amount=15,
        sign_unit="minutes",
        finish_amount=12,
        finish_unit="hours",
    )

    def pick(code: str, urgency: str, category: Category) -> TimeLimitPolicy:
        return time_limit_policy_for(request_type=rtype(code), urgency=urgency, category=category)

    assert pick("complaint", "normal", categories.facilities) == by_type_and_leaf
    assert pick("help", "normal", categories.facilities) == by_branch  # the leaf policy is for complaints only
    assert pick("complaint", "normal", categories.greening) == by_branch
    assert pick("complaint", "normal", categories.housing) == by_top
    assert pick("complaint", "normal", categories.wages).name.startswith("投诉")  # the type default
    assert pick("complaint", "urgent", categories.facilities) == urgent_leaf
    assert pick("complaint", "urgent", categories.housing).name.startswith("紧急")  # urgency beats any category
    urgent_leaf.is_active = False
    urgent_leaf.save()
    assert pick("complaint", "urgent", categories.facilities).name.startswith("紧急：")


def test_no_matching_policy_is_a_clear_error(categories: Any) -> None:
    TimeLimitPolicy.objects.all().update(is_active=False)
    with pytest.raises(LookupError, match="no time-limit policy"):
        time_limit_policy_for(request_type=rtype("help"), urgency="normal", category=categories.facilities)


def test_category_leaves(categories: Any) -> None:
    leaves = set(category_leaves().values_list("path", flat=True))
    assert categories.facilities.path in leaves and categories.branch.path not in leaves
    categories.bus.is_active = False
    categories.bus.save()
    assert categories.bus.path not in set(category_leaves().values_list("path", flat=True))


def test_dispatch_catalogue(categories: Any, district: Any) -> None:
    # 城乡建设 → dept_a; 城市建设和市政管理 (local matter) → the street of the address, else dept_a; 劳动 → dept_b.
    assert dispatch_unit_suggest(category=categories.housing) == district.dept_a
    assert dispatch_unit_suggest(category=categories.facilities, address="离石区滨河北路18号") == district.street
    assert dispatch_unit_suggest(category=categories.facilities, address="离石区某某路") == district.dept_a
    assert dispatch_unit_suggest(category=categories.facilities) == district.dept_a
    # A functional department's matter is not pushed down to the street, whatever the address.
    assert dispatch_unit_suggest(category=categories.housing, address="滨河北路18号") == district.dept_a
    assert dispatch_unit_suggest(category=categories.wages, address="滨河北路") == district.dept_b
    assert dispatch_unit_suggest(category=categories.bus) is None
    assert dispatch_unit_suggest(category=None) is None


def test_the_deepest_rule_wins(categories: Any, district: Any) -> None:
    DispatchRule.objects.create(category=categories.housing, unit=district.dept_b)
    assert dispatch_unit_suggest(category=categories.housing) == district.dept_b


def test_street_for_address(district: Any) -> None:
    other = UnitFactory(
        code="LS-FS", name="凤山街道", kind=UnitKind.STREET, parent=district.gov, place_names="凤山路\n滨河北路东段"
    )
    assert street_for_address("永宁路3号") == district.street
    assert street_for_address("滨河街道办事处对面") == district.street
    assert street_for_address("滨河北路东段12号") == other  # the longest matching name wins
    assert street_for_address("月亮上") is None
    assert street_for_address("") is None
    Unit.objects.filter(code="LS-FS").update(is_active=False)
    assert street_for_address("滨河北路东段12号") == district.street
