"""What the statistics add to registering an order: workorder_register in-process, with and without the statistics
listener (the fact and the change for the fold), alternating blocks on the same database (SQLite by default;
PostgreSQL via DATABASE_URL); then the fold of the changes they left, timed per change.

    .venv/bin/python bench/stats_intake_cost.py --orders 400
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=400, help="orders per variant")
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "govdesk.settings.bench"
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ.pop("DATABASE_URL", None)
        os.environ["GOVDESK_VAR_DIR"] = tempfile.mkdtemp(prefix="govdesk-intake-cost-")
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from govdesk.cases import services as case_services
    from govdesk.catalog.models import Category
    from govdesk.org.models import Role, Unit, UnitKind, User
    from govdesk.stats.models import StatsPending
    from govdesk.stats.services import stats_case_event, stats_fold
    from govdesk.workorders.services import workorder_register

    sys.path.insert(0, str(ROOT / "bench"))
    from stats_data import setup_reference_data

    setup_reference_data()
    centre = Unit.objects.get(code="B-12345")
    assert centre.kind == UnitKind.HOTLINE_CENTRE
    user, _c = User.objects.get_or_create(username="cost_operator", defaults={"unit": centre})
    user.groups.add(Group.objects.get_or_create(name=Role.OPERATOR.value)[0])
    leaves = list(Category.objects.filter(children__isnull=True).values_list("path", flat=True))

    def register(i: int) -> None:
        workorder_register(
            actor=user,
            data={"channel": "phone", "request_type": "complaint", "category": leaves[i % len(leaves)],
                  "title": "路灯不亮", "content": "路灯已经一周不亮。", "address": f"街{i % 12 + 1}路{i}号"},
        )  # fmt: skip

    for i in range(50):
        register(i)  # warm-up
    stats_fold()
    times: dict[str, list[float]] = {"with statistics": [], "without": []}
    block = 50
    for start in range(0, args.orders, block):
        for variant in times:
            listeners = case_services.CASE_EVENT_LISTENERS
            if variant == "without":
                listeners.remove(stats_case_event)
            try:
                for i in range(start, start + block):
                    t0 = time.perf_counter()
                    register(i)
                    times[variant].append((time.perf_counter() - t0) * 1000)
            finally:
                if stats_case_event not in listeners:
                    listeners.append(stats_case_event)
    with CaptureQueriesContext(connection) as ctx:
        register(0)
    stats_queries = [q["sql"][:60] for q in ctx.captured_queries if "stats_" in q["sql"]]
    print(f"{connection.vendor}: {args.orders} registrations per variant (alternating blocks of {block})")
    for variant, values in times.items():
        print(f"  {variant:13} mean {statistics.mean(values):6.2f} ms  p50 {statistics.median(values):6.2f} ms")
    diff = statistics.mean(times["with statistics"]) - statistics.mean(times["without"])
    print(
        f"  difference    {diff:+6.2f} ms per registration; statistics queries per registration: {len(stats_queries)}"
    )
    for sql in stats_queries:
        print(f"    {sql}")
    # What the registrations left for the rollups' one writer: the fold the task worker or the next reader does.
    waiting = StatsPending.objects.count()
    t0 = time.perf_counter()
    folded = stats_fold()
    seconds = time.perf_counter() - t0
    print(f"  fold          {folded} changes ({waiting} waiting) in {seconds * 1000:.0f} ms: "
          f"{seconds * 1000 / max(folded, 1):.3f} ms per change")  # fmt: skip


if __name__ == "__main__":
    main()
