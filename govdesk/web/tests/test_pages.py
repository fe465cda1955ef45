"""Login, language, home redirects and the public citizen pages, through Django's test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from captcha.models import CaptchaStore
from django.core.cache import cache
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from govdesk.org.tests.factories import TEST_PASSWORD, login_verified
from govdesk.web.forms import PublicSubmitForm
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate-limit counters live in the cache; every test starts with none.
    cache.clear()


def client_for(user: Any) -> Client:
    client = Client()
    login_verified(client, user)  # administrators too: what they see after their second factor
    return client


# --- language -----------------------------------------------------------------------------------------------------


def test_pages_are_chinese_by_default_even_for_an_english_browser(db: Any) -> None:
    response = Client().get(reverse("web:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in body
    assert "登录" in body
    assert "Log in" not in body


def test_the_language_switch_turns_the_interface_english_and_back(db: Any) -> None:
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    body = client.get(reverse("web:login")).content.decode()
    assert '<html lang="en">' in body and "Log in" in body
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    assert "登录" in client.get(reverse("web:login")).content.decode()


def test_an_unknown_language_cookie_falls_back_to_chinese(db: Any) -> None:
    client = Client()
    client.cookies["django_language"] = "xx"
    assert '<html lang="zh-hans">' in client.get(reverse("web:login")).content.decode()


# --- login, logout, home ------------------------------------------------------------------------------------------


def test_login_with_the_right_password_lands_on_the_role_page(people: Any) -> None:
    client = Client()
    response = client.post(reverse("web:login"), {"username": "dispatcher", "password": TEST_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("workorders:dispatch_queue")
    assert response.status_code == 200


def test_login_with_a_wrong_password_says_so_in_chinese(people: Any) -> None:
    response = Client().post(reverse("web:login"), {"username": "operator", "password": "wrong-password"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_five_failed_logins_lock_the_account_with_a_message(people: Any) -> None:
    client = Client()
    for _attempt in range(5):
        client.post(reverse("web:login"), {"username": "operator", "password": "wrong-password"})
    response = client.post(reverse("web:login"), {"username": "operator", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_ends_the_session(people: Any) -> None:
    client = client_for(people.operator)
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert client.get(reverse("workorders:console")).status_code == 302


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("operator", "workorders:console"),
        ("dispatcher", "workorders:dispatch_queue"),
        ("supervisor", "workorders:supervision"),
        ("handler_a", "workorders:inbox"),
        ("unit_admin_a", "workorders:inbox"),
        ("citizen", "workorders:list"),
    ],
)
def test_home_redirects_each_role_to_its_main_page(people: Any, who: str, page: str) -> None:
    response = client_for(getattr(people, who)).get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse(page)


def test_home_for_an_anonymous_visitor_is_the_login_page(db: Any) -> None:
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"] == reverse("web:login")


def test_home_for_an_administrator_has_no_work_order_pages(people: Any) -> None:
    response = client_for(people.auditor).get("/")
    assert response.status_code == 200
    assert "没有工单页面" in response.content.decode()


def test_navigation_shows_only_the_role_s_pages(people: Any) -> None:
    body = client_for(people.handler_a).get(reverse("workorders:inbox")).content.decode()
    assert reverse("workorders:inbox") in body
    assert reverse("workorders:console") not in body
    assert reverse("workorders:dispatch_queue") not in body
    assert "承办人" in body


# --- public submit ------------------------------------------------------------------------------------------------


def _captcha(client: Client) -> tuple[dict[str, str], Any]:
    response = client.get(reverse("web:public_submit"))
    assert response.status_code == 200
    match = re.search(r'name="captcha_0" value="([0-9a-f]+)"', response.content.decode())
    assert match, "the form has a captcha"
    key = match.group(1)
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}, response


def _submission(categories: Any, **overrides: str) -> dict[str, str]:
    # No category: citizens never see the tree (the system proposes one; see test_public_submit_topics.py).
    return {
        "request_type": "complaint",
        "title": "小区门口路灯不亮",
        "content": "永宁路小区门口的路灯坏了两周，晚上很黑。",
        "address": "离石区永宁路5号",
        "citizen_name": "李四",
        "citizen_phone": "13912340001",
        **overrides,
    }


def test_public_submit_with_the_right_captcha_creates_an_order(categories: Any) -> None:
    client = Client()
    captcha, page = _captcha(client)
    assert page["Cache-Control"].count("no-store") == 1
    response = client.post(reverse("web:public_submit"), {**_submission(categories), **captcha})
    assert response.status_code == 200
    order = WorkOrder.objects.get()
    assert order.channel == "web" and order.created_by is None and order.citizen_phone == "13912340001"
    body = response.content.decode()
    assert order.number in body
    assert "0001" in body and "后4位" in body


def test_public_submit_with_a_wrong_captcha_creates_nothing(categories: Any) -> None:
    client = Client()
    captcha, _page = _captcha(client)
    captcha["captcha_1"] = "wrong"
    response = client.post(reverse("web:public_submit"), {**_submission(categories), **captcha})
    assert response.status_code == 400
    assert WorkOrder.objects.count() == 0
    assert "认证码错误" in response.content.decode()


def test_public_submit_lists_every_problem_in_chinese_and_keeps_the_text(categories: Any) -> None:
    client = Client()
    captcha, _page = _captcha(client)
    data = {**_submission(categories, citizen_phone="", topic="no-such-topic", title=""), **captcha}
    response = client.post(reverse("web:public_submit"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert WorkOrder.objects.count() == 0
    assert "请填写您的电话号码" in body
    with translation.override("zh-hans"):
        assert escape(str(PublicSubmitForm.base_fields["topic"].error_messages["invalid_choice"])) in body
    assert "这个字段是必填项" in body or "此字段为必填项" in body
    assert "永宁路小区门口的路灯坏了两周" in body


def test_public_submit_escapes_what_the_citizen_typed(categories: Any) -> None:
    client = Client()
    captcha, _page = _captcha(client)
    data = {**_submission(categories, title="<script>alert(1)</script>", citizen_phone=""), **captcha}
    body = client.post(reverse("web:public_submit"), data).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_public_submit_is_rate_limited_by_address(categories: Any) -> None:
    client = Client()
    with override_settings(GOVDESK={"PUBLIC_SUBMIT_RATE": "2/h", "PUBLIC_TRACK_RATE": "1000/h"}):
        statuses = [client.post(reverse("web:public_submit"), {"title": "x"}).status_code for _ in range(3)]
        # The form itself still opens: only submissions are counted.
        assert client.get(reverse("web:public_submit")).status_code == 200
    assert statuses == [400, 400, 429]
    assert WorkOrder.objects.count() == 0


# --- public track -------------------------------------------------------------------------------------------------


def test_tracking_with_number_and_last_digits_shows_status_and_public_timeline_only(
    people: Any, district: Any, categories: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    response = Client().post(reverse("web:public_track"), {"number": order.number, "phone_last4": "5678"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "办理中" in body and district.dept_a.name in body
    assert "已签收" in body  # the public timeline
    for personal in ("13812345678", "138****5678", "王小明", "11010519491231002X", order.address):
        assert personal not in body
    assert response["Cache-Control"].count("no-store") == 1


@pytest.mark.parametrize(
    ("written", "hidden"),
    [
        ("+86 138 0013 8000", "0013"),
        ("138-0013-8000", "0013"),
        ("１３８００１３８０００", "００１３"),
        ("110101 19900307 7571", "19900307"),
        ("0358-1234567", "1234567"),
    ],
)
def test_tracking_masks_numbers_written_into_the_reply(
    people: Any, district: Any, categories: Any, written: str, hidden: str
) -> None:
    order = make_order(people, district, categories.facilities, Status.CLOSED)
    order.events.filter(action="reply").update(note=f"已联系业主（{written}），工单20261105000123已办结。")
    response = Client().post(reverse("web:public_track"), {"number": order.number, "phone_last4": "5678"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "工单20261105000123已办结" in body  # the reply is shown, the order number as written
    assert hidden not in body


def test_tracking_with_wrong_digits_reveals_nothing_and_matches_not_found(
    people: Any, district: Any, categories: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    wrong = Client().post(reverse("web:public_track"), {"number": order.number, "phone_last4": "0000"})
    missing = Client().post(reverse("web:public_track"), {"number": "20990101000001", "phone_last4": "5678"})
    assert wrong.status_code == missing.status_code == 404
    assert order.title not in wrong.content.decode()
    assert district.dept_a.name not in wrong.content.decode()

    def message(body: bytes) -> str:
        found = re.search(r'<div class="alert alert-error" role="alert"><p>(.*?)</p>', body.decode())
        assert found
        return found.group(1)

    assert message(wrong.content) == message(missing.content)


def test_tracking_checks_the_digits_format(db: Any) -> None:
    response = Client().post(reverse("web:public_track"), {"number": "1", "phone_last4": "12a4"})
    assert response.status_code == 400
    assert "请输入4位数字" in response.content.decode()


def test_tracking_is_rate_limited(db: Any) -> None:
    client = Client()
    with override_settings(GOVDESK={"PUBLIC_SUBMIT_RATE": "1000/h", "PUBLIC_TRACK_RATE": "2/h"}):
        responses = [client.post(reverse("web:public_track"), {"number": "1", "phone_last4": "1234"}) for _ in range(3)]
    assert [r.status_code for r in responses] == [404, 404, 429]
    assert "请求过于频繁" in responses[-1].content.decode()


def test_public_pages_need_no_login_and_staff_pages_do(db: Any) -> None:
    client = Client()
    assert client.get(reverse("web:public_submit")).status_code == 200
    assert client.get(reverse("web:public_track")).status_code == 200
    response = client.get(reverse("workorders:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
