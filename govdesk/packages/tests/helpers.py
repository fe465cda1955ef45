"""Test helpers: a small birth package (certificate → registration, plus an optional insurance matter) published
through the services, for the catalogue's tests and the package applications' tests alike."""

from __future__ import annotations

from typing import Any

from govdesk.matters.models import MatterVersion
from govdesk.matters.services import matter_version_publish
from govdesk.packages.catalogue import package_merged_form, package_version_publish
from govdesk.packages.models import PackageVersion

CERTIFICATE = "141102-09-WJ-0007"
REGISTRATION = "141102-09-GA-0001"
INSURANCE = "141102-21-YB-0001"

BABY = {"name": "baby_name", "label": "新生儿姓名", "type": "text", "required": True, "choices": [], "max_length": 20}
BIRTH_DATE = {"name": "birth_date", "label": "出生日期", "type": "date", "required": True, "choices": []}
PROMISE = {"name": "promise", "label": "承诺", "type": "bool", "required": True, "choices": []}
MOTHER = {"name": "mother_id_number", "label": "母亲身份证号", "type": "id_number", "required": True, "choices": []}


def _matter(
    code: str, name: str, unit: Any, fields: list[dict[str, Any]], materials: list[dict[str, Any]]
) -> MatterVersion:
    attrs = {
        "name": name,
        "type": "public_service",
        "unit": unit,
        "legal_limit_days": 5,
        "promised_limit_days": 3,
        "fields": fields,
    }
    full = [{"form": "original", "copies": 1, **m} for m in materials]
    return matter_version_publish(code=code, attrs=attrs, materials=full).version


def birth_matters(unit_a: Any, unit_b: Any, *, registration_baby_max: int = 20) -> list[MatterVersion]:
    certificate = _matter(
        CERTIFICATE,
        "出生医学证明首次签发",
        unit_a,
        [BABY, BIRTH_DATE, MOTHER, PROMISE],
        [
            {"code": "M01", "name": "父母身份证", "required": True},
            {"code": "M02", "name": "分娩记录", "required": True},
        ],
    )
    registration = _matter(
        REGISTRATION,
        "出生登记",
        unit_b,
        [
            {**BABY, "max_length": registration_baby_max},
            BIRTH_DATE,
            PROMISE,
            {"name": "household", "label": "落户地址", "type": "text", "required": True, "choices": []},
        ],
        [
            {"code": "M01", "name": "父母身份证", "required": True},
            {"code": "M02", "name": "居民户口簿", "required": True},
        ],
    )
    insurance = _matter(
        INSURANCE,
        "城乡居民基本医疗保险参保登记",
        unit_b,
        [BABY, {"name": "payer_phone", "label": "缴费人电话", "type": "phone", "required": True, "choices": []}],
        [{"code": "M01", "name": "居民户口簿", "required": True}, {"code": "M02", "name": "委托书", "required": False}],
    )
    return [certificate, registration, insurance]


WANT_INSURANCE = {"name": "want_insurance", "label": "办理医保参保", "type": "bool", "required": False, "choices": []}


def birth_package_data(versions: list[MatterVersion], lead_unit: Any) -> dict[str, Any]:
    """The arguments of package_version_publish for the three matters, built with package_merged_form."""
    condition = {"field": "want_insurance", "equals": True}
    merged = package_merged_form(versions, conditions={INSURANCE: condition})
    fields = merged["fields"] + [WANT_INSURANCE]
    items = [
        {"matter": CERTIFICATE, "field_map": merged["field_maps"][CERTIFICATE]},
        {"matter": REGISTRATION, "depends_on": [CERTIFICATE], "field_map": merged["field_maps"][REGISTRATION]},
        {
            "matter": INSURANCE,
            "depends_on": [REGISTRATION],
            "condition": condition,
            "field_map": merged["field_maps"][INSURANCE],
        },
    ]

    return {
        "code": "BIRTH",
        "attrs": {
            "name": "新生儿出生一件事",
            "life_event": "birth",
            "lead_unit": lead_unit,
            "promised_limit_days": 10,
            "fields": fields,
        },
        "items": items,
        "materials": merged["materials"],
    }


def make_birth_package(unit_a: Any, unit_b: Any, **kwargs: Any) -> PackageVersion:
    versions = birth_matters(unit_a, unit_b, **kwargs)
    return package_version_publish(**birth_package_data(versions, unit_a)).version
