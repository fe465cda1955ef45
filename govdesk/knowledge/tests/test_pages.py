"""Knowledge pages: who may open what (roles 403, another unit's drafts 404), the unit's editor (bad input 400 with
the message at its field and nothing written), the whole life of an article through the pages (write, submit,
return, correct, publish, revise with a diff, discard, withdraw), its use and ratings chart, and the public pages
(published, valid articles only, nothing of the unit's internal work)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from govdesk.cases.models import CaseEvent
from govdesk.evaluations import services as evaluation_services
from govdesk.knowledge import services
from govdesk.knowledge.models import Article, ArticleRevision
from govdesk.knowledge.states import Status
from govdesk.org.tests.factories import login_verified
from govdesk.workorders import services as workorder_services
from govdesk.workorders.tests.factories import intake

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday in term: every "valid today" below is relative to it.
NOW = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()

STREETLIGHT: dict[str, Any] = {
    "title": "路灯不亮了应该找哪个部门？",
    "answer": "城区主次干道的路灯由区住建局市政设施管理所负责维护，市民可拨打12345反映具体位置，一般3个工作日内修复。",
    "policy_basis": "《城市道路照明设施管理规定》第十条",
    "area": "全区",
    "valid_from": date(2026, 1, 1),
    "valid_to": None,
    "tags": ["路灯", "市政设施"],
}


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def client_for(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def form_post(data: dict[str, Any], action: str = "save", **extra: Any) -> dict[str, Any]:
    """The editor's fields as the browser posts them."""
    posted = {key: value for key, value in data.items() if key not in ("valid_from", "valid_to", "tags")}
    posted["valid_from"] = data["valid_from"].isoformat() if data.get("valid_from") else ""
    posted["valid_to"] = data["valid_to"].isoformat() if data.get("valid_to") else ""
    posted["tags"] = "、".join(data.get("tags") or [])
    return {**posted, "action": action, **extra}


def draft(people: SimpleNamespace, **overrides: Any) -> ArticleRevision:
    return services.knowledge_revision_start(actor=people.handler_a, data={**STREETLIGHT, **overrides})


def published(people: SimpleNamespace, **overrides: Any) -> Article:
    revision = draft(people, **overrides)
    services.knowledge_revision_submit(revision=revision, actor=people.handler_a)
    services.knowledge_revision_publish(revision=revision.number, actor=people.dispatcher)
    return Article.objects.get(pk=revision.article_id)


def revision_url(revision: ArticleRevision) -> str:
    return reverse("knowledge:revision_detail", args=[revision.number])


def article_url(article: Article) -> str:
    return reverse("knowledge:article_detail", args=[article.code])


def fresh(revision: ArticleRevision) -> ArticleRevision:
    return ArticleRevision.objects.get(pk=revision.pk)


def field_errors(html: str, name: str) -> list[str]:
    """The error messages drawn inside the form field named `name` (web/_field.html's block)."""
    for block in re.findall(r'<div class="field has-error">(.*?)</div>', html, flags=re.S):
        if f'name="{name}"' in block:
            return [m.strip() for m in re.findall(r'<p class="error" role="alert">(.*?)</p>', block, flags=re.S)]
    return []


# --- access -------------------------------------------------------------------------------------------------------


def test_staff_pages_send_anonymous_visitors_to_the_login_page(people: SimpleNamespace) -> None:
    article = published(people)
    revision = draft(people, title="另一个问题")
    urls = [
        reverse("knowledge:article_list"),
        reverse("knowledge:article_new"),
        reverse("knowledge:revision_list"),
        article_url(article),
        revision_url(revision),
    ]
    for url in urls:
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


# Expected status of each staff page for each role: 200 open, 403 refused.
PAGE_ACCESS = {
    "operator": {"list": 200, "new": 403, "revisions": 403, "article": 200, "revision": 403},
    "dispatcher": {"list": 200, "new": 200, "revisions": 200, "article": 200, "revision": 200},
    "supervisor": {"list": 200, "new": 200, "revisions": 200, "article": 200, "revision": 200},
    "handler_a": {"list": 200, "new": 200, "revisions": 200, "article": 200, "revision": 200},
    "unit_admin_a": {"list": 200, "new": 200, "revisions": 200, "article": 200, "revision": 200},
    "citizen": {"list": 403, "new": 403, "revisions": 403, "article": 403, "revision": 403},
    "window_clerk": {"list": 403, "new": 403, "revisions": 403, "article": 403, "revision": 403},
    "sysadmin": {"list": 403, "new": 403, "revisions": 403, "article": 403, "revision": 403},
}


