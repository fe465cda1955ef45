"""The knowledge panel on the operator console and the order's answer form, and answering from an article through
the answer form's view (the page's own path, not only the service)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from govdesk.cases.models import CaseEvent
from govdesk.knowledge import services
from govdesk.knowledge.models import ArticleUse
from govdesk.knowledge.tests.factories import published_article
from govdesk.org.tests.factories import login_verified
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

pytestmark = pytest.mark.django_db

ANSWER = "提取住房公积金购房，请携带身份证、购房合同和银行卡到区政务服务中心公积金窗口办理，当场审核。"


def client_for(user: Any) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def consultation(people: Any, district: Any, categories: Any) -> WorkOrder:
    return make_order(
        people,
        district,
        categories.housing,
        Status.NEW,
        request_type="consultation",
        title="公积金怎么取出来",
        content="我想用公积金买房，\n需要带什么材料去哪里办？",
    )


def panels(page: str) -> dict[str, str]:
    """The knowledge panels of a page, by element id, with their opening tags."""
    return {
        match.group(1): match.group(0)
        for match in re.finditer(r'<section class="knowledge-panel" id="([^"]+)"[^>]*>', page)
    }


def test_the_console_shows_the_panel_beside_the_callers_words(people: Any, categories: Any) -> None:
    page = client_for(people.operator).get(reverse("workorders:console")).content.decode()
    found = panels(page)
    assert list(found) == ["knowledge-intake"]
    tag = found["knowledge-intake"]
    assert 'data-source-form="intake-form"' in tag
    assert f'data-api-url="{reverse("api-knowledge-search")}"' in tag
    # No answer form before the call is registered: the panel only shows what the base holds.
    assert "data-answer-form" not in tag
    assert "knowledge/console.js" in page
    # Served as a file under the CSP, never inline.
    assert "<script>" not in page


def test_after_registering_a_consultation_its_answer_form_has_a_panel_with_the_orders_words(
    people: Any, district: Any, categories: Any
) -> None:
    order = consultation(people, district, categories)
    page = client_for(people.operator).get(reverse("workorders:console"), {"registered": order.number})
    body = page.content.decode()
    found = panels(body)
    assert set(found) == {"knowledge-intake", "knowledge-registered"}
    tag = found["knowledge-registered"]
    assert 'data-query="公积金怎么取出来 我想用公积金买房，\n需要带什么材料去哪里办？"' in tag
    assert 'data-answer-form="#registered-answer form[data-action=answer]"' in tag
    answer_form = re.search(r'<div class="answer-with-knowledge" id="registered-answer">.*?</form>', body, re.S)
    assert answer_form is not None
    assert reverse("workorders:action", args=[order.number, "answer"]) in answer_form.group(0)
    assert re.search(r'<input type="hidden" name="article"', answer_form.group(0))


def test_a_complaint_gets_no_answer_panel(people: Any, district: Any, categories: Any) -> None:
    order = make_order(people, district, categories.facilities, Status.NEW)
    client = client_for(people.operator)
    console = client.get(reverse("workorders:console"), {"registered": order.number}).content.decode()
    assert list(panels(console)) == ["knowledge-intake"]
    detail = client.get(reverse("workorders:detail", args=[order.number])).content.decode()
    assert panels(detail) == {}


def test_the_detail_pages_answer_form_has_the_panel_for_those_who_may_answer(
    people: Any, district: Any, categories: Any
) -> None:
    order = consultation(people, district, categories)
    detail = client_for(people.operator).get(reverse("workorders:detail", args=[order.number])).content.decode()
    tag = panels(detail)["knowledge-answer"]
    assert 'data-answer-form="#act-answer form[data-action=answer]"' in tag
    assert "公积金怎么取出来" in tag
    # The panel sits in the answer's own section, after its form.
    section = re.search(r'<details class="action" id="act-answer".*?</details>', detail, re.S)
    assert section is not None and 'id="knowledge-answer"' in section.group(0)
    # A leader reads the order but may not answer it: no form, no panel.
    leader = client_for(people.leader).get(reverse("workorders:detail", args=[order.number]))
    assert leader.status_code == 200 and panels(leader.content.decode()) == {}


def test_answering_from_the_console_with_an_article_records_its_use(
    people: Any, district: Any, categories: Any
) -> None:
    article = published_article(unit=district.dept_a, title="购房如何提取住房公积金", answer=ANSWER)
    assert article.use_count == 0
    order = consultation(people, district, categories)
    response = client_for(people.operator).post(
        reverse("workorders:action", args=[order.number, "answer"]),
        {"answer": ANSWER, "article": str(article.pk), "next": reverse("workorders:console")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("workorders:console")
    order.refresh_from_db()
    article.refresh_from_db()
    assert order.status == Status.CLOSED and order.answer == ANSWER
    assert article.use_count == 1
    use = ArticleUse.objects.get()
    assert (use.article_id, use.case_id, use.used_by_id) == (article.pk, order.pk, people.operator.pk)
    assert use.version_id == article.current_id
    event = CaseEvent.objects.filter(case=order, action="answer").get()
    assert event.data["cited"]["article"] == article.code
    # The order's page shows the citation in its timeline.
    detail = client_for(people.operator).get(reverse("workorders:detail", args=[order.number])).content.decode()
    timeline = re.search(r'<ol class="timeline".*?</ol>', detail, re.S)
    assert timeline is not None and article.code in timeline.group(0)


def test_answering_without_an_article_records_no_use(people: Any, district: Any, categories: Any) -> None:
    article = published_article(unit=district.dept_a, title="购房如何提取住房公积金", answer=ANSWER)
    order = consultation(people, district, categories)
    response = client_for(people.operator).post(
        reverse("workorders:action", args=[order.number, "answer"]),
        {"answer": "请拨打公积金中心电话咨询。", "article": ""},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    article.refresh_from_db()
    assert order.status == Status.CLOSED
    assert article.use_count == 0 and not ArticleUse.objects.exists()


def test_citing_a_withdrawn_article_is_refused_on_the_form_and_writes_nothing(
    people: Any, district: Any, categories: Any
) -> None:
    article = published_article(unit=district.dept_a, title="购房如何提取住房公积金", answer=ANSWER)
    services.knowledge_article_withdraw(article=article, actor=people.dispatcher, note="政策已调整")
    order = consultation(people, district, categories)
    events_before = CaseEvent.objects.filter(case=order).count()
    response = client_for(people.operator).post(
        reverse("workorders:action", args=[order.number, "answer"]), {"answer": ANSWER, "article": str(article.pk)}
    )
    assert response.status_code == 400
    body = response.content.decode()
    # The answer form comes back with the operator's text and the article still in it.
    assert ANSWER in body and 'id="knowledge-answer"' in body
    order.refresh_from_db()
    article.refresh_from_db()
    assert order.status == Status.NEW and not order.answer
    assert article.use_count == 0 and not ArticleUse.objects.exists()
    assert CaseEvent.objects.filter(case=order).count() == events_before
