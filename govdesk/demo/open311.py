"""The demo's Open311 side: a few public services with real-looking questions, and the demo API key.

Idempotent: categories are matched by path, questions by (category, code); the key by name ("demo").
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from govdesk.catalog.models import AttributeDatatype, Category, CategoryAttribute

DEMO_KEY_NAME = "demo"

# Leaves of the shipped tree a citizen's app would offer, with a public description and keywords.
PUBLIC_SERVICES: dict[str, tuple[str, str]] = {
    "城乡建设/城市建设和市政管理/城市公共设施": ("路灯、井盖、护栏、公共座椅等设施损坏", "路灯,井盖,护栏,设施"),
    "城乡建设/城市建设和市政管理/基础设施": ("道路坑洼、塌陷、积水，人行道破损", "道路,坑洼,积水,人行道"),
    "城乡建设/城市建设和市政管理/环境卫生": ("垃圾清运不及时、道路不洁、公厕问题", "垃圾,清扫,公厕"),
    "城乡建设/城市建设和市政管理/园林绿化": ("树木倒伏、绿地损毁、枯枝", "树木,绿化,草坪"),
    "城乡建设/城市建设和市政管理/冬季采暖": ("暖气不热、停暖、管道漏水", "暖气,供暖"),
    "城乡建设/城市建设和市政管理/自来水供应": ("停水、水压低、水质浑浊", "停水,水压,水质"),
    "环境保护/环境污染/噪音污染": ("施工、商铺、车辆噪音扰民", "噪音,扰民,施工"),
    "环境保护/环境污染/大气污染": ("油烟、粉尘、焚烧、异味", "油烟,粉尘,异味"),
    "环境保护/环境污染/水污染": ("河道、排污口污染", "河道,排污"),
}

ATTRIBUTES: dict[str, list[dict[str, Any]]] = {
    "城乡建设/城市建设和市政管理/城市公共设施": [
        {
            "code": "problem",
            "datatype": AttributeDatatype.SINGLEVALUELIST,
            "required": True,
            "order": 1,
            "description": "哪种问题？",
            "values": [
                {"key": "lamp", "name": "路灯不亮"},
                {"key": "manhole", "name": "井盖缺失或破损"},
                {"key": "railing", "name": "护栏损坏"},
                {"key": "other", "name": "其他设施"},
            ],
        },
        {
            "code": "count",
            "datatype": AttributeDatatype.NUMBER,
            "order": 2,
            "description": "数量（如几盏路灯）",
            "datatype_description": "填数字",
        },
    ],
    "城乡建设/城市建设和市政管理/基础设施": [
        {
            "code": "problem",
            "datatype": AttributeDatatype.SINGLEVALUELIST,
            "required": True,
            "order": 1,
            "description": "哪种问题？",
            "values": [
                {"key": "pothole", "name": "坑洼"},
                {"key": "collapse", "name": "塌陷"},
                {"key": "flooding", "name": "积水"},
                {"key": "sidewalk", "name": "人行道破损"},
            ],
        },
        {"code": "area", "datatype": AttributeDatatype.NUMBER, "order": 2, "description": "大约面积（平方米）"},
        {
            "code": "hazard",
            "datatype": AttributeDatatype.MULTIVALUELIST,
            "order": 3,
            "description": "有哪些危险？",
            "values": [
                {"key": "vehicles", "name": "影响车辆通行"},
                {"key": "pedestrians", "name": "影响行人"},
                {"key": "night", "name": "夜间看不清"},
            ],
        },
    ],
    "环境保护/环境污染/噪音污染": [
        {
            "code": "when",
            "datatype": AttributeDatatype.SINGLEVALUELIST,
            "required": True,
            "order": 1,
            "description": "什么时段？",
            "values": [{"key": "day", "name": "白天"}, {"key": "night", "name": "夜间（22:00–6:00）"}],
        },
        {"code": "since", "datatype": AttributeDatatype.DATETIME, "order": 2, "description": "从什么时候开始？"},
    ],
}


@transaction.atomic
def demo_open311_ensure(raw_key: str | None) -> tuple[int, bool]:
    """Mark the demo services public, add their questions, and register `raw_key` as the "demo" key when given.
    Returns (public services, whether a key is registered)."""
    public = 0
    for path, (description, keywords) in PUBLIC_SERVICES.items():
        public += Category.objects.filter(path=path).update(public=True, description=description, keywords=keywords)
    for path, rows in ATTRIBUTES.items():
        category = Category.objects.filter(path=path).first()
        if category is None:
            continue
        for row in rows:
            CategoryAttribute.objects.update_or_create(
                category=category, code=row["code"], defaults={k: v for k, v in row.items() if k != "code"}
            )
    if raw_key:
        from govdesk.open311.services import api_key_ensure

        api_key_ensure(name=DEMO_KEY_NAME, raw_key=raw_key)
    return public, bool(raw_key)