@pytest.mark.parametrize("who", sorted(PAGE_ACCESS))
def test_each_staff_page_for_each_role(people: SimpleNamespace, district: SimpleNamespace, who: str) -> None:
    from govdesk.org.models import Role
    from govdesk.org.tests.factories import UserFactory

    article = published(people)
    revision = services.knowledge_revision_start(actor=people.handler_a, data={}, article=article, reason="edit")
    user = (
        UserFactory(username="clerk", roles=[Role.WINDOW_CLERK], unit=district.dept_a)
        if who == "window_clerk"
        else getattr(people, who)
    )
    client = client_for(user)
    urls = {
        "list": reverse("knowledge:article_list"),
        "new": reverse("knowledge:article_new"),
        "revisions": reverse("knowledge:revision_list"),
        "article": article_url(article),
        "revision": revision_url(revision),
    }
    for page, url in urls.items():
        assert client.get(url).status_code == PAGE_ACCESS[who][page], (who, page)


@pytest.mark.parametrize("who", ["handler_b", "street_handler", "operator"])
def test_another_units_draft_is_not_found_and_untouched(people: SimpleNamespace, who: str) -> None:
    revision = draft(people)
    client = client_for(getattr(people, who))
    expected = 403 if who == "operator" else 404
    assert client.get(revision_url(revision)).status_code == expected
    response = client.post(revision_url(revision), form_post({**STREETLIGHT, "title": "改掉"}, "submit"))
    assert response.status_code == expected
    after = fresh(revision)
    assert (after.status, after.title) == (Status.DRAFT, STREETLIGHT["title"])
    # Nor is the unpublished article, nor is it listed.
    assert client.get(reverse("knowledge:article_detail", args=[revision.article.code])).status_code == 404
    if who != "operator":
        assert revision.number not in client.get(reverse("knowledge:revision_list")).content.decode()
    assert (
        revision.article.code not in client_for(people.operator).get(reverse("knowledge:article_list")).content.decode()
    )


def test_the_navigation_links_the_knowledge_base_for_the_people_who_use_it(people: SimpleNamespace) -> None:
    url = reverse("knowledge:article_list")
    for who in ("operator", "dispatcher", "supervisor", "handler_a", "unit_admin_a"):
        html = client_for(getattr(people, who)).get(reverse("knowledge:article_list")).content.decode()
        assert f'href="{url}"' in html, who
    assert f'href="{url}"' not in client_for(people.citizen).get(reverse("workorders:list")).content.decode()


# --- bad input ------------------------------------------------------------------------------------------------------


def test_a_date_that_is_no_date_is_refused_at_its_field_in_chinese_and_nothing_is_written(
    people: SimpleNamespace,
) -> None:
    data = form_post(STREETLIGHT, "save")
    data["valid_from"] = "2026-02-30"
    response = client_for(people.handler_a).post(reverse("knowledge:article_new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_errors(html, "valid_from") == ["输入一个有效的日期。"]
    # Everything typed is still there.
    assert STREETLIGHT["answer"] in html and "2026-02-30" in html
    assert not Article.objects.exists() and not ArticleRevision.objects.exists()


def test_a_far_too_long_answer_is_refused_before_any_service_runs(people: SimpleNamespace) -> None:
    revision = draft(people)
    data = form_post({**STREETLIGHT, "answer": "答" * 4001}, "save")
    response = client_for(people.handler_a).post(revision_url(revision), data)
    assert response.status_code == 400
    errors = field_errors(response.content.decode(), "answer")
    assert len(errors) == 1 and "4000" in errors[0] and "确保" in errors[0]
    assert fresh(revision).answer == STREETLIGHT["answer"]
    assert not CaseEvent.objects.filter(case=revision, action="save").exists()


def test_the_services_problems_show_at_their_fields_and_the_draft_is_kept(people: SimpleNamespace) -> None:
    revision = draft(people)
    data = form_post({**STREETLIGHT, "answer": "", "valid_to": date(2025, 12, 31)}, "submit")
    response = client_for(people.handler_a).post(revision_url(revision), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_errors(html, "answer") and field_errors(html, "valid_to")
    # What was typed stays on the page; nothing changed in the database.
    assert 'value="2025-12-31"' in html
    after = fresh(revision)
    assert (after.status, after.answer, after.valid_to) == (Status.DRAFT, STREETLIGHT["answer"], None)


def test_the_centre_names_the_responsible_unit_of_a_new_article(
    people: SimpleNamespace, district: SimpleNamespace
) -> None:
    centre = client_for(people.supervisor)
    assert 'name="unit"' in centre.get(reverse("knowledge:article_new")).content.decode()
    assert 'name="unit"' not in client_for(people.handler_a).get(reverse("knowledge:article_new")).content.decode()
    response = centre.post(reverse("knowledge:article_new"), form_post(STREETLIGHT))
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "unit")
    assert not ArticleRevision.objects.exists()
    response = centre.post(reverse("knowledge:article_new"), {**form_post(STREETLIGHT), "unit": district.dept_b.code})
    assert response.status_code == 302
    revision = ArticleRevision.objects.get()
    assert (revision.article.unit_id, revision.primary_unit_id) == (district.dept_b.pk, district.dept_b.pk)
    # From then on the unit keeps it: its handler opens the draft, another unit's does not.
    assert client_for(people.handler_b).get(revision_url(revision)).status_code == 200
    assert client_for(people.handler_a).get(revision_url(revision)).status_code == 404


def test_returning_without_a_note_is_refused_and_the_draft_stays_submitted(people: SimpleNamespace) -> None:
    revision = draft(people)
    services.knowledge_revision_submit(revision=revision, actor=people.handler_a)
    response = client_for(people.dispatcher).post(revision_url(revision), {"action": "return", "note": "  "})
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "note")
    assert fresh(revision).status == Status.SUBMITTED


def test_withdrawing_without_a_note_is_refused(people: SimpleNamespace) -> None:
    article = published(people)
    response = client_for(people.supervisor).post(article_url(article), {"action": "withdraw", "note": ""})
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "note")
    assert not Article.objects.get(pk=article.pk).is_withdrawn


