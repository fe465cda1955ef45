"""Every rollup figure equals a direct count over the same orders, through the lifecycle and after a rebuild."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govdesk.catalog.models import Category, RequestType
from govdesk.org.models import Unit
from govdesk.stats.models import COUNTER_FIELDS, StatsOrderFact, StatsRollup, StatsStreetRollup
from govdesk.stats.selectors import stats_filter_parse, stats_overview, stats_unit_rates
from govdesk.stats.services import stats_fold, stats_rollup_rebuild, stats_rollup_verify
from govdesk.workorders.models import WorkOrder

from .conftest import at
from .naive import naive_order, naive_overview

pytestmark = pytest.mark.django_db

STATUS_KEYS = ["new", "dispatched", "handling", "returned", "replied", "merged", "closed", "cancelled"]
FLAGS = COUNTER_FIELDS[9:]


def _week(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _naive_rollups() -> tuple[dict[tuple[Any, ...], list[int]], Counter[tuple[Any, ...]]]:
    """The rollup tables as a direct grouping of the naive per-order facts."""
    cats = {c.path: c.pk for c in Category.objects.all()}
    types = {t.code: t.pk for t in RequestType.objects.all()}
    rollup: dict[tuple[Any, ...], list[int]] = {}
    street: Counter[tuple[Any, ...]] = Counter()
    for order in WorkOrder.objects.select_related("category", "request_type", "primary_unit__parent"):
        f = naive_order(order)
        counters = [1, *(int(f["status"] == s) for s in STATUS_KEYS), *(int(f[flag]) for flag in FLAGS)]
        for grain, period in (("d", f["day"]), ("m", f["day"].replace(day=1))):
            key = (grain, period, f["unit"], cats[f["cat1"]], cats[f["cat2"]], types[f["type"]], f["channel"])
            acc = rollup.setdefault(key, [0] * len(COUNTER_FIELDS))
            for i, v in enumerate(counters):
                acc[i] += v
            street[(grain, period, f["street"], f["unit"], cats[f["cat1"]], types[f["type"]], f["channel"])] += 1
    return rollup, street


def _stored_rollups() -> tuple[dict[tuple[Any, ...], list[int]], Counter[tuple[Any, ...]]]:
    stats_fold()  # what a reader reads
    keys = ("grain", "period", "unit_id", "cat1_id", "cat2_id", "type_id", "channel")
    rollup = {tuple(r[:7]): list(r[7:]) for r in StatsRollup.objects.values_list(*keys, *COUNTER_FIELDS) if any(r[7:])}
    skeys = ("grain", "period", "street_id", "unit_id", "cat1_id", "type_id", "channel")
    street = Counter({tuple(r[:7]): r[7] for r in StatsStreetRollup.objects.values_list(*skeys, "total") if r[7]})
    return rollup, street


def _assert_overview_matches(user: Any, params: dict[str, str], *, unit_ids: set[int] | None = None) -> dict[str, Any]:
    flt = stats_filter_parse(params, user)
    got = stats_overview(user=user, flt=flt)
    want = naive_overview(
        date_from=flt.date_from,
        date_to=flt.date_to,
        unit_ids=unit_ids if unit_ids is not None else (set(flt.unit_ids) if flt.unit_ids is not None else None),
        category=params.get("category"),
        type_code=params.get("type"),
        channel=params.get("channel"),
    )
    assert got["total"] == want["total"]
    assert got["rate_parts"] == want["rate_parts"]
    for key, parts in want["rate_parts"].items():
        expected = parts["numerator"] / parts["denominator"] if parts["denominator"] else None
        assert got["rates"][key] == expected
    assert {r["key"]: r["total"] for r in got["by_status"]} == want["by_status"]
    assert {r["key"]: r["total"] for r in got["by_channel"]} == want["by_channel"]
    assert {r["key"]: r["total"] for r in got["by_type"]} == want["by_type"]
    assert {r["key"]: r["total"] for r in got["by_category"]} == want["by_category"]
    codes = {u.pk: u.code for u in Unit.objects.all()}
    assert {r["key"]: r["total"] for r in got["by_street"]} == {codes[k]: n for k, n in want["by_street"].items()}
    got_units = {r["key"]: r for r in got["by_unit"]}
    assert set(got_units) == {codes.get(u) for u in want["by_unit"]}
    for unit_id, (total, parts) in want["by_unit"].items():
        row = got_units[codes.get(unit_id)]
        assert row["total"] == total
        for key, p in parts.items():
            assert row["rates"][key] == (p["numerator"] / p["denominator"] if p["denominator"] else None)
    # The series: every period of the range, zeros included, summing the days of the naive count.
    bucket = {"day": lambda d: d, "week": _week, "month": lambda d: d.replace(day=1)}[got["granularity"]]
    expected_series: dict[date, list[int]] = {}
    for day, (n, closed) in want["days"].items():
        acc = expected_series.setdefault(bucket(day), [0, 0])
        acc[0] += n
        acc[1] += closed
    assert [(s["total"], s["closed"]) for s in got["series"]] == [tuple(v) for v in expected_series.values()]
    assert [s["period"] for s in got["series"]] == [max(k, flt.date_from).isoformat() for k in expected_series]
    return got


FILTER_COMBOS: list[dict[str, str]] = [
    {"date_from": "2026-11-01", "date_to": "2026-11-30"},
    {"date_from": "2026-11-02", "date_to": "2026-11-02"},
    {"date_from": "2026-10-01", "date_to": "2026-12-31"},  # weeks
    {"date_from": "2026-01-15", "date_to": "2027-02-10"},  # months, with unaligned edges
    {"date_from": "2026-10-28", "date_to": "2026-12-03", "unit": "LS-ZJ"},
    {"date_from": "2026-10-28", "date_to": "2026-12-03", "unit": "LS-BH"},  # a street and its community
    {"date_from": "2026-10-01", "date_to": "2026-12-31", "category": "城乡建设"},
    {"date_from": "2026-10-01", "date_to": "2026-12-31", "category": "城乡建设/城市建设和市政管理"},
    {"date_from": "2026-10-01", "date_to": "2026-12-31", "category": "城乡建设/住房保障/住房保障"},
    {"date_from": "2026-11-01", "date_to": "2026-11-30", "channel": "web"},
    # Two filters: the triple marginals (each filter's dimension and the one broken down by).
    {"date_from": "2026-10-01", "date_to": "2026-12-31", "type": "complaint", "channel": "phone"},
    {"date_from": "2026-10-28", "date_to": "2026-12-03", "unit": "LS-BH", "type": "complaint"},
    {"date_from": "2026-01-15", "date_to": "2027-02-10", "unit": "LS-ZJ", "category": "城乡建设"},
    {"date_from": "2026-10-01", "date_to": "2026-12-31", "category": "城乡建设", "channel": "web"},
    {
        "date_from": "2026-10-01",
        "date_to": "2026-12-31",
        "type": "complaint",
        "category": "城乡建设/城市建设和市政管理",
    },
    # Three filters: the cube; a leaf category with another filter: the facts.
    {"date_from": "2026-10-01", "date_to": "2026-12-31", "unit": "LS-ZJ", "type": "complaint", "channel": "phone"},
    {"date_from": "2026-10-01", "date_to": "2026-12-31", "category": "城乡建设/住房保障/住房保障", "channel": "phone"},
]


def _assert_everything_matches(people: SimpleNamespace) -> None:
    assert _stored_rollups() == _naive_rollups()
    for params in FILTER_COMBOS:
        _assert_overview_matches(people.supervisor, params)
    assert stats_rollup_verify() == []


def test_rollups_equal_direct_counts_through_the_lifecycle(scenario: SimpleNamespace, people: SimpleNamespace) -> None:
    _assert_everything_matches(people)
    o = scenario.orders
    # The scenario reaches what each rate counts (so the comparisons above are not over zeros).
    got = stats_overview(
        user=people.supervisor,
        flt=stats_filter_parse({"date_from": "2026-10-01", "date_to": "2026-12-31"}, people.supervisor),
    )
    parts = got["rate_parts"]
    assert parts["sign_on_time"]["denominator"] > parts["sign_on_time"]["numerator"] > 0
    assert parts["finish_on_time"]["denominator"] > parts["finish_on_time"]["numerator"] > 0
    assert parts["return"]["numerator"] == 1 and parts["repeat_call"]["numerator"] == 1
    assert {r["key"] for r in got["by_status"]} == {"new", "dispatched", "handling", "replied", "closed", "cancelled"}
    assert StatsOrderFact.objects.get(case_id=o["child"].pk).status == "closed"  # closed with its master


def test_rollups_follow_later_changes_and_a_rebuild(
    scenario: SimpleNamespace, people: SimpleNamespace, district: SimpleNamespace
) -> None:
    from govdesk.workorders import services

    o = scenario.orders
    with at(2026, 12, 23):
        services.workorder_dispatch(order=o["new"], actor=people.dispatcher, unit=district.dept_b)
        services.workorder_reopen(order=o["december"], actor=people.dispatcher, reason="再次来电")
        services.workorder_cancel(order=o["dispatched"], actor=people.dispatcher, reason="重复登记")
        services.workorder_visit(order=o["replied"], actor=people.operator, resolved=False, satisfaction="basically")
    _assert_everything_matches(people)
    before = _stored_rollups()
    StatsRollup.objects.all().delete()
    StatsOrderFact.objects.all().delete()
    counts = stats_rollup_rebuild(batch=3)
    assert counts["facts"] == WorkOrder.objects.count()
    assert _stored_rollups() == before
    _assert_everything_matches(people)


def test_verify_reports_a_tampered_rollup(scenario: SimpleNamespace) -> None:
    stats_fold()
    row = StatsRollup.objects.filter(grain="m", total__gt=0).first()
    assert row is not None
    StatsRollup.objects.filter(pk=row.pk).update(signed=row.signed + 1)
    diffs = stats_rollup_verify()
    assert len(diffs) == 1 and "signed" in diffs[0]
    with pytest.raises(CommandError):
        call_command("stats_rollup_verify")
    call_command("stats_rollup_rebuild")
    assert stats_rollup_verify() == []
    call_command("stats_rollup_verify")


def test_a_note_changes_no_rollup(scenario: SimpleNamespace, people: SimpleNamespace) -> None:
    from govdesk.workorders import services

    before = _stored_rollups()
    with at(2026, 12, 23):
        services.workorder_note(order=scenario.orders["street"], actor=people.street_handler, note="已联系市民")
        services.workorder_urge(order=scenario.orders["street"], actor=people.supervisor, note="请尽快")
    assert _stored_rollups() == before


def test_unit_rates_per_unit(scenario: SimpleNamespace, district: SimpleNamespace) -> None:
    rows = {r["unit"]: r for r in stats_unit_rates(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))}
    want = naive_overview(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))["by_unit"]
    assert set(rows) == {Unit.objects.get(pk=u).code for u in want if u}
    for unit_id, (total, parts) in want.items():
        if unit_id:
            row = rows[Unit.objects.get(pk=unit_id).code]
            assert row["total"] == total and row["rate_parts"] == parts
