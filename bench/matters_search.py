"""Matter catalogue search at city-catalogue scale: p50/p95 of `matter_search` over 10,000 matters.

    .venv/bin/python bench/matters_search.py                       # a fresh temporary SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/govdesk_bench .venv/bin/python bench/matters_search.py
    BENCH=bench/matters_search.py bench/run_pg.sh                  # a throwaway PostgreSQL

Generates the matters (names composed from realistic subjects and actions, so name and pinyin queries hit tens to
hundreds of rows, as a clerk's do), then times name-substring and pinyin-initial queries as the window counter sends
them. Target: p95 ≤ 50 ms. The PostgreSQL database named by DATABASE_URL is migrated and its catalogue replaced.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUBJECTS = [
    "营业执照",
    "食品经营许可",
    "个体工商户",
    "社会保险",
    "失业保险金",
    "就业登记",
    "结婚登记",
    "最低生活保障",
    "临时救助",
    "养老服务补贴",
    "施工许可",
    "商品房预售",
    "道路运输",
    "出租汽车",
    "医师执业",
    "出生医学证明",
    "民办学校",
    "教师资格",
    "户口迁移",
    "居住证",
    "不动产",
    "建设工程规划",
    "排污许可",
    "户外广告",
    "占用城市道路",
    "娱乐场所",
    "烟花爆竹",
    "宅基地",
    "取水许可",
    "单用途预付卡",
    "企业投资项目",
    "法律援助",
    "代理记账",
]
ACTIONS = ["设立登记", "变更登记", "注销登记", "核发", "延续", "补领", "备案", "审批", "申领", "认定", "换发", "查询"]
QUALIFIERS = ["", "（新办）", "（变更）", "（延续）", "（告知承诺）", "（分支机构）", "（个人）", "（单位）"]
NAME_QUERIES = ["营业执照", "许可", "登记", "食品经营", "补领", "社会保险", "结婚", "不动产", "城市道路", "变更"]
PINYIN_QUERIES = ["yyzz", "spjy", "xk", "dj", "shbx", "jhdj", "bdc", "csdl", "bl", "zxdj"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default=None, help="default: from DATABASE_URL")
    parser.add_argument("--matters", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30, help="times each query is repeated")
    parser.add_argument("--limit", type=int, default=20, help="results per search, as the counter asks")
    args = parser.parse_args()
    print(f"loadavg at start: {Path('/proc/loadavg').read_text().strip()}" if Path("/proc/loadavg").exists() else "")
    os.environ["DJANGO_SETTINGS_MODULE"] = "govdesk.settings.bench"
    postgres = args.db or ("postgres" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite")
    tmp = None
    if postgres == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        tmp = tempfile.mkdtemp(prefix="govdesk-bench-matters-")
        os.environ["GOVDESK_VAR_DIR"] = tmp
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--db postgres needs DATABASE_URL=postgres://…")
    try:
        run(args)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from govdesk.matters.models import Matter, MatterMaterial, MatterVersion
    from govdesk.matters.selectors import matter_search
    from govdesk.matters.services import pinyin_initials
    from govdesk.org.models import Unit, UnitKind

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(11)
    started = time.perf_counter()
    with transaction.atomic():
        MatterMaterial.objects.all().delete()
        Matter.objects.update(current_version=None)
        MatterVersion.objects.all().delete()
        Matter.objects.all().delete()
        units = [
            Unit.objects.get_or_create(
                code=f"BENCH-{n:02d}", defaults={"name": f"部门{n}", "kind": UnitKind.DEPARTMENT}
            )[0]
            for n in range(30)
        ]
        matters = []
        for n in range(args.matters):
            name = f"{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}{rng.choice(QUALIFIERS)}"
            matters.append(
                Matter(code=f"BENCH-{n:06d}", name=name, pinyin_initials=pinyin_initials(name), unit=rng.choice(units))
            )
        Matter.objects.bulk_create(matters, batch_size=1000)
        matters = list(Matter.objects.filter(code__startswith="BENCH-").order_by("code"))
        versions = [
            MatterVersion(
                matter=m,
                version=1,
                name=m.name,
                type="licensing",
                unit_id=m.unit_id,
                legal_limit_days=20,
                promised_limit_days=5,
                is_published=True,
            )
            for m in matters
        ]
        MatterVersion.objects.bulk_create(versions, batch_size=1000)
        by_matter = {v.matter_id: v.pk for v in MatterVersion.objects.only("pk", "matter_id")}
        for m in matters:
            m.current_version_id = by_matter[m.pk]
        Matter.objects.bulk_update(matters, ["current_version"], batch_size=1000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"{connection.vendor}: {args.matters:,} matters generated in {time.perf_counter() - started:.1f} s")

    for label, queries in (("name", NAME_QUERIES), ("pinyin", PINYIN_QUERIES)):
        for query in queries:
            matter_search(query, args.limit)  # warm-up: plans and caches, as on a server that has run a while
        timings, hits = [], []
        for _round in range(args.rounds):
            for query in queries:
                t0 = time.perf_counter()
                found = matter_search(query, args.limit)
                timings.append((time.perf_counter() - t0) * 1000)
                hits.append(len(found))
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        verdict = "ok" if p95 <= 50 else "ABOVE TARGET"
        print(
            f"  {label:7} {len(timings):5} searches  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {timings[-1]:6.2f} ms"
            f"  ({min(hits)}–{max(hits)} results)  target p95 ≤ 50 ms: {verdict}"
        )


if __name__ == "__main__":
    main()
