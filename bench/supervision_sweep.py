"""The periodic jobs at city scale: the deadline sweep and the supervision sweep (urging, escalation) over a database
of generated orders (bench/stats_data.py; e.g. the one `bench/stats_overview.py --keep` leaves).

    .venv/bin/python bench/supervision_sweep.py --reuse DIR            # SQLite directory (GOVDESK_VAR_DIR)
    DATABASE_URL=postgres://… .venv/bin/python bench/supervision_sweep.py --reuse yes

Times, in this order: the deadline sweep (flags of every open order), the first supervision sweep (which catches up
the whole backlog: every overdue order is urged and escalated once, each in its own audited transaction), a second
supervision sweep a minute later (the steady state: nothing new to do) and a deadline sweep after it. The database
is changed (urges, escalations, events, audit); measure the overview before running this.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--reuse", required=True, help="a SQLite directory (GOVDESK_VAR_DIR), or any value on PostgreSQL"
    )
    parser.add_argument(
        "--deadline-only", action="store_true", help="only the deadline sweep (a large backlog takes long to urge)"
    )
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "govdesk.settings.bench"
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ.pop("DATABASE_URL", None)
        os.environ["GOVDESK_VAR_DIR"] = args.reuse
    import django

    django.setup()
    from django.db import connection

    from govdesk.cases.models import Case
    from govdesk.cases.services import case_deadlines_sweep
    from govdesk.common import clock
    from govdesk.supervision.services import supervision_sweep

    now = clock.now()
    open_orders = Case.objects.filter(is_open=True).count()
    print(f"{connection.vendor}: {Case.objects.count():,} orders, {open_orders:,} open", flush=True)

    def timed(label: str, call: object) -> None:
        started = time.perf_counter()
        result = call()  # type: ignore[operator]
        counts = result.counts() if hasattr(result, "counts") else result
        print(f"  {label:34} {time.perf_counter() - started:8.1f} s  {counts}", flush=True)

    later = now + timedelta(minutes=1)
    timed("deadline sweep", lambda: case_deadlines_sweep(now=now))
    if not args.deadline_only:
        timed("supervision sweep (backlog)", lambda: supervision_sweep(now=now))
        timed("supervision sweep (a minute later)", lambda: supervision_sweep(now=later))
    timed("deadline sweep (a minute later)", lambda: case_deadlines_sweep(now=later))


if __name__ == "__main__":
    main()