def test_an_unknown_action_or_a_role_without_the_right_gets_a_clear_answer_not_a_500(people: SimpleNamespace) -> None:
    revision = draft(people)
    assert client_for(people.handler_a).post(revision_url(revision), {"action": "explode"}).status_code == 400
    # The centre may not write the unit's draft; the unit may not publish its own.
    centre_save = client_for(people.dispatcher).post(revision_url(revision), form_post(STREETLIGHT, "save"))
    assert centre_save.status_code == 403
    services.knowledge_revision_submit(revision=revision, actor=people.handler_a)
    unit_publish = client_for(people.handler_a).post(revision_url(revision), {"action": "publish", "note": ""})
    assert unit_publish.status_code == 403
    # Saving what is waiting for the centre is not possible now (409), not a permission problem.
    unit_save = client_for(people.handler_a).post(revision_url(revision), form_post(STREETLIGHT, "save"))
    assert unit_save.status_code == 409
    assert fresh(revision).status == Status.SUBMITTED
    bad_status = client_for(people.handler_a).get(reverse("knowledge:revision_list"), {"status": "nonsense"})
    assert bad_status.status_code == 400


# --- the life of an article through the pages ----------------------------------------------------------------------


def test_write_submit_return_correct_publish_through_the_pages(people: SimpleNamespace) -> None:
    unit, centre = client_for(people.handler_a), client_for(people.dispatcher)
    response = unit.post(reverse("knowledge:article_new"), form_post({**STREETLIGHT, "answer": "找住建局。"}))
    assert response.status_code == 302
    revision = ArticleRevision.objects.get()
    assert response["Location"] == revision_url(revision)
    assert (revision.status, revision.answer, revision.primary_unit_id) == (
        Status.DRAFT,
        "找住建局。",
        people.handler_a.unit_id,
    )

    assert (
        unit.post(revision_url(revision), form_post({**STREETLIGHT, "answer": "找住建局。"}, "submit")).status_code
        == 302
    )
    assert fresh(revision).status == Status.SUBMITTED
    # The centre finds it first on its list, and reviews it there.
    listing = centre.get(reverse("knowledge:revision_list")).content.decode()
    assert revision.number in listing
    page = centre.get(revision_url(revision)).content.decode()
    assert 'data-testid="publish"' in page and 'data-testid="draft-form"' not in page

    note = "请写明修复时限和报修方式。"
    assert centre.post(revision_url(revision), {"action": "return", "note": note}).status_code == 302
    assert fresh(revision).status == Status.RETURNED
    page = unit.get(revision_url(revision)).content.decode()
    assert note in page and 'data-testid="draft-form"' in page

    assert unit.post(revision_url(revision), form_post(STREETLIGHT, "submit")).status_code == 302
    response = centre.post(revision_url(revision), {"action": "publish", "note": ""})
    assert response.status_code == 302
    article = Article.objects.get(pk=revision.article_id)
    assert response["Location"] == article_url(article)
    assert fresh(revision).status == Status.PUBLISHED
    assert article.current is not None and article.current.answer == STREETLIGHT["answer"]

    page = client_for(people.operator).get(article_url(article)).content.decode()
    assert STREETLIGHT["answer"] in page and "全区" in page
    timeline = unit.get(revision_url(revision)).content.decode()
    for action in ("submit", "return", "publish"):
        assert f'data-action="{action}"' in timeline


