"""The work-order pages through Django's test client: access per role, forms, actions, masking and reveal."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from govdesk.audit.models import AuditEvent
from govdesk.cases.models import Attachment, CaseEvent
from govdesk.common import clock
from govdesk.org.tests.factories import login_verified
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order

pytestmark = pytest.mark.django_db

ALL_PEOPLE = (
    "operator",
    "dispatcher",
    "supervisor",
    "handler_a",
    "handler_b",
    "unit_admin_a",
    "citizen",
    "sysadmin",
    "secadmin",
    "auditor",
)
PAGES = {
    "workorders:console": {"operator", "dispatcher"},
    "workorders:dispatch_queue": {"dispatcher"},
    "workorders:inbox": {"handler_a", "handler_b", "unit_admin_a"},
    "workorders:supervision": {"supervisor", "dispatcher"},
    "workorders:visits": {"operator", "dispatcher"},
    "workorders:list": {"operator", "dispatcher", "supervisor", "handler_a", "handler_b", "unit_admin_a", "citizen"},
}


def client_for(user: Any) -> Client:
    client = Client()
    login_verified(client, user)  # administrators too: a 403 must come from the role, not the second factor
    return client


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def console_data(categories: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "citizen_phone": "13812345678",
        "citizen_name": "王小明",
        "citizen_id_number": "11010519491231002X",
        "request_type": "complaint",
        "urgency": "normal",
        "category": categories.facilities.path,
        "title": "滨河北路路灯不亮",
        "content": "三盏路灯一周不亮。",
        "address": "离石区滨河北路18号",
    }
    data.update(overrides)
    return data


# --- access per role ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("who", ALL_PEOPLE)
def test_each_page_opens_for_its_roles_only(people: Any, categories: Any, page: str, who: str) -> None:
    response = client_for(getattr(people, who)).get(reverse(page))
    expected = 200 if who in PAGES[page] else 403
    assert response.status_code == expected
    if expected == 200:
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_anonymous_visitors_are_sent_to_the_login_page(db: Any, page: str) -> None:
    response = Client().get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_a_forbidden_page_explains_in_chinese(people: Any) -> None:
    response = client_for(people.handler_a).get(reverse("workorders:console"))
    assert response.status_code == 403
    assert "您没有权限打开此页面" in response.content.decode()


# --- operator console ---------------------------------------------------------------------------------------------


def test_console_form_is_keyboard_first(people: Any, categories: Any) -> None:
    body = client_for(people.operator).get(reverse("workorders:console")).content.decode()
    assert 'name="citizen_phone"' in body and "autofocus" in body.split('name="citizen_phone"')[1].split(">")[0]
    assert "data-shortcut-submit" in body and "Ctrl" in body
    assert f'<option value="{categories.facilities.path}">' in body
    assert f'<option value="{categories.branch.path}">' not in body  # only leaves can be chosen
    assert 'data-counter="4000"' in body


def test_console_registers_a_call_and_shows_the_number(people: Any, categories: Any) -> None:
    client = client_for(people.operator)
    upload = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    response = client.post(reverse("workorders:console"), {**console_data(categories), "attachments": [upload]})
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('workorders:console')}?registered={order.number}"
    assert order.channel == "phone" and order.created_by == people.operator and order.status == Status.NEW
    assert Attachment.objects.filter(case_id=order.pk).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert order.number in page and "待派单" in page
    assert 'value="滨河北路路灯不亮"' not in page  # the form is empty again for the next call


def test_console_shows_every_error_in_chinese_keeps_the_input_and_writes_nothing(people: Any, categories: Any) -> None:
    data = console_data(
        categories,
        citizen_phone="12345",
        citizen_id_number="110105194912310021",
        category=categories.branch.path,
        title="",
        content="x" * 4001,
    )
    response = client_for(people.operator).post(reverse("workorders:console"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert WorkOrder.objects.count() == 0 and CaseEvent.objects.count() == 0
    assert not AuditEvent.objects.exclude(action__startswith="auth.").exists()  # the operator's login is recorded
    for message in (
        "请输入有效的电话号码",
        "校验位不正确",
        "请选择最细一级的分类",
        "这个字段是必填项",
        "最多 4000 个字（当前 4001 个）",
    ):
        assert message in body, message
    assert 'value="王小明"' in body and 'value="12345"' in body


def test_console_rejects_a_disguised_attachment_and_still_lists_the_other_errors(people: Any, categories: Any) -> None:
    fake = SimpleUploadedFile("照片.png", b"MZ\x90\x00 this is an executable", content_type="image/png")
    data = {**console_data(categories, title=""), "attachments": [fake]}
    response = client_for(people.operator).post(reverse("workorders:console"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "不是 JPEG/PNG 图片或 PDF 文档" in body and "这个字段是必填项" in body
    assert WorkOrder.objects.count() == 0


def test_console_escapes_typed_text(people: Any, categories: Any) -> None:
    client = client_for(people.operator)
    client.post(reverse("workorders:console"), console_data(categories, title="<b>粗体</b><script>x()</script>"))
    order = WorkOrder.objects.get()
    body = client.get(reverse("workorders:detail", args=[order.number])).content.decode()
    assert "<script>x()</script>" not in body
    assert "&lt;b&gt;粗体&lt;/b&gt;&lt;script&gt;x()&lt;/script&gt;" in body


def test_console_history_lists_the_caller_s_earlier_orders(people: Any, district: Any, categories: Any) -> None:
    earlier = make_order(people, district, categories.facilities, Status.HANDLING)
    other = services.workorder_register(
        actor=people.operator, data=intake(categories.wages, citizen_phone="13900000000")
    )
    client = client_for(people.operator)
    body = client.post(reverse("workorders:console_history"), {"phone": "138 1234 5678"}).content.decode()
    assert earlier.number in body and other.number not in body
    assert "办理中" in body
    assert (
        "没有历史工单" in client.post(reverse("workorders:console_history"), {"phone": "13700000000"}).content.decode()
    )
    assert (
        client_for(people.handler_a).post(reverse("workorders:console_history"), {"phone": "13812345678"}).status_code
        == 403
    )
    # The number travels in the body, never in the URL (where every access log would keep it).
    assert client.get(reverse("workorders:console_history"), {"phone": "13812345678"}).status_code == 405


def test_a_consultation_can_be_answered_directly_from_the_console(people: Any, categories: Any) -> None:
    client = client_for(people.operator)
    response = client.post(reverse("workorders:console"), console_data(categories, request_type="consultation"))
    order = WorkOrder.objects.get()
    page = client.get(response["Location"]).content.decode()
    answer_url = reverse("workorders:action", args=[order.number, "answer"])
    assert answer_url in page
    response = client.post(answer_url, {"answer": "公积金提取请携带身份证到政务大厅办理。", "next": "/console/"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    order.refresh_from_db()
    assert order.status == Status.CLOSED and order.answer.startswith("公积金")


def test_a_complaint_offers_no_direct_answer(people: Any, categories: Any) -> None:
    client = client_for(people.operator)
    response = client.post(reverse("workorders:console"), console_data(categories))
    order = WorkOrder.objects.get()
    assert (
        reverse("workorders:action", args=[order.number, "answer"])
        not in client.get(response["Location"]).content.decode()
    )


# --- dispatcher, unit, supervisor, visits -------------------------------------------------------------------------


def test_dispatch_queue_suggests_the_unit_and_dispatches(people: Any, district: Any, categories: Any) -> None:
    order = services.workorder_register(actor=people.operator, data=intake(categories.wages, address="某小区"))
    client = client_for(people.dispatcher)
    body = client.get(reverse("workorders:dispatch_queue")).content.decode()
    assert order.number in body and "建议承办单位" in body and district.dept_b.name in body
    assert f'<option value="{district.dept_b.code}" selected>' in body
    response = client.post(
        reverse("workorders:action", args=[order.number, "dispatch"]),
        {"unit": district.dept_b.code, "co_units": [district.street.code], "note": "请尽快核实", "next": "/dispatch/"},
    )
    assert response.status_code == 302 and response["Location"] == "/dispatch/"
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.primary_unit == district.dept_b
    assert order.assignments.filter(unit=district.street, is_active=True, role="co").exists()


def test_dispatch_queue_shows_a_return_with_its_reason_and_reviews_it(
    people: Any, district: Any, categories: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.RETURNED)
    client = client_for(people.dispatcher)
    body = client.get(reverse("workorders:dispatch_queue")).content.decode()
    assert "不属于本单位职责" in body and "三定方案" in body
    response = client.post(
        reverse("workorders:action", args=[order.number, "review-return"]),
        {"decision": "approve", "unit": district.street.code, "note": "改派属地街道"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.primary_unit == district.street


def test_approving_a_return_to_the_same_unit_is_refused_with_400(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.RETURNED)
    response = client_for(people.dispatcher).post(
        reverse("workorders:action", args=[order.number, "review-return"]),
        {"decision": "approve", "unit": district.dept_a.code},
    )
    assert response.status_code == 400
    assert "同意退单须改派给其他单位" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.RETURNED


def test_inbox_lists_the_unit_s_orders_with_deadlines_and_signs(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.DISPATCHED)
    overdue = make_order(people, district, categories.greening, Status.HANDLING)
    WorkOrder.objects.filter(pk=overdue.pk).update(due_at=clock.now() - timedelta(hours=1))
    client = client_for(people.handler_a)
    body = client.get(reverse("workorders:inbox")).content.decode()
    assert order.number in body and overdue.number in body
    assert 'class="deadline overdue"' in body and "已超期" in body
    assert client_for(people.handler_b).get(reverse("workorders:inbox")).content.decode().count(order.number) == 0
    response = client.post(reverse("workorders:action", args=[order.number, "sign"]), {"next": "/inbox/"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    order.refresh_from_db()
    assert order.status == Status.HANDLING


def test_a_second_sign_is_a_409_with_a_message_not_a_500(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    response = client_for(people.handler_a).post(reverse("workorders:action", args=[order.number, "sign"]))
    assert response.status_code == 409
    assert "不能执行" in response.content.decode()


def test_another_unit_cannot_see_or_act_on_an_order(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.DISPATCHED)
    client = client_for(people.handler_b)
    assert client.get(reverse("workorders:detail", args=[order.number])).status_code == 403
    assert client.post(reverse("workorders:action", args=[order.number, "sign"])).status_code == 403
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED


def test_a_role_without_the_action_gets_403(people: Any, district: Any, categories: Any) -> None:
    order = services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    response = client_for(people.supervisor).post(
        reverse("workorders:action", args=[order.number, "dispatch"]), {"unit": district.dept_a.code}
    )
    assert response.status_code == 403
    assert "您的角色无权执行此操作" in response.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).status == Status.NEW


def test_unknown_orders_and_actions_are_404(people: Any) -> None:
    client = client_for(people.dispatcher)
    assert client.get(reverse("workorders:detail", args=["20990101000001"])).status_code == 404
    assert client.post(reverse("workorders:action", args=["20990101000001", "fly"])).status_code == 404


def test_a_reply_with_an_empty_text_is_400_in_chinese(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    response = client_for(people.handler_a).post(
        reverse("workorders:action", args=[order.number, "reply"]), {"reply": " "}
    )
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).status == Status.HANDLING


def test_detail_offers_only_the_actions_this_user_may_take_now(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    handler_page = client_for(people.handler_a).get(reverse("workorders:detail", args=[order.number])).content.decode()
    for action in ("reply", "request-extension", "note"):
        assert reverse("workorders:action", args=[order.number, action]) in handler_page
    for action in ("sign", "dispatch", "visit", "supervise"):
        assert reverse("workorders:action", args=[order.number, action]) not in handler_page
    supervisor_page = (
        client_for(people.supervisor).get(reverse("workorders:detail", args=[order.number])).content.decode()
    )
    assert reverse("workorders:action", args=[order.number, "supervise"]) in supervisor_page
    assert reverse("workorders:action", args=[order.number, "reply"]) not in supervisor_page


def test_supervision_lists_overdue_and_extensions_and_urges(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    services.workorder_request_extension(order=order, actor=people.handler_a, working_days=3, reason="需要协调多个部门")
    WorkOrder.objects.filter(pk=order.pk).update(due_at=clock.now() - timedelta(hours=2), is_overdue=True)
    client = client_for(people.supervisor)
    body = client.get(reverse("workorders:supervision")).content.decode()
    assert order.number in body and "需要协调多个部门" in body and "已超期" in body
    response = client.post(reverse("workorders:action", args=[order.number, "urge"]), {"note": "请今日办结"})
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=order.pk).urge_count == 1
    response = client.post(reverse("workorders:action", args=[order.number, "supervise"]), {"note": "列入督办"})
    assert response.status_code == 302
    assert CaseEvent.objects.filter(case_id=order.pk, action="supervise", note="列入督办").exists()


def test_visits_queue_records_the_visit_and_closes(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.REPLIED)
    client = client_for(people.operator)
    body = client.get(reverse("workorders:visits")).content.decode()
    assert order.number in body and "经核实，已于当日修复路灯" in body
    response = client.post(
        reverse("workorders:action", args=[order.number, "visit"]),
        {"resolved": "yes", "satisfaction": "satisfied", "next": "/visits/"},
    )
    assert response.status_code == 302
    detail = client.get(reverse("workorders:detail", args=[order.number])).content.decode()
    assert "已办结" in detail and "回访" in detail


def test_a_visit_without_answers_is_400_and_writes_nothing(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.REPLIED)
    events = CaseEvent.objects.count()
    response = client_for(people.operator).post(reverse("workorders:action", args=[order.number, "visit"]), {})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    assert CaseEvent.objects.count() == events and WorkOrder.objects.get(pk=order.pk).status == Status.REPLIED


# --- list ---------------------------------------------------------------------------------------------------------


def test_order_list_filters_and_only_shows_visible_orders(people: Any, district: Any, categories: Any) -> None:
    mine = make_order(people, district, categories.facilities, Status.HANDLING, title="甲路灯")
    new = services.workorder_register(actor=people.operator, data=intake(categories.wages, title="乙工资"))
    client = client_for(people.dispatcher)
    body = client.get(reverse("workorders:list"), {"status": "new"}).content.decode()
    assert new.number in body and mine.number not in body
    body = client.get(reverse("workorders:list"), {"text": "甲路灯"}).content.decode()
    assert mine.number in body and new.number not in body
    body = client.get(reverse("workorders:list"), {"unit": district.dept_a.code}).content.decode()
    assert mine.number in body and new.number not in body
    handler_body = client_for(people.handler_a).get(reverse("workorders:list")).content.decode()
    assert mine.number in handler_body and new.number not in handler_body


def test_order_list_paginates(people: Any, categories: Any) -> None:
    for i in range(27):
        services.workorder_register(actor=people.operator, data=intake(categories.facilities, title=f"工单{i}"))
    client = client_for(people.dispatcher)
    first = client.get(reverse("workorders:list")).content.decode()
    second = client.get(reverse("workorders:list"), {"page": "2"}).content.decode()
    assert "第 1 页，共 2 页" in first and "第 2 页，共 2 页" in second
    assert first.count('<tr class="') == 25 and second.count('<tr class="') == 2


# --- personal data ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["operator", "dispatcher", "supervisor", "handler_a"])
def test_detail_masks_phone_and_id_for_everyone(people: Any, district: Any, categories: Any, who: str) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    body = client_for(getattr(people, who)).get(reverse("workorders:detail", args=[order.number])).content.decode()
    assert "138****5678" in body and "110105********002X" in body
    assert "13812345678" not in body and "11010519491231002X" not in body
    assert "显示完整号码" in body


def test_a_confidential_reporter_is_hidden_from_the_unit(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING, confidential=True)
    body = client_for(people.handler_a).get(reverse("workorders:detail", args=[order.number])).content.decode()
    assert "王小明" not in body and "王**" in body
    assert "显示完整号码" not in body
    response = client_for(people.handler_a).post(
        reverse("workorders:reveal", args=[order.number]), {"field": "citizen_phone"}
    )
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    refused = AuditEvent.objects.get(action="pii.view")
    assert refused.success is False and refused.actor_id == people.handler_a.pk


def test_reveal_shows_the_full_number_once_and_is_audited(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    client = client_for(people.operator)
    response = client.post(reverse("workorders:reveal", args=[order.number]), {"field": "citizen_id_number"})
    body = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "11010519491231002X" in body and "138****5678" in body
    event = AuditEvent.objects.get(action="pii.view")
    assert event.success is True and event.object_id == order.number and event.note == "citizen_id_number"
    assert "11010519491231002X" not in client.get(reverse("workorders:detail", args=[order.number])).content.decode()


def test_reveal_is_a_post(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    assert client_for(people.operator).get(reverse("workorders:reveal", args=[order.number])).status_code == 405
    assert not AuditEvent.objects.filter(action="pii.view").exists()


# --- attachments --------------------------------------------------------------------------------------------------


def test_a_citizen_gets_the_same_404_for_others_orders_and_unused_numbers(
    people: Any, district: Any, categories: Any
) -> None:
    """Finding 7d of the security review, on the pages: the order, an attachment, an action, a reveal."""
    client = client_for(people.operator)
    upload = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    client.post(reverse("workorders:console"), {**console_data(categories), "attachments": [upload]})
    order = WorkOrder.objects.get()
    attachment = Attachment.objects.get(case_id=order.pk)
    citizen = client_for(people.other_citizen)
    unused = "20260101999999"
    for name, args, method in (
        ("workorders:detail", [], "get"),
        ("workorders:attachment", [attachment.pk], "get"),
        ("workorders:reveal", [], "post"),
        ("workorders:action", ["reopen"], "post"),
    ):
        theirs = getattr(citizen, method)(reverse(name, args=[order.number, *args]))
        nobodys = getattr(citizen, method)(reverse(name, args=[unused, *args]))
        assert (theirs.status_code, name) == (nobodys.status_code, name)
        assert theirs.status_code in (403, 404), name
        if theirs.status_code == 403:  # a role that may never take the action: refused before the order is read
            assert name == "workorders:action"
    assert citizen.get(reverse("workorders:detail", args=[order.number])).status_code == 404
    # Staff keep the distinction: the order exists, it is not theirs.
    assert client_for(people.handler_b).get(reverse("workorders:detail", args=[order.number])).status_code == 403


def test_attachments_download_only_for_those_who_see_the_order(people: Any, district: Any, categories: Any) -> None:
    client = client_for(people.operator)
    upload = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
    client.post(reverse("workorders:console"), {**console_data(categories), "attachments": [upload]})
    order = WorkOrder.objects.get()
    services.workorder_dispatch(order=order, actor=people.dispatcher, unit=district.dept_a)
    attachment = Attachment.objects.get(case_id=order.pk)
    url = reverse("workorders:attachment", args=[order.number, attachment.pk])
    assert url in client.get(reverse("workorders:detail", args=[order.number])).content.decode()
    response = client_for(people.handler_a).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes()  # type: ignore[attr-defined]
    assert client_for(people.handler_b).get(url).status_code == 403
    assert Client().get(url).status_code == 302
