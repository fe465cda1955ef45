"""Contract: phone and ID numbers typed into free text never leave through an anonymous GET, however written.

The orders' text is written straight into the database, as text registered before any check (or imported) would be:
what is tested is the publishing side, in both formats, in every field that carries free text.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from govdesk.cases.models import CaseEvent
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from . import spec
from .conftest import Open311

pytestmark = pytest.mark.django_db

# (as written by a citizen or a unit, what must not appear, what the published text shows)
PERSONAL_NUMBERS = [
    ("+8613800138000", "0013", "+86138****8000"),
    ("138 0013 8000", "0013", "138 **** 8000"),
    ("138-0013-8000", "0013", "138-****-8000"),
    ("138.0013.8000", "0013", "138.****.8000"),
    ("0086 13800138000", "0013", "0086 138****8000"),
    ("86-13800138000", "0013", "86-138****8000"),
    ("(+86)138 0013 8000", "0013", "(+86)138 **** 8000"),
    ("（+86）13800138000", "0013", "（+86）138****8000"),
    ("１３８００１３８０００", "００１３", "１３８****８０００"),
    ("13８0013８000", "0013", "13８****８000"),
    ("138\u200b0013\u200b8000", "0013", "138\u200b****\u200b8000"),
    ("110101 19900307 7571", "19900307", "110101 ******** 7571"),
    ("110101-1990-0307-757X", "1990-0307", "110101-****-****-757X"),
    ("１１０１０１１９９００３０７７５７Ｘ", "１９９００３０７", "１１０１０１********７５７Ｘ"),
    ("0358-1234567", "0358-123", "****-***4567"),
    ("(0358) 123 4567", "123 4", "(****) *** 4567"),
    ("010-87654321", "010-8765", "***-****4321"),
    ("+86 358 1234567", "358 123", "+86 *** ***4567"),
]
# Numbers that are not personal data and must be published as written.
NOT_PERSONAL = [
    "工单20261105000123已转办",
    "2026-11-05 14:30:00",
    "2026年11月5日下午3点",
    "维修费共计13,800元",
    "合计 1380013.80 元",
    "滨河北路138号3单元501室",
    "凤山街道永宁路12号院5号楼2-301",
    "编号 12345678901",
]


ADDRESS = "滨河北路18号3单元501室，联系人电话138 0013 8000"
ADDRESS_PUBLISHED = "滨河北路18号3单元501室，联系人电话138 **** 8000"


def _publish_text(order: WorkOrder, text: str, address: str = ADDRESS) -> None:
    """The text as the order's content, reply (status_notes) and every public timeline note; the address apart (it
    holds at most 200 characters)."""
    WorkOrder.objects.filter(pk=order.pk).update(content=text, address=address, reply=text)
    CaseEvent.objects.filter(case_id=order.pk, is_public=True).update(note=text)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_every_way_of_writing_a_number_is_masked(
    o311: Open311, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace, fmt: str
) -> None:
    order = make_order(people, district, services.facilities, Status.CLOSED)
    text = "；".join(f"联系方式{written}" for written, _hidden, _masked in PERSONAL_NUMBERS)
    _publish_text(order, text)
    for extensions in ("", "true"):
        body = o311.get(f"requests/{order.number}", fmt, extensions=extensions).content.decode("utf-8")
        listed = o311.get("requests", fmt, extensions=extensions).content.decode("utf-8")
        for written, hidden, _masked in PERSONAL_NUMBERS:
            assert hidden not in body, f"{written!r} is published in requests/{order.number}.{fmt}"
            assert hidden not in listed, f"{written!r} is published in requests.{fmt}"
    record = o311.request(order.number, fmt, extensions="true")
    expected = "；".join(f"联系方式{masked}" for _written, _hidden, masked in PERSONAL_NUMBERS)
    for field in ("description", "status_notes"):
        assert spec.text(record[field]) == expected, field
    assert spec.text(record["address"]) == ADDRESS_PUBLISHED
    notes = spec.parse(o311.get(f"requests/{order.number}", fmt, extensions="true"), fmt, "service_requests")[0]
    assert any(expected == spec.text(note.get("description")) for note in _notes(notes["notes"]))


def _notes(value: object) -> list[dict[str, object]]:
    """`notes` is a list in JSON and {"note": [...]} (or one note) as XML parses it."""
    if isinstance(value, dict):
        value = value.get("note", [])
    if isinstance(value, dict):
        value = [value]
    assert isinstance(value, list)
    return value


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_order_numbers_dates_amounts_and_house_numbers_are_left_alone(
    o311: Open311, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace, fmt: str
) -> None:
    order = make_order(people, district, services.facilities, Status.CLOSED)
    text = "；".join(NOT_PERSONAL)
    _publish_text(order, text, address=NOT_PERSONAL[-2])
    record = o311.request(order.number, fmt, extensions="true")
    for field in ("description", "status_notes"):
        assert spec.text(record[field]) == text, field
    assert spec.text(record["address"]) == NOT_PERSONAL[-2]