def test_a_revision_shows_the_centre_what_changed_and_publishes_version_two(people: SimpleNamespace) -> None:
    article = published(people)
    unit, centre = client_for(people.handler_a), client_for(people.supervisor)
    response = unit.post(article_url(article), {"action": "edit"})
    assert response.status_code == 302
    revision = ArticleRevision.objects.get(article=article, is_open=True)
    assert response["Location"] == revision_url(revision)
    # The editor starts from the published text.
    assert STREETLIGHT["answer"] in unit.get(revision_url(revision)).content.decode()

    changed = STREETLIGHT["answer"].replace("3个工作日", "2个工作日")
    assert unit.post(revision_url(revision), form_post({**STREETLIGHT, "answer": changed}, "submit")).status_code == 302
    review = centre.get(revision_url(revision)).content.decode()
    assert "<del>3</del>" in review and "<ins>2</ins>" in review
    assert centre.post(revision_url(revision), {"action": "publish"}).status_code == 302

    article.refresh_from_db()
    assert article.current is not None and (article.current.number, article.current.answer) == (2, changed)
    page = client_for(people.operator).get(article_url(article)).content.decode()
    assert 'data-version="2"' in page and 'data-version="1"' in page and "<ins>2</ins>" in page


def test_only_one_revision_is_open_and_the_edit_button_leads_to_it(people: SimpleNamespace) -> None:
    article = published(people)
    unit = client_for(people.handler_a)
    unit.post(article_url(article), {"action": "edit"})
    revision = ArticleRevision.objects.get(article=article, is_open=True)
    page = unit.get(article_url(article)).content.decode()
    assert 'data-testid="edit"' not in page and revision.number in page
    # A second start (a stale page) is refused with a message, never a 500, and opens nothing.
    second = unit.post(article_url(article), {"action": "edit"})
    assert second.status_code == 409
    assert ArticleRevision.objects.filter(article=article).count() == 2


def test_a_discarded_revision_leaves_the_published_version_alone(people: SimpleNamespace) -> None:
    article = published(people)
    revision = services.knowledge_revision_start(actor=people.handler_a, data={"answer": "不要了"}, article=article)
    response = client_for(people.unit_admin_a).post(revision_url(revision), {"action": "discard", "note": "重复"})
    assert response.status_code == 302
    assert fresh(revision).status == Status.DISCARDED
    article.refresh_from_db()
    assert article.current is not None and article.current.answer == STREETLIGHT["answer"]
    # Closed: nothing to edit any more.
    assert 'data-testid="draft-form"' not in client_for(people.handler_a).get(revision_url(revision)).content.decode()


def test_a_withdrawn_article_disappears_from_the_public_and_the_search(people: SimpleNamespace) -> None:
    article = published(people)
    public = Client()
    detail = reverse("knowledge:public_detail", args=[article.code])
    assert public.get(detail).status_code == 200
    assert article.code in public.get(reverse("knowledge:public_list"), {"q": "路灯坏了找谁"}).content.decode()

    supervisor = client_for(people.supervisor)
    assert supervisor.post(article_url(article), {"action": "withdraw", "note": "政策已调整"}).status_code == 302
    assert Article.objects.get(pk=article.pk).is_withdrawn
    assert public.get(detail).status_code == 404
    assert article.code not in public.get(reverse("knowledge:public_list"), {"q": "路灯坏了找谁"}).content.decode()
    page = supervisor.get(article_url(article)).content.decode()
    assert 'data-testid="withdrawn"' in page and 'data-testid="withdraw-form"' not in page


# --- staff list and search ------------------------------------------------------------------------------------------


