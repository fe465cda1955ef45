"""A statistics overview shaped like GET /api/v1/stats/overview/ (the statistics contract), for the pure writers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

RATE_KEYS = (
    "sign_on_time",
    "finish_on_time",
    "response",
    "resolution",
    "satisfaction",
    "return",
    "repeat_call",
    "visit",
)
LABELS = ("按时签收率", "按时办结率", "响应率", "解决率", "满意率", "退单率", "重复来电率", "回访率")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sample_overview() -> dict[str, Any]:
    parts = {key: {"numerator": 7 + i, "denominator": 20} for i, key in enumerate(RATE_KEYS)}
    rates: dict[str, float | None] = {k: v["numerator"] / v["denominator"] for k, v in parts.items()}
    rates["visit"] = None
    parts["visit"] = {"numerator": 0, "denominator": 0}
    series = [
        {"period": date(2026, 10, d).isoformat(), "label": f"10-{d:02d}", "total": d % 7, "closed": d % 3}
        for d in range(1, 32)
    ]
    return {
        "filters": {
            "date_from": "2026-10-01",
            "date_to": "2026-10-31",
            "unit": None,
            "category": None,
            "type": None,
            "channel": None,
        },
        "granularity": "day",
        "total": 93,
        "rates": rates,
        "rate_parts": parts,
        "rate_definitions": [
            {"key": k, "label": label, "formula": f"{label}的分子 / 分母 <&>"}
            for k, label in zip(RATE_KEYS, LABELS, strict=True)
        ],
        "previous": {
            "date_from": "2026-09-01",
            "date_to": "2026-09-30",
            "total": 80,
            "rates": {k: 0.5 for k in RATE_KEYS},
        },
        "change": {
            "total": 0.1625,
            "rates": {k: (None if (v := rates[k]) is None else v - 0.5) for k in RATE_KEYS},
        },
        "series": series,
        "by_channel": [{"key": "phone", "label": "电话", "total": 60}, {"key": "web", "label": "网站", "total": 33}],
        "by_type": [{"key": "complaint", "label": "投诉", "total": 50}, {"key": "help", "label": "求助", "total": 43}],
        "by_category": [
            {"key": "城乡建设", "label": "城乡建设", "total": 70},
            {"key": "劳动和社会保障", "label": "劳动和社会保障", "total": 23},
        ],
        "by_unit": [{"key": "LS-ZJ", "label": "区住建局", "total": 70, "rates": rates}],
        "by_street": [{"key": "LS-BH", "label": "滨河街道", "total": 12}],
        "by_status": [
            {"key": "handling", "label": "办理中", "total": 40},
            {"key": "closed", "label": "已办结", "total": 53},
        ],
        "overdue": {
            "total": 1,
            "items": [
                {
                    "number": "20261001000001",
                    "title": '=HYPERLINK("http://evil","x")',
                    "unit": "区住建局",
                    "due_at": "2026-10-10T09:00:00+08:00",
                }
            ],
        },
        "due_soon": {"total": 0, "items": []},
    }


def sample_report_data() -> dict[str, Any]:
    now = datetime(2026, 11, 2, 9, 30, tzinfo=SHANGHAI)
    return {
        "month": date(2026, 10, 1),
        "month_label": "2026年10月",
        "month_code": "2026-10",
        "date_from": date(2026, 10, 1),
        "date_to": date(2026, 10, 31),
        "overview": sample_overview(),
        "closed": 31,
        "assessment": None,
        "hotspots": [
            {
                "keywords": ["停车位", "捆绑销售"],
                "place": "滨河街道",
                "size": 12,
                "previous_size": 3,
                "examples": [{"number": "20261005000003", "title": "伊景园滨河苑车位捆绑销售"}],
            }
        ],
        "generated_at": now,
        "cut_off": now,
    }
