"""Reads of the knowledge base, always through the viewer's visibility: articles (staff and public), revisions, what
the search index is built from and when it is stale, and how an article has been used and rated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from govdesk.cases.models import CaseEvent
from govdesk.common import clock
from govdesk.evaluations.models import Evaluation, Verification
from govdesk.matters.selectors import matters_published

from .models import Article, ArticleRevision, ArticleUse, ArticleVersion
from .permissions import article_visibility_q, is_centre_reviewer, revision_visibility_q
from .states import OPEN_STATUSES, Status

ARTICLE_STATES = ("published", "unpublished", "withdrawn", "expiring")
EXPIRING_DAYS = 30
RECENT_USES = 10
SATISFIED_LEVEL = 4


def _today(today: date | None = None) -> date:
    return today or timezone.localdate(clock.now())


def _valid_on(today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": today}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": today})
    )


def article_get(*, user: Any, code: str) -> Article | None:
    """An article the staff member may see (the centre any; units their own and the published; readers the
    published), with its unit and current version; None: 404."""
    return (
        Article.objects.filter(article_visibility_q(user), code=str(code)[:16])
        .select_related("unit", "current", "current__published_by")
        .first()
    )


def article_public_get(code: str, today: date | None = None) -> ArticleVersion | None:
    """The current version of a published, not withdrawn article valid `today` (citizens, no login); None: 404."""
    return (
        ArticleVersion.objects.filter(
            _valid_on(_today(today)),
            article__code=str(code)[:16],
            article__is_withdrawn=False,
            article__current=F("pk"),
        )
        .select_related("article", "article__unit")
        .first()
    )


def articles_public_list(*, today: date | None = None) -> QuerySet[ArticleVersion]:
    """The current versions of the published, not withdrawn articles valid `today` (the public list without a query),
    newest publication first."""
    return (
        ArticleVersion.objects.filter(_valid_on(_today(today)), article__is_withdrawn=False, article__current=F("pk"))
        .select_related("article", "article__unit")
        .order_by("-published_at", "-pk")
    )


def articles_list(*, user: Any, q: str = "", unit: str = "", state: str = "") -> QuerySet[Article]:
    """The articles the user may see, filtered: `q` in the code or the current (or, unpublished, the open draft's)
    question; `unit` a unit code; `state` published (shown now, valid or not), unpublished (never published, not
    withdrawn), withdrawn, expiring (published, valid until within 30 days or already ended). Newest change first."""
    articles = Article.objects.filter(article_visibility_q(user)).select_related("unit", "current")
    text = (q or "").strip()[:100]
    if text:
        articles = articles.filter(
            Q(code__iexact=text) | Q(current__title__icontains=text) | Q(open_revision__title__icontains=text)
        )
    if unit:
        articles = articles.filter(unit__code=str(unit)[:64])
    if state == "published":
        articles = articles.filter(current__isnull=False, is_withdrawn=False)
    elif state == "unpublished":
        articles = articles.filter(current__isnull=True, is_withdrawn=False)
    elif state == "withdrawn":
        articles = articles.filter(is_withdrawn=True)
    elif state == "expiring":
        horizon = _today() + timedelta(days=EXPIRING_DAYS)
        articles = articles.filter(
            current__isnull=False, is_withdrawn=False, current__valid_to__isnull=False, current__valid_to__lte=horizon
        )
    return articles.order_by("-updated_at", "-pk")


def article_versions(*, article: Article) -> list[ArticleVersion]:
    """Every published version, oldest first (the history; each compared with the one before on the page)."""
    return list(ArticleVersion.objects.filter(article=article).select_related("published_by").order_by("number"))


def revision_get(*, user: Any, number: str) -> ArticleRevision | None:
    return (
        ArticleRevision.objects.filter(revision_visibility_q(user), number=str(number)[:40])
        .select_related("article", "article__unit", "article__current", "created_by")
        .first()
    )


def revisions_for_user(user: Any, *, status: str = "") -> QuerySet[ArticleRevision]:
    """Units: their units' open revisions, nearest deadline first. The centre: all open revisions, the submitted ones
    (waiting for it) first, then by deadline. `status` narrows to one status (any, open or closed)."""
    revisions = ArticleRevision.objects.filter(revision_visibility_q(user)).select_related(
        "article", "article__unit", "article__current"
    )
    if status:
        revisions = revisions.filter(status=str(status)[:32])
    else:
        revisions = revisions.filter(status__in=[str(s) for s in OPEN_STATUSES])
    if is_centre_reviewer(user):
        waiting = Case(When(status=Status.SUBMITTED, then=Value(0)), default=Value(1), output_field=IntegerField())
        return revisions.order_by(waiting, F("due_at").asc(nulls_last=True), "pk")
    return revisions.order_by(F("due_at").asc(nulls_last=True), "pk")


def revision_timeline(*, revision: ArticleRevision) -> QuerySet[CaseEvent]:
    return (
        CaseEvent.objects.filter(case_id=revision.pk)
        .select_related("actor", "actor_unit")
        .order_by("occurred_at", "id")
    )


def articles_published_for_index() -> Iterator[tuple[Article, ArticleVersion]]:
    """Every article with a published version, not withdrawn, with that version (validity is the search's to
    filter at query time, so an index stays right across midnight)."""
    articles = (
        Article.objects.filter(is_withdrawn=False, current__isnull=False)
        .select_related("unit", "current")
        .order_by("pk")
    )
    for article in articles.iterator(chunk_size=2000):
        assert article.current is not None
        yield article, article.current


def knowledge_stamp() -> tuple[Any, ...]:
    """A cheap key that changes whenever what the search indexes changes: the articles' latest change and count
    (every publication and withdrawal moves `updated_at`), and the published matters' count and versions (a new
    guide version is a new current version id)."""
    articles = Article.objects.aggregate(updated=Max("updated_at"), n=Count("pk"))
    matters = matters_published().aggregate(n=Count("pk"), top=Max("current_version_id"), sum=Sum("current_version_id"))
    return (articles["updated"], articles["n"], matters["n"], matters["top"], matters["sum"])


def article_usage(article: Article) -> dict[str, Any]:
    """How the article has been used: `uses` (answers that cited it), `rated` (ratings of those orders, an
    unjustified bad rating left out), `average_level` (None without ratings), `satisfied_rate` (share rated 4 or 5,
    None without ratings), `by_level` {5: n, …, 1: n}, `recent` (the last ten uses: order number, when, version)."""
    uses = ArticleUse.objects.filter(article=article)
    ratings = (
        Evaluation.objects.filter(case_id__in=uses.values("case_id"))
        .exclude(verification=Verification.UNJUSTIFIED)
        .values("level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_level = {level: 0 for level in (5, 4, 3, 2, 1)}
    for row in ratings:
        by_level[int(row["level"])] = by_level.get(int(row["level"]), 0) + int(row["n"])
    rated = sum(by_level.values())
    total = sum(level * n for level, n in by_level.items())
    satisfied = sum(n for level, n in by_level.items() if level >= SATISFIED_LEVEL)
    recent = [
        {"number": use.case.number, "used_at": use.used_at, "version": use.version.number, "case_id": use.case_id}
        for use in uses.select_related("case", "version").order_by("-used_at", "-pk")[:RECENT_USES]
    ]
    return {
        "uses": uses.count(),
        "rated": rated,
        "average_level": round(total / rated, 2) if rated else None,
        "satisfied_rate": round(satisfied / rated, 4) if rated else None,
        "by_level": by_level,
        "recent": recent,
    }