def test_the_staff_list_searches_published_articles_and_lists_the_units_own_drafts(people: SimpleNamespace) -> None:
    article = published(people)
    pending = draft(people, title="公积金怎么提取？", answer="到区公积金中心办理。")
    operator = client_for(people.operator).get(reverse("knowledge:article_list"), {"q": "我家门口路灯坏了晚上很黑"})
    html = operator.content.decode()
    assert operator.status_code == 200
    assert 'data-testid="search-results"' in html and f'data-code="{article.code}"' in html
    assert "<mark>" in html
    # The unit sees its unpublished article in the list; the operator does not.
    unit_list = client_for(people.handler_a).get(reverse("knowledge:article_list")).content.decode()
    assert pending.article.code in unit_list
    assert (
        pending.article.code not in client_for(people.operator).get(reverse("knowledge:article_list")).content.decode()
    )
    bad = client_for(people.operator).get(reverse("knowledge:article_list"), {"state": "everything"})
    assert bad.status_code == 400


# --- use and ratings ------------------------------------------------------------------------------------------------


def test_the_article_page_counts_its_uses_and_charts_their_ratings(
    people: SimpleNamespace, categories: SimpleNamespace
) -> None:
    article = published(people)
    page = client_for(people.operator).get(article_url(article)).content.decode()
    assert re.search(r'data-testid="use-count">\s*0\s*<', page) and 'data-testid="no-ratings"' in page
    orders = []
    for level in (5, 5, 2):
        order = workorder_services.workorder_register(
            actor=people.operator, data=intake(categories.facilities, request_type="consultation")
        )
        order = services.knowledge_answer(
            order=order, actor=people.operator, answer=STREETLIGHT["answer"], article=article.code
        )
        evaluation_services.evaluation_create(case=order, level=level, channel="pad", actor=people.operator)
        orders.append(order)
    page = client_for(people.operator).get(article_url(article)).content.decode()
    assert re.search(r'data-testid="use-count">\s*3\s*<', page)
    assert 'data-testid="ratings-chart"' in page
    assert re.search(r'data-level="5" data-count="2"', page) and re.search(r'data-level="2" data-count="1"', page)
    assert re.search(r'data-level="1" data-count="0"', page)
    for order in orders:
        assert reverse("workorders:detail", args=[order.number]) in page


# --- public pages ---------------------------------------------------------------------------------------------------


def test_public_pages_show_only_published_articles_valid_today(people: SimpleNamespace) -> None:
    valid = published(people)
    with time_machine.travel(datetime(2026, 2, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        expired = published(people, title="2025年供暖费补贴怎么申请？", valid_to=date(2026, 3, 31))
    future = published(people, title="2027年新政策", valid_from=date(2027, 1, 1))
    unpublished = draft(people, title="尚未审核的问题").article
    public = Client()
    assert public.get(reverse("knowledge:public_detail", args=[valid.code])).status_code == 200
    for article in (expired, future, unpublished):
        assert public.get(reverse("knowledge:public_detail", args=[article.code])).status_code == 404
    listing = public.get(reverse("knowledge:public_list")).content.decode()
    assert valid.code in listing
    for article in (expired, future, unpublished):
        assert article.code not in listing


def test_the_public_detail_shows_the_answer_and_nothing_of_the_units_internal_work(people: SimpleNamespace) -> None:
    revision = draft(people)
    services.knowledge_revision_submit(revision=revision, actor=people.handler_a)
    services.knowledge_revision_return(revision=revision, actor=people.dispatcher, note="内部意见：再核实一下")
    services.knowledge_revision_submit(revision=revision, actor=people.handler_a)
    services.knowledge_revision_publish(revision=revision, actor=people.dispatcher, note="内部审核通过")
    article = Article.objects.get(pk=revision.article_id)
    response = Client().get(reverse("knowledge:public_detail", args=[article.code]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert STREETLIGHT["answer"] in html and STREETLIGHT["policy_basis"] in html
    for internal in (
        "内部意见",
        "内部审核通过",
        revision.number,
        people.dispatcher.username,
        people.handler_a.username,
    ):
        assert internal not in html, internal


def test_the_public_search_highlights_and_refuses_bad_input(people: SimpleNamespace) -> None:
    article = published(people)
    response = Client().get(reverse("knowledge:public_list"), {"q": "路灯不亮找谁修"})
    html = response.content.decode()
    assert response.status_code == 200 and f'data-code="{article.code}"' in html and "<mark>" in html
    assert reverse("knowledge:public_detail", args=[article.code]) in html
    too_long = Client().get(reverse("knowledge:public_list"), {"q": "路" * 501})
    assert too_long.status_code == 400 and field_errors(too_long.content.decode(), "q")
    control = Client().get(reverse("knowledge:public_list"), {"q": "路灯\x00"})
    assert control.status_code == 400
