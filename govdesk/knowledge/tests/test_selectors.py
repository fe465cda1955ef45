"""Knowledge reads: who sees which article and revision (the centre all, units their own and the published, readers
the published; another unit's draft is None, a 404), the public view (published, not withdrawn, valid today), the
index's source and freshness stamp, the filters of the staff list and an article's use and ratings."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from govdesk.knowledge import selectors, services
from govdesk.knowledge.states import Status

from .factories import draft_revision, published_article, submitted_revision

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def test_who_sees_which_article(people: SimpleNamespace, district: SimpleNamespace) -> None:
    published = published_article(unit=district.dept_a, title="公积金怎么提取")
    draft = draft_revision(unit=district.dept_a, title="住房补贴申请条件").article
    for user in (people.supervisor, people.dispatcher, people.handler_a, people.unit_admin_a):
        assert selectors.article_get(user=user, code=draft.code) == draft, user
        assert selectors.article_get(user=user, code=published.code) == published, user
    for user in (people.handler_b, people.operator, people.leader):
        assert selectors.article_get(user=user, code=draft.code) is None, user
        assert selectors.article_get(user=user, code=published.code) == published, user
    for user in (people.citizen, people.sysadmin):
        assert selectors.article_get(user=user, code=published.code) is None, user
    assert list(selectors.articles_list(user=people.handler_b)) == [published]
    assert set(selectors.articles_list(user=people.handler_a)) == {published, draft}
    assert list(selectors.articles_list(user=people.supervisor, state="unpublished")) == [draft]
    assert list(selectors.articles_list(user=people.supervisor, q="住房补贴")) == [draft]
    assert list(selectors.articles_list(user=people.supervisor, q="公积金")) == [published]


def test_the_stamp_moves_when_an_article_is_published_or_withdrawn(
    people: SimpleNamespace, district: SimpleNamespace
) -> None:
    before = selectors.knowledge_stamp()
    revision = submitted_revision(unit=district.dept_b, title="失业保险金怎么领")
    after_draft = selectors.knowledge_stamp()
    assert after_draft != before
    services.knowledge_revision_publish(revision=revision.number, actor=people.dispatcher)
    after_publish = selectors.knowledge_stamp()
    assert after_publish != after_draft
    assert [(a.code, v.title) for a, v in selectors.articles_published_for_index()] == [
        (revision.article.code, "失业保险金怎么领")
    ]
    services.knowledge_article_withdraw(article=revision.article.code, actor=people.supervisor, note="政策已调整")
    assert selectors.knowledge_stamp() != after_publish
    assert list(selectors.articles_published_for_index()) == []


def test_the_public_sees_published_valid_articles_only(people: SimpleNamespace, district: SimpleNamespace) -> None:
    valid = published_article(unit=district.dept_a, title="有效")
    ended = published_article(unit=district.dept_a, title="到期", valid_to=today() + timedelta(days=1))
    future = published_article(unit=district.dept_a, title="未生效", valid_from=today() + timedelta(days=5))
    withdrawn = published_article(unit=district.dept_a, title="撤下")
    services.knowledge_article_withdraw(article=withdrawn, actor=people.supervisor, note="错误")
    unpublished = draft_revision(unit=district.dept_a).article
    assert selectors.article_public_get(valid.code) == valid.current
    assert selectors.article_public_get(ended.code) == ended.current
    assert selectors.article_public_get(ended.code, today=today() + timedelta(days=2)) is None
    assert selectors.article_public_get(future.code) is None
    assert selectors.article_public_get(withdrawn.code) is None
    assert selectors.article_public_get(unpublished.code) is None
    assert {v.title for v in selectors.articles_public_list()} == {"有效", "到期"}


def test_revisions_for_the_unit_and_the_centre(people: SimpleNamespace, district: SimpleNamespace) -> None:
    draft_a = draft_revision(unit=district.dept_a, title="甲")
    submitted_b = submitted_revision(unit=district.dept_b, title="乙")
    assert list(selectors.revisions_for_user(people.handler_a)) == [draft_a]
    assert list(selectors.revisions_for_user(people.operator)) == []
    assert list(selectors.revisions_for_user(people.supervisor)) == [submitted_b, draft_a]
    assert list(selectors.revisions_for_user(people.supervisor, status=Status.DRAFT)) == [draft_a]
    assert selectors.revision_get(user=people.handler_b, number=draft_a.number) is None
    assert selectors.revision_get(user=people.handler_a, number=draft_a.number) == draft_a
    assert [e.action for e in selectors.revision_timeline(revision=submitted_b)] == ["start", "submit"]
