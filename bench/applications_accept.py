"""Acceptance with its notice PDF, timed one application at a time, in-process, on SQLite or PostgreSQL.

    .venv/bin/python bench/applications_accept.py                           # a fresh temporary SQLite database
    PGPORT=54340 BENCH=bench/applications_accept.py bench/run_pg.sh         # a throwaway PostgreSQL
    .venv/bin/python bench/applications_accept.py --profile                 # cProfile of the timed accepts

Prepares the demo district, the shipped catalogue (bench/applications_data.py) and N applications complete at the
window (every required material received; matters that are not 即办件), then times `application_accept` for each:
lock, checks, the working-day deadline, the timeline and audit events, and the 受理通知书 rendered by WeasyPrint and
stored, all in one transaction, committed. A few accepts first warm the process up (fonts, WeasyPrint's C
declarations); the first is reported on its own. Then, on the same database: the 一次性告知书 (request-correction on
applications missing a material), the result notice (approve by a handler of the matter's unit, on accepted ones),
and the acceptance of 即办件 (two notices: acceptance and result). Target (issue 11): accept p95 ≤ 1 s.
Prints p50/p95/max and how much of it is the PDF, and writes a JSON summary to bench/results/.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.applications_intake import loadavg  # noqa: E402
from bench.intake import RESULTS, machine, percentile  # noqa: E402

TARGET_P95_S = 1.0


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default=None, help="default: from DATABASE_URL")
    parser.add_argument("-n", "--applications", type=int, default=200, help="applications accepted (timed)")
    parser.add_argument("--others", type=int, default=100, help="corrections, results and instant accepts (each)")
    parser.add_argument("--warmup", type=int, default=5, help="accepts before timing (the first is reported)")
    parser.add_argument("--profile", action="store_true", help="cProfile the timed accepts, print the top entries")
    return parser.parse_args()


class PdfClock:
    """Wraps notices.notice_pdf to add up the time spent rendering, and the bytes rendered."""

    def __init__(self, render: Callable[..., bytes]) -> None:
        self.render, self.seconds = render, 0.0
        self.sizes: list[int] = []

    def __call__(self, **kwargs: Any) -> bytes:
        started = time.perf_counter()
        pdf = self.render(**kwargs)
        self.seconds += time.perf_counter() - started
        self.sizes.append(len(pdf))
        return pdf


def timed(label: str, calls: list[Callable[[], Any]], pdf: PdfClock, db: str) -> dict[str, Any]:
    """Run each call, timing it; print and return p50/p95/max (ms) and the PDF's share."""
    pdf.seconds, pdf.sizes = 0.0, []
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    total = sum(times)
    result = {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "mean_ms": round(total / len(times), 1),
        "pdf_share": round(pdf.seconds * 1000 / total, 3) if total else 0,
        "notices": len(pdf.sizes),
        "mean_pdf_kb": round(statistics.mean(pdf.sizes) / 1024, 1) if pdf.sizes else 0,
    }
    print(
        f"  {db} {label:28} n={result['n']:4}  p50 {result['p50_ms']:7.1f} ms  p95 {result['p95_ms']:7.1f} ms  "
        f"max {result['max_ms']:7.1f} ms  PDF {result['pdf_share']:.0%} of the time, {result['notices']} notices "
        f"of {result['mean_pdf_kb']} KB"
    )
    return result


def main() -> None:
    args = parse()
    load_at_start = loadavg()
    print(f"loadavg at start: {load_at_start}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "govdesk.settings.bench"
    db = args.db or ("postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite")
    if db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--db postgres needs DATABASE_URL=postgres://… (bench/run_pg.sh starts a throwaway server)")
    # The SQLite file, the notices' files and the task queue: all in a throwaway directory, whatever the database.
    tmp = tempfile.mkdtemp(prefix="govdesk-bench-accept-")
    os.environ["GOVDESK_VAR_DIR"] = tmp
    try:
        run(args, db, load_at_start)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, db: str, load_at_start: str) -> None:
    import django

    django.setup()
    from bench.applications_data import applications, catalogue_matters, hall_prepare
    from govdesk.applications import notices, services
    from govdesk.applications.models import Application, ApplicationNotice

    started = time.perf_counter()
    hall = hall_prepare()
    matters = catalogue_matters()
    ordinary = [m for m in matters if not m.instant]
    instant = [m for m in matters if m.instant]
    clerk = hall.clerk

    def submitted(pool: list[Any], count: int, *, complete: bool, seed: int) -> list[str]:
        stream = applications(pool, seed=seed, complete=complete)
        return [services.application_submit(actor=clerk, data=next(stream)).number for _ in range(count)]

    to_accept = submitted(ordinary, args.warmup + args.applications, complete=True, seed=1)
    to_correct = submitted(ordinary, args.others, complete=False, seed=2)
    to_accept_instant = submitted(instant, args.others, complete=True, seed=3)
    print(
        f"{db}: {len(matters)} matters ({len(instant)} 即办件), "
        f"{Application.objects.count()} applications submitted in {time.perf_counter() - started:.1f} s"
    )

    pdf = PdfClock(notices.notice_pdf)
    notices.notice_pdf = pdf  # services look notices.notice_pdf up at each call

    def accept(number: str) -> Callable[[], Any]:
        return partial(services.application_accept, application=number, actor=clerk)

    first = time.perf_counter()
    accept(to_accept[0])()
    cold_ms = (time.perf_counter() - first) * 1000
    for number in to_accept[1 : args.warmup]:
        accept(number)()
    print(f"  {db} first accept in the process     {cold_ms:7.1f} ms (fonts and WeasyPrint loaded)")
    timed_numbers = to_accept[args.warmup :]
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    results: dict[str, Any] = {"accept": timed("accept (受理通知书)", [accept(n) for n in timed_numbers], pdf, db)}
    if profiler:
        profiler.disable()
    results["correction"] = timed(
        "request-correction (一次性告知书)",
        [partial(services.application_request_correction, application=n, actor=clerk) for n in to_correct],
        pdf,
        db,
    )
    handled = Application.objects.filter(number__in=timed_numbers[: args.others]).select_related("matter_version__unit")
    results["result"] = timed(
        "approve (办理结果通知书)",
        [
            partial(services.application_approve, application=a.number, actor=hall.handlers[a.matter_version.unit.code])
            for a in handled
        ],
        pdf,
        db,
    )
    results["instant_accept"] = timed("accept 即办件 (two notices)", [accept(n) for n in to_accept_instant], pdf, db)
    notices_stored = ApplicationNotice.objects.count()
    expected = args.warmup + args.applications + 2 * args.others + 2 * args.others
    verdict = "ok" if results["accept"]["p95_ms"] <= TARGET_P95_S * 1000 else "ABOVE TARGET"
    print(
        f"  target accept p95 ≤ {TARGET_P95_S:.0f} s: {verdict}; {notices_stored} notices stored ({expected} expected)"
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        print(out.getvalue())
    summary = {
        "benchmark": "applications_accept",
        "db": db,
        "loadavg_at_start": load_at_start,
        "first_accept_ms": round(cold_ms, 1),
        **results,
        "notices_stored": notices_stored,
        "notices_expected": expected,
        "machine": machine(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"applications-accept-{db}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    if notices_stored != expected:
        sys.exit(f"  MISMATCH: {notices_stored} notices stored, {expected} expected")


if __name__ == "__main__":
    main()
