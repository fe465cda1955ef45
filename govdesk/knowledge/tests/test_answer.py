"""Answering a consultation from an article (`knowledge_answer`, the work order's "answer" action): the citation on
the order's timeline, the use recorded and counted in the same transaction; an article that may not be cited
(unknown, unpublished, withdrawn, expired, not yet valid) refused naming `article`, with nothing written; the page's
form and the API pass the article only when given; an article's usage and its callers' ratings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import CaseEvent
from govdesk.common.errors import PermissionDenied, ValidationFailed
from govdesk.evaluations.models import Evaluation
from govdesk.evaluations.services import evaluation_create
from govdesk.knowledge import selectors, services
from govdesk.knowledge.models import Article, ArticleUse
from govdesk.org.tests.factories import login_verified
from govdesk.workorders import hooks
from govdesk.workorders import services as workorder_services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Action, Status
from govdesk.workorders.tests.factories import make_order

from .factories import draft_revision, published_article

pytestmark = pytest.mark.django_db

ANSWER = "请携带身份证、银行卡到区政务服务中心公积金窗口办理。"


def consultation(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> WorkOrder:
    return make_order(people, district, categories.housing, Status.NEW, request_type="consultation")


def answer_action() -> Callable[..., WorkOrder]:
    return workorder_services.ACTION_SERVICES[Action.ANSWER]


def state(order: WorkOrder, article: Article) -> tuple[Any, ...]:
    """What an answer writes: the order's status, its events, the article's uses and count, the audit trail."""
    return (
        WorkOrder.objects.get(pk=order.pk).status,
        CaseEvent.objects.filter(case_id=order.pk).count(),
        ArticleUse.objects.count(),
        Article.objects.get(pk=article.pk).use_count,
        AuditEvent.objects.count(),
    )


def test_the_knowledge_base_provides_the_answer_action() -> None:
    assert hooks.action_service_for(Action.ANSWER) is services.knowledge_answer


@pytest.mark.parametrize("by", ["code", "pk", "pk_text"])
def test_the_order_action_answers_citing_the_article(
    by: str, people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    article = published_article(unit=district.dept_a, title="公积金怎么提取", answer=ANSWER)
    order = consultation(people, district, categories)
    key = {"code": article.code, "pk": article.pk, "pk_text": str(article.pk)}[by]
    answered = answer_action()(order=order.number, actor=people.operator, answer=ANSWER, article=key)
    assert answered.status == Status.CLOSED and answered.answer == ANSWER
    event = CaseEvent.objects.get(case_id=order.pk, action="answer")
    assert event.data["cited"] == {"article": article.code, "version": 1, "title": "公积金怎么提取"}
    assert event.is_public and event.note == ANSWER
    use = ArticleUse.objects.get(article=article)
    assert use.case_id == order.pk and use.version == article.current and use.used_by == people.operator
    assert Article.objects.get(pk=article.pk).use_count == 1
    assert audit_chain_verify().broken_event_id is None


def test_without_an_article_it_is_the_plain_answer(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    article = published_article(unit=district.dept_a)
    for blank in (None, "", "  "):
        order = consultation(people, district, categories)
        answered = services.knowledge_answer(
            order=order.number, actor=people.operator, answer="按政策答复", article=blank
        )
        assert answered.status == Status.CLOSED
        assert "cited" not in CaseEvent.objects.get(case_id=order.pk, action="answer").data
    assert not ArticleUse.objects.exists() and Article.objects.get(pk=article.pk).use_count == 0


def test_the_cited_version_is_the_current_one(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    from .factories import republished

    article = republished(published_article(unit=district.dept_a), title="公积金提取（新）")
    orders = [consultation(people, district, categories) for _ in range(2)]
    for order in orders:
        services.knowledge_answer(order=order, actor=people.operator, answer=ANSWER, article=article.code)
    assert Article.objects.get(pk=article.pk).use_count == 2
    assert {use.version.number for use in ArticleUse.objects.filter(article=article)} == {2}
    cited = CaseEvent.objects.get(case_id=orders[0].pk, action="answer").data["cited"]
    assert cited == {"article": article.code, "version": 2, "title": "公积金提取（新）"}


def _unpublished(people: SimpleNamespace, district: SimpleNamespace) -> Any:
    return draft_revision(unit=district.dept_a).article.code


def _withdrawn(people: SimpleNamespace, district: SimpleNamespace) -> Any:
    article = published_article(unit=district.dept_a)
    services.knowledge_article_withdraw(article=article, actor=people.supervisor, note="撤下")
    return article.code


def _expired(people: SimpleNamespace, district: SimpleNamespace) -> Any:
    # Published while it was valid, two months ago; its last valid day was yesterday.
    today = timezone.localdate()
    with time_machine.travel(timezone.now() - timedelta(days=60), tick=False):
        article = published_article(
            unit=district.dept_a, valid_from=today - timedelta(days=70), valid_to=today - timedelta(days=1)
        )
    return article.code


def _future(people: SimpleNamespace, district: SimpleNamespace) -> Any:
    return published_article(unit=district.dept_a, valid_from=timezone.localdate() + timedelta(days=3)).code


@pytest.mark.parametrize(
    ("case", "make"),
    [
        ("unknown code", lambda people, district: "ZS999999"),
        ("unknown id", lambda people, district: 999_999),
        ("huge id", lambda people, district: "9" * 30),
        ("superscript digit", lambda people, district: "²"),
        ("negative id", lambda people, district: -1),
        ("not a key", lambda people, district: ["ZS000001"]),
        ("unpublished", _unpublished),
        ("withdrawn", _withdrawn),
        ("expired", _expired),
        ("not yet valid", _future),
    ],
)
def test_an_article_that_may_not_be_cited_is_refused_and_nothing_written(
    case: str, make: Any, people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    cited = published_article(unit=district.dept_b, title="另一篇")
    key = make(people, district)
    order = consultation(people, district, categories)
    before = state(order, cited)
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        answer_action()(order=order.number, actor=people.operator, answer=ANSWER, article=key)
    assert list(refused.value.fields) == ["article"], case
    assert state(order, cited) == before
    assert WorkOrder.objects.get(pk=order.pk).answer == ""


def test_only_the_centre_answers(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    article = published_article(unit=district.dept_a)
    order = consultation(people, district, categories)
    before = state(order, article)
    for actor in (people.handler_a, people.leader, people.citizen):
        with pytest.raises(PermissionDenied):
            services.knowledge_answer(order=order.number, actor=actor, answer=ANSWER, article=article.code)
    assert state(order, article) == before


def test_the_answer_and_its_use_are_one_transaction(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, monkeypatch: Any
) -> None:
    """If recording the use fails, the order is not answered either."""
    article = published_article(unit=district.dept_a)
    order = consultation(people, district, categories)
    before = state(order, article)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ArticleUse.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.knowledge_answer(order=order.number, actor=people.operator, answer=ANSWER, article=article.code)
    assert state(order, article) == before


def test_a_complaint_cannot_be_answered_from_an_article(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    from govdesk.common.errors import InvalidTransition

    article = published_article(unit=district.dept_a)
    complaint = make_order(people, district, categories.housing, Status.NEW)
    before = state(complaint, article)
    with pytest.raises(InvalidTransition):
        services.knowledge_answer(order=complaint.number, actor=people.operator, answer=ANSWER, article=article.code)
    assert state(complaint, article) == before


def test_without_the_knowledge_base_an_article_cannot_be_cited(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace, monkeypatch: Any
) -> None:
    monkeypatch.setattr(hooks, "_ACTION_SERVICES", {})
    order = consultation(people, district, categories)
    with pytest.raises(ValidationFailed) as refused:
        answer_action()(order=order.number, actor=people.operator, answer=ANSWER, article="ZS000001")
    assert list(refused.value.fields) == ["article"]
    assert answer_action()(order=order.number, actor=people.operator, answer=ANSWER).status == Status.CLOSED


# --- the page and the API -----------------------------------------------------------------------------------------


def test_the_pages_answer_form_cites_the_article_and_the_timeline_shows_it(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    article = published_article(unit=district.dept_a, title="公积金怎么提取")
    order = consultation(people, district, categories)
    client = Client()
    login_verified(client, people.operator)
    url = reverse("workorders:action", args=[order.number, "answer"])
    form_page = client.get(reverse("workorders:detail", args=[order.number])).content.decode()
    assert 'type="hidden" name="article"' in form_page
    response = client.post(url, {"answer": ANSWER, "article": article.code})
    assert response.status_code == 302
    assert ArticleUse.objects.get().case_id == order.pk
    with translation.override("zh-hans"):
        page = client.get(reverse("workorders:detail", args=[order.number]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert 'data-testid="event-cited"' in text and article.code in text and "公积金怎么提取" in text


def test_the_pages_form_refuses_an_uncitable_article_at_its_field(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    order = consultation(people, district, categories)
    client = Client()
    login_verified(client, people.operator)
    response = client.post(
        reverse("workorders:action", args=[order.number, "answer"]), {"answer": ANSWER, "article": "ZS424242"}
    )
    assert response.status_code == 400
    assert "ZS424242" in response.content.decode()
    assert WorkOrder.objects.get(pk=order.pk).status == Status.NEW
    # An empty hidden field is the plain answer.
    response = client.post(
        reverse("workorders:action", args=[order.number, "answer"]), {"answer": ANSWER, "article": ""}
    )
    assert response.status_code == 302 and WorkOrder.objects.get(pk=order.pk).status == Status.CLOSED


def test_the_api_answers_citing_the_article(
    people: SimpleNamespace,
    district: SimpleNamespace,
    categories: SimpleNamespace,
    api_client_for: Callable[[Any], Any],
) -> None:
    article = published_article(unit=district.dept_a)
    client = api_client_for(people.operator)
    order = consultation(people, district, categories)
    response = client.post(
        f"/api/v1/workorders/{order.number}/answer/", {"answer": ANSWER, "article": article.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed" and ArticleUse.objects.get().case_id == order.pk
    other = consultation(people, district, categories)
    response = client.post(
        f"/api/v1/workorders/{other.number}/answer/", {"answer": ANSWER, "article": "ZS999999"}, format="json"
    )
    assert response.status_code == 400 and "article" in response.json()["fields"]
    assert WorkOrder.objects.get(pk=other.pk).status == Status.NEW
    response = client.post(
        f"/api/v1/workorders/{other.number}/answer/", {"answer": ANSWER, "article": "Z" * 17}, format="json"
    )
    assert response.status_code == 400 and "article" in response.json()["fields"]
    response = client.post(f"/api/v1/workorders/{other.number}/answer/", {"answer": ANSWER}, format="json")
    assert response.status_code == 200 and ArticleUse.objects.count() == 1


# --- usage and ratings --------------------------------------------------------------------------------------------


def test_article_usage_counts_uses_and_the_callers_ratings(
    people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace
) -> None:
    article = published_article(unit=district.dept_a)
    empty = selectors.article_usage(article)
    assert (empty["uses"], empty["rated"], empty["average_level"], empty["satisfied_rate"]) == (0, 0, None, None)
    assert empty["by_level"] == {5: 0, 4: 0, 3: 0, 2: 0, 1: 0} and empty["recent"] == []
    orders = []
    for _ in range(4):
        order = consultation(people, district, categories)
        services.knowledge_answer(order=order.number, actor=people.operator, answer=ANSWER, article=article.code)
        orders.append(order)
    # An order answered without the article does not count.
    plain = consultation(people, district, categories)
    services.knowledge_answer(order=plain.number, actor=people.operator, answer=ANSWER)
    for order, level in zip(orders[:3], (5, 4, 2), strict=True):
        evaluation_create(case=order.number, level=level, channel="pad", actor=people.operator)
    evaluation_create(case=plain.number, level=1, channel="pad", actor=people.operator)
    # A bad rating found unjustified on verification is left out.
    Evaluation.objects.filter(case_id=orders[2].pk).update(verification="unjustified")
    evaluation_create(case=orders[3].number, level=3, channel="pad", actor=people.operator)
    usage = selectors.article_usage(article)
    assert usage["uses"] == 4 and usage["rated"] == 3
    assert usage["by_level"] == {5: 1, 4: 1, 3: 1, 2: 0, 1: 0}
    assert usage["average_level"] == 4.0 and usage["satisfied_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert [r["number"] for r in usage["recent"]] == [o.number for o in reversed(orders)]
    assert all(r["version"] == 1 for r in usage["recent"])
