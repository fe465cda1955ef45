"""Expiry reviews (到期复核): an article whose answer stops being valid within 30 days gets one review for its unit,
prefilled and due at the end of its last valid day, once however often the sweep runs; the supervision sweep urges
the unit once it is overdue, as any case (through the case-kind registry)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from govdesk.cases.models import CaseEvent
from govdesk.cases.services import CASE_KIND_SUPERVISION
from govdesk.knowledge import services
from govdesk.knowledge.models import Article, ArticleRevision

from .factories import published_article

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
TODAY = date(2026, 11, 2)


def expiry_reviews() -> list[ArticleRevision]:
    return list(ArticleRevision.objects.filter(reason="expiry").select_related("article").order_by("pk"))


def test_expiring_articles_get_one_review_each(people: SimpleNamespace, district: SimpleNamespace) -> None:
    with time_machine.travel(NOW, tick=False):
        soon = published_article(
            unit=district.dept_a, title="供暖补贴", area="全区", valid_to=TODAY + timedelta(days=20)
        )
        published_article(unit=district.dept_a, title="长期有效", valid_to=None)
        published_article(unit=district.dept_b, title="明年到期", valid_to=TODAY + timedelta(days=200))
        withdrawn = published_article(unit=district.dept_b, title="已撤下", valid_to=TODAY + timedelta(days=5))
        services.knowledge_article_withdraw(article=withdrawn, actor=people.supervisor, note="撤")
        edited = published_article(unit=district.dept_b, title="修订中", valid_to=TODAY + timedelta(days=5))
        open_edit = services.knowledge_revision_start(actor=people.handler_b, article=edited, data={})
        assert services.knowledge_expiry_reviews_open() == 1
        assert services.knowledge_expiry_reviews_open() == 0
    (review,) = expiry_reviews()
    assert review.article == soon and review.primary_unit == district.dept_a and review.status == "draft"
    assert (review.title, review.area, review.valid_to) == ("供暖补贴", "全区", TODAY + timedelta(days=20))
    assert review.due_at == datetime(2026, 11, 22, 23, 59, 59, tzinfo=SHANGHAI)
    (start,) = CaseEvent.objects.filter(case_id=review.pk)
    assert start.action == "start" and start.actor is None
    assert start.data == {"article": soon.code, "reason": "expiry", "valid_to": "2026-11-22"}
    assert Article.objects.get(pk=edited.pk).open_revision == open_edit


def test_the_command_takes_the_window_in_days(people: SimpleNamespace, district: SimpleNamespace) -> None:
    with time_machine.travel(NOW, tick=False):
        published_article(unit=district.dept_a, valid_to=TODAY + timedelta(days=40))
        out = io.StringIO()
        call_command("knowledge_expiry_sweep", stdout=out)
        assert expiry_reviews() == [] and "0 expiry review(s)" in out.getvalue()
        call_command("knowledge_expiry_sweep", "--days", "45", stdout=out)
        assert len(expiry_reviews()) == 1 and "1 expiry review(s)" in out.getvalue()
        call_command("knowledge_expiry_sweep", "--days", "45", stdout=out)
        assert len(expiry_reviews()) == 1
        with pytest.raises(CommandError):
            call_command("knowledge_expiry_sweep", "--days", "-1")


def test_an_already_expired_article_is_reviewed_at_once(people: SimpleNamespace, district: SimpleNamespace) -> None:
    with time_machine.travel(NOW, tick=False):
        article = published_article(unit=district.dept_a, valid_to=TODAY + timedelta(days=1))
    with time_machine.travel(NOW + timedelta(days=10), tick=False):
        assert services.knowledge_expiry_reviews_open() == 1
    (review,) = expiry_reviews()
    assert review.article == article and review.due_at is not None and review.due_at < NOW + timedelta(days=10)


def test_revisions_are_registered_with_the_supervision_sweep() -> None:
    registered = CASE_KIND_SUPERVISION["knowledge"]
    assert set(registered.urge_statuses) == set(registered.escalate_statuses) == {"draft", "returned"}


def test_an_overdue_expiry_review_is_urged_by_the_supervision_sweep(
    people: SimpleNamespace, district: SimpleNamespace
) -> None:
    with time_machine.travel(NOW, tick=False):
        published_article(unit=district.dept_a, valid_to=TODAY + timedelta(days=3))
        services.knowledge_expiry_reviews_open()
    (review,) = expiry_reviews()
    # Thu 11-05 23:59:59 is the deadline: the next working morning it is overdue and urged, once per sweep moment.
    with time_machine.travel(datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI), tick=False):
        out = io.StringIO()
        call_command("supervision_sweep", stdout=out)
        call_command("supervision_sweep", stdout=out)
    urges = list(CaseEvent.objects.filter(case_id=review.pk, action="urge"))
    assert len(urges) == 1 and urges[0].data["auto"] is True and urges[0].to_status == "draft"
    assert review.number in out.getvalue()


def test_a_submitted_revision_is_not_urged(people: SimpleNamespace, district: SimpleNamespace) -> None:
    with time_machine.travel(NOW, tick=False):
        published_article(unit=district.dept_a, valid_to=TODAY + timedelta(days=3))
        services.knowledge_expiry_reviews_open()
        (review,) = expiry_reviews()
        services.knowledge_revision_submit(
            revision=review.number, actor=people.handler_a, data={"valid_to": "2027-12-31"}
        )
    with time_machine.travel(datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI), tick=False):
        call_command("supervision_sweep", stdout=io.StringIO())
    assert not CaseEvent.objects.filter(case_id=review.pk, action="urge").exists()


def test_the_nightly_task_opens_the_reviews(people: SimpleNamespace, district: SimpleNamespace) -> None:
    from govdesk.knowledge.tasks import knowledge_expiry_sweep_task

    published_article(unit=district.dept_a, valid_to=timezone.localdate() + timedelta(days=10))
    knowledge_expiry_sweep_task.call_local()
    knowledge_expiry_sweep_task.call_local()
    assert len(expiry_reviews()) == 1
