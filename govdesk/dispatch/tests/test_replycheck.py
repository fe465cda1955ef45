"""The reply check in the workflow: the hook after a reply, the stored assessment, the weak list, mark reviewed,
the API and the pages. Uses the shipped relevance model (a 120 KB artifact in govdesk/dispatch/data/)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from govdesk.audit.models import AuditEvent
from govdesk.dispatch import replycheck
from govdesk.dispatch.core import replycheck as core
from govdesk.dispatch.models import DispatchSettings, ReplyAssessment
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

pytestmark = pytest.mark.django_db

GOOD_REPLY = (
    "经核实，滨河北路与永宁路交叉口的三盏路灯因线路老化不亮。我局已安排维修人员更换线路，目前路灯已恢复正常。"
    "如有疑问请联系李工，联系电话0358-1234567。"
)
PASTED_REPLY = "经劳动监察大队核查，该建筑公司拖欠农民工工资属实，已责令其支付，工资已全部发放到位。咨询电话12345。"
CHECK_URL = "/api/v1/dispatch/replies/check/"
WEAK_URL = "/api/v1/dispatch/replies/weak/"


def _handling(people: Any, district: Any, categories: Any, **kw: Any) -> WorkOrder:
    return make_order(people, district, categories.facilities, Status.HANDLING, **kw)


@pytest.fixture
def reply_with_check(people: Any, django_capture_on_commit_callbacks: Any) -> Callable[[WorkOrder, str], WorkOrder]:
    """Reply as handler_a and run what happens after the commit (the reply check)."""

    def reply(order: WorkOrder, text: str) -> WorkOrder:
        with django_capture_on_commit_callbacks(execute=True):
            services.workorder_reply(order=order, actor=people.handler_a, reply=text)
        return WorkOrder.objects.get(pk=order.pk)

    return reply


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the shipped model ----------------------------------------------------------------------------------------------


def test_the_shipped_model_loads_with_its_held_out_figures() -> None:
    replycheck.reply_check_model_forget()
    model = replycheck.reply_check_model()
    assert model.version.startswith("rc1-")
    assert len(model.idf) > 10000
    holdout = model.metrics["holdout"]
    assert holdout["relevance_auc"] >= 0.9
    assert holdout["weak_share_degenerate"] == 1.0


def test_a_missing_model_falls_back_and_is_logged(settings: Any, tmp_path: Any, caplog: Any) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "REPLYCHECK_MODEL_PATH": str(tmp_path / "absent.json.gz")}
    replycheck.reply_check_model_forget()
    try:
        with caplog.at_level(logging.ERROR, logger="govdesk.dispatch.replycheck"):
            model = replycheck.reply_check_model()
        assert model.version == "fallback"
        assert "cannot load" in caplog.text
        result = core.reply_score(model, request="滨河北路路灯不亮", reply="已处理")
        assert result.is_weak
    finally:
        replycheck.reply_check_model_forget()


# --- the hook -------------------------------------------------------------------------------------------------------


def test_replying_stores_an_assessment_after_commit(
    people: Any, district: Any, categories: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = _handling(people, district, categories)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.workorder_reply(order=order, actor=people.handler_a, reply=GOOD_REPLY)
    assert len(callbacks) == 1
    assert not ReplyAssessment.objects.exists()  # nothing before the commit
    callbacks[0]()
    check = ReplyAssessment.objects.get(case_id=order.pk)
    assert not check.is_weak
    assert check.score >= 0.8
    assert check.relevance >= 0.6
    assert {k: check.elements[k] for k in core.ELEMENTS} == dict.fromkeys(core.ELEMENTS, True)
    assert check.reply_text_sha256 and len(check.reply_text_sha256) == 64
    assert check.explanation == ["答复包含核实情况、处理措施、处理结果和联系方式。"]


def test_a_weak_reply_is_flagged_with_chinese_reasons(
    people: Any, district: Any, categories: Any, reply_with_check: Any
) -> None:
    order = reply_with_check(_handling(people, district, categories), "已处理")
    check = ReplyAssessment.objects.get(case_id=order.pk)
    assert check.is_weak
    assert check.explanation[0] == "答复质量较弱，请在回访前复核。"
    assert "答复过短，未向市民说明具体情况。" in check.explanation
    assert "未说明核实情况。" in check.explanation
    assert "未留联系方式。" in check.explanation


def test_an_unrelated_pasted_reply_is_flagged(
    people: Any, district: Any, categories: Any, reply_with_check: Any
) -> None:
    order = reply_with_check(_handling(people, district, categories), PASTED_REPLY)
    check = ReplyAssessment.objects.get(case_id=order.pk)
    assert check.is_weak
    assert check.completeness >= 0.85
    assert "low_relevance" in check.elements["reasons"]
    assert "答复与市民诉求无关，未回应所反映的问题。" in check.explanation


def test_the_threshold_comes_from_the_dispatch_settings(
    people: Any, district: Any, categories: Any, reply_with_check: Any
) -> None:
    no_contact = "经核实，滨河北路三盏路灯因线路老化不亮，我局已安排更换线路，目前路灯已恢复正常。"
    lenient = reply_with_check(_handling(people, district, categories), no_contact)
    settings_row = DispatchSettings.current()
    settings_row.weak_reply_threshold = Decimal("0.95")
    settings_row.save()
    strict = reply_with_check(_handling(people, district, categories), no_contact)
    first = ReplyAssessment.objects.get(case_id=lenient.pk)
    second = ReplyAssessment.objects.get(case_id=strict.pk)
    assert first.score == second.score < 0.95
    assert not first.is_weak
    assert second.is_weak


def test_the_same_reply_is_not_assessed_twice(
    people: Any, district: Any, categories: Any, reply_with_check: Any
) -> None:
    order = reply_with_check(_handling(people, district, categories), GOOD_REPLY)
    first = ReplyAssessment.objects.get(case_id=order.pk)
    assert replycheck.reply_check_record(order.pk) == first
    assert ReplyAssessment.objects.filter(case_id=order.pk).count() == 1


def test_a_failing_check_never_breaks_the_reply(
    people: Any, district: Any, categories: Any, reply_with_check: Any, monkeypatch: Any, caplog: Any
) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(core, "reply_score", boom)
    with caplog.at_level(logging.ERROR):
        order = reply_with_check(_handling(people, district, categories), GOOD_REPLY)
    assert order.status == Status.REPLIED
    assert order.reply == GOOD_REPLY
    assert not ReplyAssessment.objects.exists()
    assert "reply check failed" in caplog.text


def test_a_hook_that_cannot_even_start_is_logged_not_raised(
    people: Any, district: Any, categories: Any, reply_with_check: Any, monkeypatch: Any, caplog: Any
) -> None:
    def boom(order_pk: int, **kwargs: Any) -> None:
        raise ImportError("dispatch is broken")

    monkeypatch.setattr(replycheck, "reply_check_record", boom)
    with caplog.at_level(logging.ERROR):
        order = reply_with_check(_handling(people, district, categories), GOOD_REPLY)
    assert order.status == Status.REPLIED
    assert "dispatch is broken" in caplog.text


def test_a_rolled_back_reply_is_not_checked(
    people: Any, district: Any, categories: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = _handling(people, district, categories)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(replycheck.PermissionDenied),
    ):
        services.workorder_reply(order=order, actor=people.handler_b, reply=GOOD_REPLY)
    assert callbacks == []
    assert not ReplyAssessment.objects.exists()


# --- weak list and mark reviewed ------------------------------------------------------------------------------------


def test_weak_list_holds_replied_orders_only_and_the_latest_check(
    people: Any, district: Any, categories: Any, reply_with_check: Any
) -> None:
    weak = reply_with_check(_handling(people, district, categories), "已处理")
    good = reply_with_check(_handling(people, district, categories), GOOD_REPLY)
    visited = reply_with_check(_handling(people, district, categories), "收到")
    services.workorder_visit(order=visited, actor=people.operator, resolved=True, satisfaction="satisfied")
    listed = [a.case_id for a in replycheck.reply_assessments_weak(user=people.supervisor)]
    assert listed == [weak.pk]
    assert good.pk not in listed
    # The citizen was not satisfied: 重办, and this time a good reply replaces the weak one.
    services.workorder_visit(order=weak, actor=people.operator, resolved=False, satisfaction="unsatisfied")
    reply_with_check(WorkOrder.objects.get(pk=weak.pk), GOOD_REPLY)
    assert list(replycheck.reply_assessments_weak(user=people.supervisor)) == []
    assert replycheck.reply_assessments_weak(user=people.handler_a).count() == 0


def test_a_supervisor_marks_a_weak_reply_reviewed_and_it_is_audited(
    people: Any, district: Any, categories: Any, reply_with_check: Any
) -> None:
    order = reply_with_check(_handling(people, district, categories), "已处理")
    check = ReplyAssessment.objects.get(case_id=order.pk)
    for outsider in (people.dispatcher, people.handler_a, people.operator):
        with pytest.raises(replycheck.PermissionDenied):
            replycheck.reply_check_mark_reviewed(assessment_id=check.pk, actor=outsider)
    reviewed = replycheck.reply_check_mark_reviewed(assessment_id=check.pk, actor=people.supervisor, note="已电话督促")
    assert reviewed.reviewed_by == people.supervisor
    assert reviewed.reviewed_at is not None
    event = AuditEvent.objects.get(action="reply_check.reviewed")
    assert event.object_id == order.number
    assert event.actor == people.supervisor
    assert "已电话督促" in event.note
    assert list(replycheck.reply_assessments_weak(user=people.supervisor)) == []
    assert len(replycheck.reply_assessments_weak(user=people.supervisor, include_reviewed=True)) == 1
    with pytest.raises(replycheck.InvalidTransition):
        replycheck.reply_check_mark_reviewed(assessment_id=check.pk, actor=people.supervisor)
    with pytest.raises(replycheck.NotFound):
        replycheck.reply_check_mark_reviewed(assessment_id=check.pk + 1000, actor=people.supervisor)


# --- API ------------------------------------------------------------------------------------------------------------


def test_check_api_scores_a_draft_without_storing(people: Any, api_client_for: Any) -> None:
    client = api_client_for(people.handler_a)
    response = client.post(CHECK_URL, {"request": "滨河北路三盏路灯一周不亮", "reply": GOOD_REPLY}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) >= {"score", "relevance", "completeness", "elements", "is_weak", "explanation", "reasons"}
    assert body["elements"] == dict.fromkeys(core.ELEMENTS, True)
    assert body["is_weak"] is False
    assert body["evidence"]["contact"] == "联系电话"
    weak = client.post(CHECK_URL, {"request": "滨河北路三盏路灯一周不亮", "reply": "收到"}, format="json").json()
    assert weak["is_weak"] is True
    assert "答复过短，未向市民说明具体情况。" in weak["explanation"]
    assert not ReplyAssessment.objects.exists()


def test_check_api_speaks_english_when_asked(people: Any, api_client_for: Any) -> None:
    client = api_client_for(people.dispatcher)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.post(CHECK_URL, {"reply": "收到"}, format="json").json()
    assert "The reply is too short to tell the citizen what happened." in body["explanation"]


def test_a_consultation_is_not_asked_what_was_verified(people: Any, api_client_for: Any) -> None:
    client = api_client_for(people.handler_a)
    data = {"request": "外地社保如何转入本市？", "reply": "根据规定，可持身份证到社保中心办理转移手续，咨询电话12345。"}
    plain = client.post(CHECK_URL, data, format="json").json()
    consult = client.post(CHECK_URL, {**data, "request_type": "consultation"}, format="json").json()
    assert "missing_verified" in plain["reasons"]
    assert "missing_verified" not in consult["reasons"]
    assert consult["completeness"] > plain["completeness"]


@pytest.mark.parametrize("who", ["citizen", "sysadmin", "auditor"])
def test_check_api_refuses_other_roles(people: Any, api_client_for: Any, who: str) -> None:
    response = api_client_for(getattr(people, who)).post(CHECK_URL, {"reply": GOOD_REPLY}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_check_api_needs_a_login(db: Any, api_client_for: Any) -> None:
    assert api_client_for(None).post(CHECK_URL, {"reply": GOOD_REPLY}, format="json").status_code in (401, 403)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reply": ""}, "reply"),
        ({"reply": "   "}, "reply"),
        ({}, "reply"),
        ({"reply": "经核实" * 1400}, "reply"),
        ({"reply": "经核实\x07已修复"}, "reply"),
        ({"reply": "经核实\x00已修复"}, "reply"),
        ({"reply": GOOD_REPLY, "request": "路灯\x1b不亮"}, "request"),
        ({"reply": GOOD_REPLY, "request": "路" * 9000}, "request"),
        ({"reply": ["a", "b"]}, "reply"),
    ],
)
def test_check_api_bad_input_is_a_clear_400(people: Any, api_client_for: Any, data: dict[str, Any], field: str) -> None:
    response = api_client_for(people.handler_a).post(CHECK_URL, data, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]


@pytest.mark.parametrize("reply", ["😀😀😀🙏", "Fixed the lamp yesterday, thanks.", "………？？？！！！", "12345678"])
def test_check_api_odd_text_scores_low(people: Any, api_client_for: Any, reply: str) -> None:
    response = api_client_for(people.handler_a).post(
        CHECK_URL, {"request": "滨河北路路灯不亮", "reply": reply}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["is_weak"] is True
    assert response.json()["score"] < 0.3


def test_check_api_rejects_a_body_that_is_not_json(people: Any, api_client_for: Any) -> None:
    response = api_client_for(people.handler_a).post(CHECK_URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_weak_api_lists_for_centre_roles_only(
    people: Any, district: Any, categories: Any, reply_with_check: Any, api_client_for: Any
) -> None:
    order = reply_with_check(_handling(people, district, categories), "已处理")
    for who in ("supervisor", "dispatcher", "operator"):
        response = api_client_for(getattr(people, who)).get(WEAK_URL)
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["order"] for r in results] == [order.number]
    item = results[0]
    assert item["elements"] == {"verified": False, "action": True, "result": False, "contact": False}
    assert item["unit"] == district.dept_a.name
    assert item["replied_at"]
    assert item["reviewed_at"] is None
    for who in ("handler_a", "unit_admin_a", "citizen"):
        assert api_client_for(getattr(people, who)).get(WEAK_URL).status_code == 403
    assert api_client_for(people.supervisor).get(WEAK_URL, {"include_reviewed": "maybe"}).status_code == 400


def test_review_api(people: Any, district: Any, categories: Any, reply_with_check: Any, api_client_for: Any) -> None:
    order = reply_with_check(_handling(people, district, categories), "已处理")
    check = ReplyAssessment.objects.get(case_id=order.pk)
    url = f"/api/v1/dispatch/replies/{check.pk}/review/"
    assert api_client_for(people.dispatcher).post(url, {}, format="json").status_code == 403
    response = api_client_for(people.supervisor).post(url, {"note": "已督促单位补充答复"}, format="json")
    assert response.status_code == 200
    assert response.json()["reviewed_by"] == people.supervisor.username
    assert api_client_for(people.supervisor).post(url, {}, format="json").status_code == 409
    assert (
        api_client_for(people.supervisor).post("/api/v1/dispatch/replies/999999/review/", {}, format="json").status_code
        == 404
    )
    assert api_client_for(people.supervisor).get(WEAK_URL).json()["results"] == []


# --- pages ----------------------------------------------------------------------------------------------------------


def test_detail_page_shows_the_check_to_centre_staff_and_the_replying_unit_only(
    people: Any, district: Any, categories: Any, reply_with_check: Any
) -> None:
    order = reply_with_check(_handling(people, district, categories, citizen_user=people.citizen), "已处理")
    url = reverse("workorders:detail", args=[order.number])
    for who in ("supervisor", "dispatcher", "operator", "handler_a", "unit_admin_a"):
        page = client_for(getattr(people, who)).get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-testid="reply-check"' in html, who
        assert "答复过短，未向市民说明具体情况。" in html
    citizen_page = client_for(people.citizen).get(url)
    assert citizen_page.status_code == 200
    assert 'data-testid="reply-check"' not in citizen_page.content.decode()


def test_supervision_page_lists_weak_replies_and_marks_them_reviewed(
    people: Any, district: Any, categories: Any, reply_with_check: Any
) -> None:
    order = reply_with_check(_handling(people, district, categories), "已处理")
    check = ReplyAssessment.objects.get(case_id=order.pk)
    supervisor = client_for(people.supervisor)
    html = supervisor.get(reverse("workorders:supervision")).content.decode()
    assert 'data-testid="weak-replies"' in html
    assert order.number in html
    review_url = reverse("workorders:reply_check_review", args=[check.pk])
    assert review_url in html
    # Dispatchers see the list but have no button, and cannot post.
    dispatcher_html = client_for(people.dispatcher).get(reverse("workorders:supervision")).content.decode()
    assert order.number in dispatcher_html
    assert review_url not in dispatcher_html
    assert client_for(people.dispatcher).post(review_url, {"note": ""}).status_code == 403
    response = supervisor.post(review_url, {"note": "已复核", "next": reverse("workorders:supervision")})
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.reviewed_by == people.supervisor
    assert order.number not in supervisor.get(reverse("workorders:supervision")).content.decode()
    again = supervisor.post(review_url, {"note": ""})
    assert again.status_code == 409


def test_visit_queue_marks_weak_replies(people: Any, district: Any, categories: Any, reply_with_check: Any) -> None:
    weak = reply_with_check(_handling(people, district, categories), "已处理")
    good = reply_with_check(_handling(people, district, categories), GOOD_REPLY)
    html = client_for(people.operator).get(reverse("workorders:visits")).content.decode()
    assert html.count('data-testid="weak-reply"') == 1
    weak_at = html.index(f'id="order-{weak.number}"')
    good_at = html.index(f'id="order-{good.number}"')
    marker_at = html.index('data-testid="weak-reply"')
    # The queue is ordered by reply time: the weak reply came first, and its marker sits inside its own item.
    assert weak_at < marker_at < good_at
