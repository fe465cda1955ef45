"""Test helpers: a matter with a typical form and materials, published through the service."""

from __future__ import annotations

from typing import Any

from govdesk.matters.models import MatterVersion
from govdesk.matters.services import matter_version_publish

SAMPLE_FIELDS: list[dict[str, Any]] = [
    {"name": "company_name", "label": "企业名称", "type": "text", "required": True, "choices": [], "max_length": 10},
    {"name": "scope", "label": "经营范围", "type": "textarea", "required": False, "choices": []},
    {"name": "area", "label": "面积", "type": "number", "required": True, "choices": []},
    {"name": "start", "label": "开业日期", "type": "date", "required": False, "choices": []},
    {"name": "delivery", "label": "领取方式", "type": "choice", "required": True, "choices": ["窗口领取", "邮寄送达"]},
    {"name": "promise", "label": "承诺", "type": "bool", "required": True, "choices": []},
    {"name": "agree_sms", "label": "短信通知", "type": "bool", "required": False, "choices": []},
    {"name": "phone", "label": "联系电话", "type": "phone", "required": False, "choices": []},
    {"name": "legal_person_id", "label": "法人身份证号", "type": "id_number", "required": False, "choices": []},
    {
        "name": "uscc",
        "label": "统一社会信用代码",
        "type": "text",
        "required": False,
        "choices": [],
        "pattern": r"[0-9A-Z]{18}",
        "help": "18位",
    },
]
SAMPLE_MATERIALS: list[dict[str, Any]] = [
    {"code": "M01", "name": "申请书", "form": "original", "copies": 1, "required": True, "source": "申请人自备"},
    {"code": "M02", "name": "营业执照", "form": "copy", "copies": 1, "required": True, "source": "政府部门核发"},
    {"code": "M03", "name": "授权委托书", "form": "original", "copies": 1, "required": False},
]


def matter_attrs(unit: Any, **overrides: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "name": "食品经营许可（新办）",
        "type": "licensing",
        "unit": unit,
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "conditions": "具有与经营的食品品种、数量相适应的经营场所",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "instant": False,
        "visits": 1,
        "fee": "不收费",
        "fields": SAMPLE_FIELDS,
    }
    attrs.update(overrides)
    return attrs


def make_matter(
    unit: Any, code: str = "141102-01-SJ-0001", materials: list[dict[str, Any]] | None = None, **overrides: Any
) -> MatterVersion:
    return matter_version_publish(
        code=code,
        attrs=matter_attrs(unit, **overrides),
        materials=SAMPLE_MATERIALS if materials is None else materials,
    ).version
