"""Generate N applications (办件) for the statistics benchmark, fast: bulk rows straight into the tables, then the
application statistics rebuild (`stats_rollup_rebuild(kinds=["application"])`: facts and marginals).

Writes what the rebuild reads (docs/statistics.md, "Loading many applications without the services"): cases_case
(kind application), applications_application (applicant phone and ID number encrypted with their blind indexes, one
ciphertext reused), the timeline events that enter or leave `correction` and the decisions, and the suspensions.
PostgreSQL: COPY through psycopg in chunks; SQLite: executemany in large transactions.

Distributions: a year of submissions ending now (weekday and daytime peaks) over the shipped demo catalogue (216
matters of the demo district, Zipf-like popularity), ~80% at the window and ~20% online; ~25% asked for correction
once (a few still waiting for it), ~3% refused, ~8% of the accepted suspended (hearing, testing, expert review);
decisions mostly within the matter's promised limit (working days approximated as 7/5 calendar days), some late;
~95% approved; results delivered within days. Each step happens at its moment, so recent applications are still
open; a few percent of older ones stall (never decided, or decided and not delivered), which leaves an overdue
backlog.

Used by bench/stats_overview.py --applications N; can also be run alone against a migrated database:
    DJANGO_SETTINGS_MODULE=govdesk.settings.bench .venv/bin/python bench/stats_applications_data.py --applications 1000
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CHUNK = 50_000
WINDOW_SHARE = 0.8
CORRECTION_SHARE = 0.25
REFUSAL_SHARE = 0.03
SUSPENSION_SHARE = 0.08  # of the accepted, not instant
LATE_SHARE = 0.07  # decisions after their deadline
DENIAL_SHARE = 0.05
STALL_DECISION_SHARE = 0.04  # accepted, never decided: the overdue backlog
STALL_DELIVERY_SHARE = 0.02  # decided, never delivered
DELIVERY_LIMIT_DAYS = 10
SUSPENSION_KINDS = ["hearing", "testing", "expert_review", "other"]
DELIVERIES = [("window", 60), ("post", 15), ("electronic", 25)]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周婷", "吴强"]


@dataclass(frozen=True)
class Version:
    pk: int
    matter_id: int
    unit_id: int | None
    name: str
    type: str
    instant: bool
    limit_days: int


def setup_reference_data() -> dict[str, Any]:
    """The demo district's units and the shipped catalogue (imported through its service), and a handler who
    started the suspensions. Idempotent."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from govdesk.demo.seed import demo_district_ensure
    from govdesk.matters.management.commands.matters_import import DEMO_CATALOGUE
    from govdesk.matters.models import Matter, MatterVersion
    from govdesk.matters.transfer import matters_import
    from govdesk.org.models import Role, User

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    demo_district_ensure()
    if not Matter.objects.exists():
        result = matters_import(content=DEMO_CATALOGUE.read_bytes(), filename=DEMO_CATALOGUE.name, commit=True)
        if result.errors:
            raise SystemExit("the demo catalogue did not import: " + "; ".join(result.errors[:3]))
    handler, _c = User.objects.get_or_create(username="bench_app_handler", defaults={"display_name": "审批人"})
    handler.groups.add(Group.objects.get_or_create(name=Role.HANDLER.value)[0])
    versions = [
        Version(v.pk, v.matter_id, v.unit_id, v.name[:200], v.type, v.instant, max(1, v.promised_limit_days or 1))
        for v in MatterVersion.objects.filter(pk__in=Matter.objects.values("current_version")).order_by("matter_id")
    ]
    return {"versions": versions, "handler": handler.pk}


def _columns(model: Any) -> list[str]:
    return [f.column for f in model._meta.local_concrete_fields]


