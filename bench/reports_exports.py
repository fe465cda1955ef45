"""Export benchmark: the xlsx writer's throughput (rows/s, file size, peak memory) and the monthly PDF's render time.

    .venv/bin/python bench/reports_exports.py                  # 100,000 order rows (the export cap), 3 PDF renders
    .venv/bin/python bench/reports_exports.py --rows 20000 --pdf 1

No database: order rows come from a generator shaped like govdesk.reports.selectors.order_export_rows (real-length
Chinese titles, categories, addresses; three datetimes a row), and the PDF is rendered from the sample overview of
govdesk/reports/tests/sample.py (31 days, the eight rates, breakdowns, one hotspot). It measures the writers only:
reading the orders (one chunked query, 2,000 rows a round trip) comes on top. CPU time is printed beside wall time,
because the machine may be shared. A JSON summary goes to bench/results/reports_exports.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdesk.settings.dev")

TITLES = [
    "滨河北路路灯不亮",
    "小区地下车位捆绑销售",
    "拖欠农民工工资三个月",
    "公交线路调整后出行不便",
    "混凝土搅拌站噪音扰民",
]
CATEGORIES = ["城乡建设/城市建设和市政管理/市政设施", "劳动和社会保障/劳动保障/拖欠工资", "交通运输/公共交通/公交线路"]
STATUSES = ["待派单", "待签收", "办理中", "待回访", "已办结"]


def order_rows(n: int, seed: int = 12345) -> Iterator[list[Any]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    for i in range(n):
        created = start + timedelta(minutes=5 * i)
        yield [
            f"{created:%Y%m%d}{i % 1_000_000:06d}",
            rng.choice(TITLES) + f"（第{i}号）",
            rng.choice(STATUSES),
            "投诉",
            rng.choice(CATEGORIES),
            "电话",
            "一般",
            created,
            created + timedelta(days=1),
            created + timedelta(days=10),
            None if i % 3 else created + timedelta(days=5),
            "区住房和城乡建设局",
            "王*",
            "138****5678",
            f"离石区滨河北路{i % 300}号",
            "否",
            i % 2,
            None,
            "",
            "满意" if i % 3 == 0 else "",
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pdf", type=int, default=3, help="PDF renders (the first one is cold)")
    args = parser.parse_args()

    import django

    django.setup()
    from govdesk.reports import exports, pdf
    from govdesk.reports.tests.sample import sample_report_data
    from govdesk.reports.xlsx import save

    print(f"== xlsx: {args.rows:,} order rows", flush=True)
    wall, cpu = time.perf_counter(), time.process_time()

    def progress(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
        for i, row in enumerate(rows, start=1):
            if i % 20_000 == 0:
                print(f"   {i:,} rows, {time.perf_counter() - wall:.1f} s", flush=True)
            yield row

    wb, written = exports.orders_workbook(progress(order_rows(args.rows)))
    with tempfile.TemporaryFile() as target:
        save(wb, target)
        size = target.seek(0, 2)
    xlsx = {
        "rows": written,
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "bytes": size,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    xlsx["rows_per_cpu_s"] = round(written / max(xlsx["cpu_s"], 1e-9))
    print(f"   {xlsx}", flush=True)

    print(f"== monthly PDF: {args.pdf} renders", flush=True)
    renders = []
    for i in range(args.pdf):
        wall, cpu = time.perf_counter(), time.process_time()
        document, refused = pdf.html_to_pdf(pdf.monthly_html(sample_report_data()))
        renders.append(
            {
                "wall_s": round(time.perf_counter() - wall, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "bytes": len(document),
                "refused_urls": len(refused),
            }
        )
        print(f"   render {i + 1}: {renders[-1]}", flush=True)

    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average": os.getloadavg(),
        "xlsx": xlsx,
        "pdf": renders,
    }
    out = ROOT / "bench" / "results" / "reports_exports.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"== written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
