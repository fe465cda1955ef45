"""Knowledge articles in a given state, reached through the real services (so each has its timeline and audit), for
this app's tests and for the pages', search's and console's tests.

    article = published_article(unit=district.dept_a, title="公积金怎么提取", answer="携带身份证……")
    article.current.title  # the published version

The writers default to the conftest's `people` accounts of the unit's kind (the unit's first handler or
administrator) and the centre's supervisor; pass `writer=` / `reviewer=` for others."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django.utils import timezone

from govdesk.common import clock
from govdesk.knowledge import services
from govdesk.knowledge.models import Article, ArticleRevision
from govdesk.org.models import Role, Unit, User
from govdesk.org.tests.factories import UserFactory

DEFAULT_ANSWER = "办理住房公积金提取，请携带本人身份证、银行卡到区政务服务中心公积金窗口办理，工作日9:00-17:00。"


def _today() -> date:
    return timezone.localdate(clock.now())


def unit_writer(unit: Unit) -> User:
    """A handler of `unit` (an existing one, else a new account)."""
    found = User.objects.filter(unit=unit, groups__name=Role.HANDLER.value).order_by("pk").first()
    if found is not None:
        return found
    created = cast(User, UserFactory(username=f"kb_writer_{unit.code}".lower(), roles=[Role.HANDLER], unit=unit))
    return created


def centre_reviewer() -> User:
    """A supervisor (an existing one, else a new account without a unit)."""
    found = User.objects.filter(groups__name=Role.SUPERVISOR.value).order_by("pk").first()
    if found is not None:
        return found
    created = cast(User, UserFactory(username="kb_reviewer", roles=[Role.SUPERVISOR]))
    return created


def article_data(
    *,
    title: str = "住房公积金怎么提取",
    answer: str = DEFAULT_ANSWER,
    policy_basis: str = "《住房公积金管理条例》第二十四条",
    area: str = "全区",
    valid_from: date | None = None,
    valid_to: date | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "title": title,
        "answer": answer,
        "policy_basis": policy_basis,
        "area": area,
        "valid_from": valid_from or _today() - timedelta(days=30),
        "valid_to": valid_to,
        "tags": ["公积金", "提取"] if tags is None else tags,
    }


def draft_revision(*, unit: Unit, writer: Any = None, **fields: Any) -> ArticleRevision:
    """A new article's draft (unpublished), written by the unit."""
    return services.knowledge_revision_start(actor=writer or unit_writer(unit), data=article_data(**fields), unit=unit)


def submitted_revision(*, unit: Unit, writer: Any = None, **fields: Any) -> ArticleRevision:
    revision = draft_revision(unit=unit, writer=writer, **fields)
    return services.knowledge_revision_submit(revision=revision.number, actor=writer or unit_writer(unit))


def published_article(*, unit: Unit, writer: Any = None, reviewer: Any = None, **fields: Any) -> Article:
    """A published article (version 1) of `unit`: drafted and submitted by the unit, published by the centre.
    Fields as `article_data` (title, answer, policy_basis, area, valid_from, valid_to, tags)."""
    revision = submitted_revision(unit=unit, writer=writer, **fields)
    services.knowledge_revision_publish(revision=revision.number, actor=reviewer or centre_reviewer())
    return Article.objects.select_related("current", "unit").get(pk=revision.article_id)


def republished(article: Article, *, writer: Any = None, reviewer: Any = None, **changes: Any) -> Article:
    """The article edited (its next version published) with `changes` to its fields."""
    writer = writer or unit_writer(article.unit)
    revision = services.knowledge_revision_start(actor=writer, data=changes, article=article)
    services.knowledge_revision_submit(revision=revision.number, actor=writer)
    services.knowledge_revision_publish(revision=revision.number, actor=reviewer or centre_reviewer())
    return Article.objects.select_related("current", "unit").get(pk=article.pk)