def generate(
    n: int, *, seed: int = 11, now: datetime | None = None, progress: Callable[[str], None] = print
) -> dict[str, float]:
    """Append `n` applications with their events and suspensions, then rebuild the application statistics.
    Returns the seconds spent loading and rebuilding."""
    from django.db import connection

    from govdesk.applications.models import Application
    from govdesk.cases.models import Case
    from govdesk.common.crypto import blind_index, encrypt
    from govdesk.stats.services import stats_rollup_rebuild

    ref = setup_reference_data()
    versions: list[Version] = ref["versions"]
    handler = ref["handler"]
    postgres = connection.vendor == "postgresql"
    phone, phone_index = encrypt("13900000000"), blind_index("phone", "13900000000")
    id_number, id_index = encrypt("141102199001010011"), blind_index("id_number", "141102199001010011")
    form = Application._meta.get_field("form").get_db_prep_value({}, connection)
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    start = now - timedelta(days=365)
    weights = [1 / (rank + 1) ** 1.0 for rank in range(len(versions))]
    rng.shuffle(weights)
    version_cum = list(itertools.accumulate(weights))
    delivery_cum = list(itertools.accumulate(w for _d, w in DELIVERIES))
    delivery_codes = [d for d, _w in DELIVERIES]
    case_cols, app_cols = _columns(Case), _columns(Application)
    event_cols = ["case_id", "occurred_at", "action", "from_status", "to_status", "note", "is_public", "data"]
    suspension_cols = [
        "case_id", "kind", "reason", "started_at", "ended_at", "working_days", "started_by_id", "ended_by_id",
        "previous_due_at", "new_due_at",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        if not postgres:
            cursor.execute("PRAGMA cache_size = -500000")
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cases_case")
        first_id = cursor.fetchone()[0] + 1

    def dt(value: datetime | None) -> Any:
        if value is None or postgres:
            return value
        return value.replace(tzinfo=None).isoformat(" ")

    def b(value: bool) -> Any:
        return value if postgres else int(value)

    def working(days: float) -> timedelta:
        return timedelta(days=days * 7 / 5)

    started = time.monotonic()
    cases: list[tuple[Any, ...]] = []
    apps: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    suspensions: list[tuple[Any, ...]] = []
    counts = {"events": 0, "suspensions": 0}
    public = b(True)

    def event(pk: int, at: datetime, action: str, src: str, dst: str) -> None:
        events.append((pk, dt(at), action, src, dst, "", public, "{}"))

    for k in range(n):
        pk = first_id + k
        created = start + timedelta(seconds=rng.random() * 365 * 86400)
        if created.weekday() >= 5 and rng.random() < 0.6:
            created -= timedelta(days=2)
        created = created.replace(hour=int(rng.triangular(0, 10, 2)), microsecond=0)  # 08:00-18:00 Shanghai
        created = min(created, now - timedelta(minutes=1))
        v = versions[rng.choices(range(len(versions)), cum_weights=version_cum)[0]]
        window = rng.random() < WINDOW_SHARE
        status, is_open = "submitted", True
        due: datetime | None = None
        accepted = decided = decision_due = delivered = closed = None
        delivery = reason = ""
        moment = created
        # At the window: a correction notice first for some (the clock has not started), then acceptance or refusal.
        in_correction = False
        if rng.random() < CORRECTION_SHARE:
            asked = created + timedelta(minutes=rng.uniform(5, 240) if window else rng.uniform(60, 2880))
            if asked <= now:
                event(pk, asked, "request-correction", "submitted", "correction")
                status, moment, in_correction = "correction", asked, True
                back = asked + timedelta(days=rng.lognormvariate(0.5, 0.9))
                if back <= now and rng.random() > 0.1:  # a few applicants never come back
                    event(pk, back, "supplement", "correction", "submitted")
                    status, moment, in_correction = "submitted", back, False
        wait = timedelta(minutes=rng.uniform(3, 45)) if window else timedelta(hours=rng.uniform(1, 40))
        answer = moment + wait
        if status == "correction" and rng.random() < 0.15 and answer <= now:
            event(pk, answer, "refuse", "correction", "refused")
            status, is_open, closed = "refused", False, answer
        elif status == "submitted" and answer <= now:
            if rng.random() < REFUSAL_SHARE:
                status, is_open, closed, reason = "refused", False, answer, "不属于本机关职权范围。"
            else:
                accepted = answer
                status = "handling"
                decision_due = accepted + working(v.limit_days)
                due = decision_due
        if accepted is not None and v.instant:
            decided = accepted
            event(pk, decided, "accept", "submitted", "approved")
            status, decision_due = "approved", accepted
        elif accepted is not None:
            assert decision_due is not None
            span = decision_due - accepted
            suspended_for = timedelta(0)
            if rng.random() < SUSPENSION_SHARE:
                s_start = accepted + span * rng.uniform(0.1, 0.6)
                if s_start <= now:
                    suspended_for = timedelta(days=rng.uniform(2, 20))
                    s_end: datetime | None = s_start + suspended_for
                    if s_end > now:
                        s_end, status, due = None, "suspended", None
                    else:
                        decision_due += suspended_for
                        due = decision_due
                    suspensions.append(
                        (
                            pk, rng.choice(SUSPENSION_KINDS), "组织听证。", dt(s_start), dt(s_end),
                            round(suspended_for.days * 5 / 7), handler, handler if s_end else None,
                            dt(accepted + span), dt(decision_due) if s_end else None,
                        )
                    )  # fmt: skip
                    counts["suspensions"] += 1
            if status == "handling" and rng.random() >= STALL_DECISION_SHARE:
                if rng.random() < LATE_SHARE:
                    when = decision_due + timedelta(days=rng.uniform(0.5, 12))
                else:
                    when = accepted + suspended_for + span * rng.uniform(0.1, 0.98)
                when = when.replace(microsecond=0)
                if when <= now:
                    decided = when
                    denied = rng.random() < DENIAL_SHARE
                    status = "denied" if denied else "approved"
                    event(pk, decided, "deny" if denied else "approve", "handling", status)
                    reason = "不符合法定条件。" if denied else ""
        if decided is not None:
            due = decided + working(DELIVERY_LIMIT_DAYS)
            if rng.random() >= STALL_DELIVERY_SHARE:
                when = (decided + timedelta(hours=rng.lognormvariate(2.5, 1.0))).replace(microsecond=0)
                if when <= now:
                    delivered, closed, status, is_open = when, when, "closed", False
                    delivery = rng.choices(delivery_codes, cum_weights=delivery_cum)[0]
        if in_correction and status == "correction":
            due = None
        overdue = is_open and due is not None and due < now
        due_soon = is_open and due is not None and now <= due < now + timedelta(days=1)
        updated = closed or decided or accepted or moment
        case_row = {
            "id": pk, "kind": "application", "number": f"BJ{created:%Y%m%d}{pk:09d}", "status": status,
            "title": v.name, "primary_unit_id": v.unit_id, "created_by_id": None, "created_at": dt(created),
            "updated_at": dt(updated), "dispatched_at": dt(accepted), "signed_at": None, "closed_at": dt(closed),
            "sign_due_at": None, "due_at": dt(due), "is_due_soon": b(due_soon), "is_overdue": b(overdue),
            "is_sign_overdue": b(False), "is_open": b(is_open),
        }  # fmt: skip
        app_row = {
            "case_ptr_id": pk, "matter_id": v.matter_id, "matter_version_id": v.pk,
            "channel": "window" if window else "online", "applicant_name": NAMES[pk % len(NAMES)],
            "applicant_phone": phone, "applicant_id_number": id_number, "applicant_phone_index": phone_index,
            "applicant_id_number_index": id_index, "applicant_id": None, "form": form,
            "accepted_at": dt(accepted), "decided_at": dt(decided), "decision_due_at": dt(decision_due if decided
            else None), "delivered_at": dt(delivered), "delivery": delivery, "decision_reason": reason,
        }  # fmt: skip
        cases.append(tuple(case_row[c] for c in case_cols))
        apps.append(tuple(app_row[c] for c in app_cols))
        if len(cases) >= CHUNK or k == n - 1:
            _write(connection, "cases_case", case_cols, cases)
            _write(connection, Application._meta.db_table, app_cols, apps)
            _write(connection, "cases_caseevent", event_cols, events)
            _write(connection, "cases_casesuspension", suspension_cols, suspensions)
            counts["events"] += len(events)
            cases, apps, events, suspensions = [], [], [], []
            rate = (k + 1) / (time.monotonic() - started)
            progress(f"  {k + 1:,}/{n:,} applications ({rate:,.0f}/s)")
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT MAX(id) FROM cases_case))"
            )
            cursor.execute("ANALYZE")
    load_s = time.monotonic() - started
    progress(
        f"  loaded {n:,} applications, {counts['events']:,} events, {counts['suspensions']:,} suspensions "
        f"in {load_s:.0f} s; rebuilding the application statistics …"
    )
    rebuild_started = time.monotonic()
    last = [0.0]

    def step(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 30 or done == total:
            last[0] = time.monotonic()
            progress(f"  rebuild {done:,}/{total:,}")

    written = stats_rollup_rebuild(kinds=["application"], progress=step)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    rebuild_s = time.monotonic() - rebuild_started
    progress(f"  rebuild: {written} in {rebuild_s:.0f} s")
    return {"load_s": round(load_s, 1), "rebuild_s": round(rebuild_s, 1), **{k: float(v) for k, v in written.items()}}


def _write(connection: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from stats_data import _write as write

    if rows:
        write(connection, table, columns, rows)


def main() -> None:
    import os

    import django

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdesk.settings.bench")
    django.setup()
    generate(args.applications)


if __name__ == "__main__":
    main()
