"""Bad input at intake: every problem reported at once, in words a person understands, and nothing written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import Case, CaseEvent
from govdesk.common.errors import ValidationFailed
from govdesk.common.models import Counter
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.tests.factories import intake

pytestmark = pytest.mark.django_db


def errors_for(data: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as excinfo:
        services.workorder_intake_clean(data)
    assert excinfo.value.status_code == 400
    assert excinfo.value.message  # a human-readable summary
    assert all(messages for messages in excinfo.value.fields.values())
    return excinfo.value.fields


def test_a_valid_intake_is_cleaned(categories: Any) -> None:
    cleaned = services.workorder_intake_clean(
        intake(
            categories.facilities,
            title="  路灯不亮  ",
            citizen_phone="138 1234 5678",
            citizen_id_number="11010519491231002x",
            latitude="37.5178",
            longitude=111.1431,
            content="第一行\n第二行\t缩进",
        )
    )
    assert cleaned.title == "路灯不亮"
    assert cleaned.citizen_phone == "13812345678"
    assert cleaned.citizen_id_number == "11010519491231002X"
    assert (cleaned.latitude, cleaned.longitude) == (Decimal("37.517800"), Decimal("111.143100"))
    assert cleaned.content == "第一行\n第二行\t缩进"
    assert cleaned.channel == "phone" and cleaned.urgency == "normal" and cleaned.confidential is False


def test_category_by_path_or_id(categories: Any) -> None:
    assert services.workorder_intake_clean(intake(categories.facilities.path)).category == categories.facilities
    assert services.workorder_intake_clean(intake(str(categories.facilities.pk))).category == categories.facilities
    assert services.workorder_intake_clean(intake(categories.facilities.pk)).category == categories.facilities


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"content": ""}, "content"),
        ({"content": "   \n  "}, "content"),
        ({"content": None}, "content"),
        ({"content": "长" * 4001}, "content"),
        ({"title": ""}, "title"),
        ({"title": "标" * 201}, "title"),
        ({"address": "址" * 201}, "address"),
        ({"citizen_name": "名" * 51}, "citizen_name"),
        ({"title": "路灯\x00不亮"}, "title"),
        ({"title": "路灯\x1b[31m不亮"}, "title"),
        ({"title": "第一行\n第二行"}, "title"),  # a title is one line
        ({"content": "内容\x00"}, "content"),
        ({"content": "内容\x07响铃"}, "content"),
        ({"content": "内\x85容"}, "content"),  # a C1 control (inside: strip() would drop it at the end)
        ({"address": "滨河\x0b北路"}, "address"),
        ({"citizen_phone": "12345"}, "citizen_phone"),
        ({"citizen_phone": "12812345678"}, "citizen_phone"),  # no mobile prefix 12
        ({"citizen_phone": "1381234567a"}, "citizen_phone"),
        ({"citizen_phone": "138123456789"}, "citizen_phone"),
        ({"citizen_id_number": "110105194912310021"}, "citizen_id_number"),  # bad check digit
        ({"citizen_id_number": "110105194902300025"}, "citizen_id_number"),  # 30 February
        ({"citizen_id_number": "110105189912310021"}, "citizen_id_number"),  # born 1899
        ({"citizen_id_number": "11010519491231002"}, "citizen_id_number"),  # 17 characters
        ({"citizen_id_number": "11010519491231002Y"}, "citizen_id_number"),
        ({"request_type": "gossip"}, "request_type"),
        ({"request_type": None}, "request_type"),
        ({"request_type": ["complaint"]}, "request_type"),
        ({"channel": "telepathy"}, "channel"),
        ({"urgency": "asap"}, "urgency"),
        ({"title": 12345}, "title"),
        ({"content": ["路灯", "不亮"]}, "content"),
        ({"content": {"text": "路灯"}}, "content"),
        ({"citizen_phone": 13812345678}, "citizen_phone"),
        ({"latitude": "abc", "longitude": "111"}, "latitude"),
        ({"latitude": 91, "longitude": 111}, "latitude"),
        ({"latitude": "-90.5", "longitude": 111}, "latitude"),
        ({"latitude": "NaN", "longitude": 111}, "latitude"),
        ({"latitude": "Infinity", "longitude": 111}, "latitude"),
        ({"latitude": [37], "longitude": 111}, "latitude"),
        ({"latitude": 37, "longitude": 181}, "longitude"),
        ({"latitude": 37}, "latitude"),  # latitude without longitude
        ({"longitude": 111}, "latitude"),
        ({"confidential": "yes"}, "confidential"),
        ({"confidential": 1}, "confidential"),
    ],
)
def test_bad_fields(overrides: dict[str, Any], field: str, categories: Any) -> None:
    assert field in errors_for(intake(categories.facilities, **overrides))


@pytest.mark.parametrize(
    "category",
    [None, "", "不存在/的/分类", "999999", 999999, ["城乡建设"], 3.5, "城乡建设/城市建设和市政管理"],
)
def test_unknown_or_non_leaf_category(category: Any, categories: Any) -> None:
    assert "category" in errors_for(intake(category))


def test_an_inactive_category_is_refused(categories: Any) -> None:
    categories.bus.is_active = False
    categories.bus.save()
    assert "category" in errors_for(intake(categories.bus))


def test_the_longest_allowed_content_is_accepted(categories: Any) -> None:
    assert len(services.workorder_intake_clean(intake(categories.facilities, content="长" * 4000)).content) == 4000
    assert len(services.workorder_intake_clean(intake(categories.facilities, title="标" * 200)).title) == 200


def test_a_mobile_with_country_code_and_a_landline_are_accepted(categories: Any) -> None:
    assert (
        services.workorder_intake_clean(intake(categories.facilities, citizen_phone="+86 139 1234 5678")).citizen_phone
        == "13912345678"
    )
    assert (
        services.workorder_intake_clean(intake(categories.facilities, citizen_phone="0358-8221234")).citizen_phone
        == "0358-8221234"
    )
    assert services.workorder_intake_clean(intake(categories.facilities, citizen_phone="")).citizen_phone == ""
    assert services.workorder_intake_clean(intake(categories.facilities, citizen_id_number="")).citizen_id_number == ""


def test_format_characters_are_text_not_controls(categories: Any) -> None:
    """U+200D (zero-width joiner in emoji) and U+00A0 are Unicode format or space characters, not controls: XML 1.0
    carries them, they are escaped on display, and people paste them from phones (emoji sequences, Arabic or Uyghur
    text). They are kept; a bidi override (U+202E) is dropped (it makes stored text read differently from what it is);
    C0/C1 controls, surrogates and non-characters are refused."""
    text = "路灯不亮\u202e反向 👨\u200d👩\u200d👧 nbsp\u00a0"
    cleaned = services.workorder_intake_clean(intake(categories.facilities, title=text, content=text))
    expected = "路灯不亮反向 👨\u200d👩\u200d👧 nbsp"
    assert cleaned.title == expected and cleaned.content == expected
    for bad in ("\ud800", "\ufffe", "\uffff", "\x7f", "\x9f"):
        assert "content" in errors_for(intake(categories.facilities, content=f"内容{bad}"))


def test_every_problem_is_reported_at_once(categories: Any) -> None:
    fields = errors_for(
        {
            "channel": "pigeon",
            "request_type": "gossip",
            "category": "nowhere",
            "urgency": "asap",
            "title": "",
            "content": "x" * 4001,
            "address": 7,
            "latitude": "abc",
            "longitude": 999,
            "citizen_name": "名" * 51,
            "citizen_phone": "12345",
            "citizen_id_number": "110105194912310021",
            "confidential": "no",
        }
    )
    assert set(fields) == {
        "channel",
        "request_type",
        "category",
        "urgency",
        "title",
        "content",
        "address",
        "latitude",
        "longitude",
        "citizen_name",
        "citizen_phone",
        "citizen_id_number",
        "confidential",
    }


def test_a_refused_registration_writes_nothing(people: Any, categories: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.workorder_register(actor=people.operator, data=intake(categories.facilities, content=""))
    assert (WorkOrder.objects.count(), Case.objects.count(), CaseEvent.objects.count()) == (0, 0, 0)
    assert (AuditEvent.objects.count(), Counter.objects.count()) == (0, 0)


def test_text_is_stored_as_text(people: Any, categories: Any) -> None:
    markup = "<script>alert('x')</script> & \"引号\" ' ; DROP TABLE cases_case; --"
    order = services.workorder_register(
        actor=people.operator, data=intake(categories.facilities, title=markup[:200], content=markup)
    )
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert fresh.title == markup and fresh.content == markup
