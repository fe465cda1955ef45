"""Fan-out of a package application (一件事) of 8 matters, with its real notices, and the applicant's progress page.

    .venv/bin/python bench/packages_fanout.py                                    # a fresh temporary SQLite database
    PGPORT=54337 BENCH=bench/packages_fanout.py bench/run_pg.sh                  # a throwaway PostgreSQL
    .venv/bin/python bench/packages_fanout.py --profile                          # cProfile of the timed acceptances

Prepares the demo district and the shipped catalogue (bench/applications_data.py), publishes a package of 8 of its
matters (ordinary, not 即办件, from as many units as possible) in which 6 start at once and 2 wait for another part
(the 7th for the 1st, the 8th for the 2nd), with the merged form and materials the catalogue service computes, and N
complete package applications filed online by one citizen. Then times `package_accept` for each: the package's
checks, its deadline, its parts, one application per startable part registered and accepted through the
applications' own services (6 applications with their checklists, shared materials attached, deadlines, timeline
and audit events, and each part's 受理通知书 PDF), and the package's one acceptance notice PDF, in one transaction,
committed. Then the applicant's progress page (GET /apply/packages/mine/<number>/ through Django's test client, as
the citizen). Target (issue 12): fan-out p95 ≤ 300 ms including the notices. Prints p50/p95/max and the PDFs'
share, and writes a JSON summary to bench/results/.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.applications_accept import PdfClock  # noqa: E402
from bench.applications_intake import loadavg  # noqa: E402
from bench.intake import RESULTS, machine, percentile  # noqa: E402

TARGET_P95_MS = 300.0
PACKAGE_CODE = "YJS-BENCH-8"
PARTS = 8


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default=None, help="default: from DATABASE_URL")
    parser.add_argument("-n", "--packages", type=int, default=60, help="package applications accepted (timed)")
    parser.add_argument("--pages", type=int, default=60, help="progress page views (timed)")
    parser.add_argument("--warmup", type=int, default=3, help="acceptances before timing (the first is reported)")
    parser.add_argument("--profile", action="store_true", help="cProfile the timed acceptances, print the top")
    return parser.parse_args()


def stats_of(times: list[float]) -> dict[str, Any]:
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "mean_ms": round(statistics.mean(times), 1),
    }


def main() -> None:
    args = parse()
    load_at_start = loadavg()
    print(f"loadavg at start: {load_at_start}", flush=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "govdesk.settings.bench"
    db = args.db or ("postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite")
    if db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--db postgres needs DATABASE_URL=postgres://… (bench/run_pg.sh starts a throwaway server)")
    tmp = tempfile.mkdtemp(prefix="govdesk-bench-fanout-")
    os.environ["GOVDESK_VAR_DIR"] = tmp
    try:
        run(args, db, load_at_start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def package_publish(lead_fallback: Any) -> Any:
    """8 ordinary matters, one per unit where the catalogue allows; parts 7 and 8 wait for parts 1 and 2."""
    from govdesk.matters.models import Matter
    from govdesk.packages.catalogue import package_merged_form, package_version_publish

    chosen: list[Any] = []
    units: set[int] = set()
    matters = list(
        Matter.objects.filter(is_active=True, current_version__isnull=False, current_version__instant=False)
        .select_related("current_version__unit")
        .order_by("code")
    )
    for matter in matters:
        version = matter.current_version
        if version.unit_id not in units:
            chosen.append(version)
            units.add(version.unit_id)
        if len(chosen) == PARTS:
            break
    for matter in matters:  # fewer units than parts: fill with other matters
        if len(chosen) == PARTS:
            break
        if matter.current_version not in chosen:
            chosen.append(matter.current_version)
    merged = package_merged_form(chosen)
    codes = [v.matter.code for v in chosen]
    items = [
        {
            "matter": code,
            "order": n,
            "depends_on": [codes[n - 6]] if n >= 6 else [],
            "field_map": merged["field_maps"][code],
        }
        for n, code in enumerate(codes)
    ]
    attrs = {
        "name": "开办餐饮店一件事（基准）",
        "life_event": "business_opening",
        "lead_unit": chosen[0].unit or lead_fallback,
        "promised_limit_days": 15,
        "fields": merged["fields"],
    }
    return package_version_publish(code=PACKAGE_CODE, attrs=attrs, items=items, materials=merged["materials"]).version


def run(args: argparse.Namespace, db: str, load_at_start: str) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.test import Client

    from bench.applications_data import field_value, hall_prepare
    from govdesk.applications import notices as application_notices
    from govdesk.applications.models import ApplicationNotice
    from govdesk.common import clock
    from govdesk.demo.people import fake_id_number, fake_mobile, fake_name
    from govdesk.org.models import Role, User
    from govdesk.packages import case_services
    from govdesk.packages import notices as package_notices
    from govdesk.packages.models import PackageApplication, PackageNotice, PackagePart

    started = time.perf_counter()
    hall = hall_prepare()
    version = package_publish(hall.clerk.unit)
    items = list(version.items.select_related("matter").order_by("order"))
    materials = [m.code for m in version.materials.all()]
    citizen, _created = User.objects.get_or_create(username="bench_citizen", defaults={"display_name": "王丽"})
    citizen.groups.add(Group.objects.get_or_create(name=Role.CITIZEN.value)[0])
    rng = random.Random(12)
    today = clock.now().date()

    def submitted() -> str:
        data = {
            "package": PACKAGE_CODE,
            "channel": "online",
            "applicant_name": fake_name(rng),
            "applicant_phone": fake_mobile(rng),
            "applicant_id_number": fake_id_number(rng),
            "form": {field["name"]: field_value(field, rng, today) for field in version.fields},
            "materials": materials,
        }
        return case_services.package_submit(actor=citizen, data=data).number

    numbers = [submitted() for _ in range(args.warmup + args.packages)]
    print(
        f"{db}: package of {len(items)} matters from {len({i.matter.unit_id for i in items})} units, "
        f"{len(version.fields)} merged fields, {len(materials)} merged materials; "
        f"{len(numbers)} package applications submitted in {time.perf_counter() - started:.1f} s",
        flush=True,
    )

    # Each notice module looks its notice_pdf up at each call: one clock each (the parts' and the package's).
    part_pdf, package_pdf = PdfClock(application_notices.notice_pdf), PdfClock(package_notices.notice_pdf)
    application_notices.notice_pdf = part_pdf
    package_notices.notice_pdf = package_pdf

    def accept(number: str) -> Callable[[], Any]:
        return lambda: case_services.package_accept(package_application=number, actor=hall.clerk)

    first = time.perf_counter()
    accept(numbers[0])()
    cold_ms = (time.perf_counter() - first) * 1000
    for number in numbers[1 : args.warmup]:
        accept(number)()
    print(f"  {db} first fan-out in the process {cold_ms:7.1f} ms (fonts and WeasyPrint loaded)", flush=True)

    timed_numbers = numbers[args.warmup :]
    for clock_ in (part_pdf, package_pdf):
        clock_.seconds, clock_.sizes = 0.0, []
    profiler = cProfile.Profile() if args.profile else None
    times = []
    for number in timed_numbers:
        if profiler:
            profiler.enable()
        t0 = time.perf_counter()
        accept(number)()
        times.append((time.perf_counter() - t0) * 1000)
        if profiler:
            profiler.disable()
    fanout = stats_of(times)
    pdf_seconds = part_pdf.seconds + package_pdf.seconds
    pdf_count = len(part_pdf.sizes) + len(package_pdf.sizes)
    fanout["pdf_share"] = round(pdf_seconds * 1000 / sum(times), 3)
    fanout["notices_per_package"] = round(pdf_count / len(times), 2)
    fanout["mean_pdf_ms"] = round(pdf_seconds * 1000 / max(1, pdf_count), 1)
    fanout["mean_package_pdf_ms"] = round(package_pdf.seconds * 1000 / max(1, len(package_pdf.sizes)), 1)
    started_parts = PackagePart.objects.filter(
        package_application__number__in=timed_numbers, application__isnull=False
    ).count()
    waiting = PackagePart.objects.filter(package_application__number__in=timed_numbers, state="waiting").count()
    print(
        f"  {db} fan-out (8 parts, 6 started)   n={fanout['n']:4}  p50 {fanout['p50_ms']:7.1f} ms  "
        f"p95 {fanout['p95_ms']:7.1f} ms  max {fanout['max_ms']:7.1f} ms  PDF {fanout['pdf_share']:.0%} of the time "
        f"({fanout['notices_per_package']} notices per package, {fanout['mean_pdf_ms']} ms each); "
        f"{started_parts} parts started, {waiting} waiting",
        flush=True,
    )

    client = Client(SERVER_NAME="localhost")
    client.force_login(citizen)
    page_numbers = [timed_numbers[i % len(timed_numbers)] for i in range(args.pages)]
    client.get(f"/apply/packages/mine/{page_numbers[0]}/")  # warm the templates
    page_times = []
    for number in page_numbers:
        t0 = time.perf_counter()
        response = client.get(f"/apply/packages/mine/{number}/")
        page_times.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            sys.exit(f"the progress page answered {response.status_code}")
    progress = stats_of(page_times)
    progress["bytes"] = len(response.content)
    print(
        f"  {db} progress page (GET)            n={progress['n']:4}  p50 {progress['p50_ms']:7.1f} ms  "
        f"p95 {progress['p95_ms']:7.1f} ms  max {progress['max_ms']:7.1f} ms  ({progress['bytes']:,} bytes)",
        flush=True,
    )
    verdict = "ok" if fanout["p95_ms"] <= TARGET_P95_MS else "ABOVE TARGET"
    print(f"  target fan-out p95 ≤ {TARGET_P95_MS:.0f} ms including the notices: {verdict}")
    profile_top = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        profile_top = out.getvalue()
        print(profile_top)
    summary = {
        "benchmark": "packages_fanout",
        "db": db,
        "loadavg_at_start": load_at_start,
        "first_fanout_ms": round(cold_ms, 1),
        "fanout": fanout,
        "progress_page": progress,
        "target_p95_ms": TARGET_P95_MS,
        "verdict": verdict,
        "package_notices": PackageNotice.objects.count(),
        "application_notices": ApplicationNotice.objects.count(),
        "packages_accepted": PackageApplication.objects.filter(accepted_at__isnull=False).count(),
        "machine": machine(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"packages-fanout-{db}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
