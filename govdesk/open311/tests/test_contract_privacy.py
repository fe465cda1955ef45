"""Contract: no personal data in any output; text XML 1.0 cannot carry is refused at input and never breaks output."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from govdesk.common.validators import clean_text
from govdesk.workorders import services as wo
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import VALID_INTAKE, intake, make_order

from . import spec
from .conftest import VALID_ANSWERS, Open311

pytestmark = pytest.mark.django_db

CITIZEN = {
    "first_name": "小明",
    "last_name": "欧阳",
    "email": "ouyang.xm@example.com",
    "phone": "13987654321",
    "device_id": "device-7f3a9c",
    "account_id": "acct-5521",
}
SECRETS = [
    *CITIZEN.values(),
    "欧阳小明",
    "13987654321",
    VALID_INTAKE["citizen_name"],
    VALID_INTAKE["citizen_phone"],
    VALID_INTAKE["citizen_id_number"],
    "赵承办",
]


def every_output(o311: Open311, numbers: list[str], token: str | None = None) -> list[tuple[str, Any]]:
    """Each public document that could mention these orders, in both formats, with and without extensions."""
    outputs = []
    for fmt in spec.FORMATS:
        for extensions in ("", "true"):
            outputs.append((f"requests.{fmt}", o311.get("requests", fmt, extensions=extensions)))
            outputs.append(
                (
                    f"requests.{fmt}?ids",
                    o311.get("requests", fmt, service_request_id=",".join(numbers), extensions=extensions),
                )
            )
            for number in numbers:
                outputs.append((f"requests/{number}.{fmt}", o311.get(f"requests/{number}", fmt, extensions=extensions)))
        outputs.append((f"services.{fmt}", o311.get("services", fmt)))
        outputs.append((f"discovery.{fmt}", o311.get("discovery", fmt)))
        if token is not None:
            outputs.append((f"tokens/{token}.{fmt}", o311.get(f"tokens/{token}", fmt)))
    return outputs


def test_no_personal_data_in_any_output(
    o311: Open311, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace
) -> None:
    people.handler_a.first_name, people.handler_a.last_name = "承办", "赵"
    people.handler_a.save()
    posted = o311.create(services.facilities, description="井盖丢了", **CITIZEN)
    # An order from the hotline, whose caller also typed their own phone number and name into the text.
    phoned = make_order(
        people,
        district,
        services.facilities,
        Status.CLOSED,
        content=f"我是{VALID_INTAKE['citizen_name']}，电话{VALID_INTAKE['citizen_phone']}，小区路灯坏了。",
    )
    numbers = [posted, phoned.number]
    for name, response in every_output(o311, numbers):
        assert response.status_code == 200, name
        body = response.content.decode("utf-8")
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} appears in {name}"
    assert o311.request(posted, extensions="true")["extended_attributes"]["channel"] == "open311"


def test_personal_data_posted_is_kept_for_the_centre(o311: Open311, services: SimpleNamespace) -> None:
    """Not published, but not lost: the operator calls the citizen back."""
    number = o311.create(services.facilities, **CITIZEN)
    order = WorkOrder.objects.get(number=number)
    assert order.citizen_phone == "13987654321"
    assert "小明" in order.citizen_name


ODD_BUT_LEGAL = (
    "第一行\r\n第二行\t制表 <b>&amp;</b> \"引号\" 'single' ]]> 🚧 \ufeff零宽\u200d连接 \u2028行分隔 \u00a0不换行空格"
)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_odd_but_legal_characters_survive_both_formats(
    o311: Open311, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace, fmt: str
) -> None:
    """Registered through the hotline with text that looks like markup, emoji and Unicode separators."""
    order = wo.workorder_register(actor=people.operator, data=intake(services.facilities, content=ODD_BUT_LEGAL))
    record = o311.request(order.number, fmt)
    # Stored as every input is cleaned: the byte-order mark and the joiner between two Han characters mean nothing.
    expected = clean_text(ODD_BUT_LEGAL)
    assert "\ufeff" not in expected and "\u200d" not in expected and "\u2028" in expected
    if fmt == "xml":
        expected = expected.replace("\r\n", "\n")  # XML parsers normalise line ends
    assert record["description"].replace("\r\n", "\n") == expected.replace("\r\n", "\n")


def test_control_characters_in_stored_text_never_break_the_xml(
    o311: Open311, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace
) -> None:
    """Text written before validation existed (or imported) may hold what XML 1.0 cannot carry."""
    order = make_order(people, district, services.facilities, Status.CLOSED)
    bad = "旧数据\x01\x08\x0b\x0c\x1b\x7f\ufffe\uffff结束"  # (PostgreSQL cannot store NUL at all)
    WorkOrder.objects.filter(pk=order.pk).update(content=bad, address=f"地址{bad}", reply=f"答复{bad}")
    for extensions in ("", "true"):
        xml = o311.get(f"requests/{order.number}", "xml", extensions=extensions)
        assert xml.status_code == 200
        root = spec.xml_root(xml.content)
        description = root.find("request/description")
        assert description is not None and description.text is not None
        assert description.text.startswith("旧数据") and description.text.endswith("结束")
        listed = o311.get("requests", "xml", extensions=extensions)
        spec.xml_root(listed.content)
        data = json.loads(o311.get(f"requests/{order.number}", "json", extensions=extensions).content)
        assert data[0]["description"].startswith("旧数据")


@pytest.mark.parametrize("fmt", spec.FORMATS)
@pytest.mark.parametrize("field", ["description", "address_string", "first_name", "attribute[details]", "media_url"])
@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x1f", "\x7f", "\ufffe"])
def test_control_characters_are_refused_at_input(
    o311: Open311, services: SimpleNamespace, fmt: str, field: str, char: str
) -> None:
    body = {
        "service_code": o311.code(services.facilities),
        "address_string": "滨河北路",
        "description": "路灯不亮",
        **VALID_ANSWERS,
    }
    body[field] = f"http://example.com/a{char}.jpg" if field == "media_url" else f"坏{char}字符"
    errors = spec.check_errors(o311.post(fmt, body), fmt, 400)
    assert all(char not in e["description"] for e in errors)
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_control_characters_in_query_and_path_are_answered_not_crashed(o311: Open311, fmt: str) -> None:
    assert o311.get("requests/abc\x0bdef", fmt).status_code == 404
    assert o311.get("services/1\x00", fmt).status_code == 404
    spec.check_errors(o311.get("requests", fmt, status="open\x1b"), fmt, 400)
    spec.check_errors(o311.get("requests", fmt, service_code="1\x00"), fmt, 400)


def test_unpublished_orders_leave_no_trace(
    o311: Open311, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace
) -> None:
    internal = make_order(people, district, services.wages, Status.CLOSED, content="拖欠工资三个月，老板跑了")
    secret = make_order(people, district, services.facilities, Status.NEW, confidential=True, content="举报违建内容")
    for fmt in spec.FORMATS:
        body = o311.get("requests", fmt, extensions="true").content.decode()
        for order in (internal, secret):
            assert order.number not in body
        assert "拖欠工资" not in body and "举报违建" not in body
