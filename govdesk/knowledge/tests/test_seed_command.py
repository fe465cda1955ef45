"""knowledge_drafts_seed (stores drafts through the services; the demo's review) and knowledge_recall (no database)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from govdesk.audit.models import AuditEvent
from govdesk.knowledge import seeding
from govdesk.knowledge.drafts import SOURCE_PREFIX
from govdesk.knowledge.models import Article, ArticleRevision, ArticleVersion, Reason
from govdesk.knowledge.services import knowledge_revision_publish, knowledge_revision_submit
from govdesk.knowledge.states import Status


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("knowledge_drafts_seed", *args, stdout=out)
    return out.getvalue()


def seeded():
    return ArticleRevision.objects.filter(reason=Reason.SEEDED).order_by("pk")


@pytest.mark.django_db
def test_seed_stores_unpublished_drafts_and_a_second_run_adds_nothing(district, people, categories):
    output = seed("--limit", "5")
    assert "stored 5/5 (new: 5)" in output  # progress
    assert "added: 5 drafts" in output
    revisions = list(seeded())
    assert len(revisions) == 5
    for revision in revisions:
        assert revision.status == Status.DRAFT and revision.is_open
        assert revision.source.startswith(SOURCE_PREFIX)
        assert revision.title and revision.answer and revision.valid_from is None
        assert revision.article.current is None  # nothing is published by seeding
        assert revision.primary_unit_id == revision.article.unit_id
    assert not ArticleVersion.objects.exists()
    # The largest groups come first: the first draft was made from several messages.
    assert revisions[0].source.count(",") >= 2
    audited = AuditEvent.objects.count()

    again = seed("--limit", "5")
    assert "added: 0 drafts; already present: 5" in again
    assert seeded().count() == 5 and Article.objects.count() == 5
    assert AuditEvent.objects.count() == audited

    more = seed("--limit", "7")  # a larger run adds only the new ones
    assert "added: 2 drafts" in more
    assert seeded().count() == 7


@pytest.mark.django_db
def test_dry_run_and_if_empty_store_nothing(district, people, categories):
    output = seed("--limit", "3", "--dry-run")
    assert "would add 3 drafts" in output
    assert not seeded().exists()
    seed("--limit", "2")
    skipped = seed("--if-empty")
    assert "already seeded: 2 drafts" in skipped and "grouping" not in skipped
    assert seeded().count() == 2


@pytest.mark.django_db
def test_drafts_never_appear_in_search_until_published(district, people, categories):
    from govdesk.knowledge.search import knowledge_search

    seed("--limit", "3")
    revision = seeded().first()
    assert revision is not None
    query = revision.title
    assert not [r for r in knowledge_search(query, kinds=("article",)) if r.code == revision.article.code]

    writer = seeding.unit_writer(revision.primary_unit_id)
    assert writer is not None
    knowledge_revision_submit(revision=revision, actor=writer, data={"valid_from": "2020-01-01"})
    assert not [r for r in knowledge_search(query, kinds=("article",)) if r.code == revision.article.code]
    knowledge_revision_publish(revision=revision, actor=people.dispatcher)
    found = [r for r in knowledge_search(query, kinds=("article",)) if r.code == revision.article.code]
    assert found and found[0].title == revision.title


@pytest.mark.django_db
def test_publish_demo_goes_through_the_services_once(district, people, categories):
    output = seed("--limit", "4", "--publish-demo", "2")
    assert "published 2 seeded drafts (already published before: 0)" in output
    published = list(seeded().filter(status=Status.PUBLISHED))
    assert len(published) == 2
    for revision in published:
        article = Article.objects.get(pk=revision.article_id)
        assert article.current is not None and article.current.number == 1
        assert article.current.published_by == seeding.centre_reviewer()
        assert article.current.valid_from is not None
    # The unit's own writer submitted it, the centre published it: the timeline says so.
    from govdesk.cases.models import CaseEvent

    events = {e.action: e for e in CaseEvent.objects.filter(case_id=published[0].pk).select_related("actor")}
    submitter = events["submit"].actor
    assert submitter is not None and submitter.unit_id == published[0].primary_unit_id
    assert events["publish"].actor == seeding.centre_reviewer() == people.dispatcher
    assert seeded().filter(status=Status.DRAFT).count() == 2  # the rest stay drafts for the units

    again = seed("--limit", "4", "--publish-demo", "2")
    assert "published 0 seeded drafts (already published before: 2)" in again
    assert seeded().filter(status=Status.PUBLISHED).count() == 2


@pytest.mark.django_db
def test_units_come_from_the_dispatch_catalogue(district, people, categories):
    unit_for = seeding.unit_resolver()
    assert unit_for({"category": "劳动和社会保障"}) == district.dept_b
    assert unit_for({"category": "城乡建设"}) == district.dept_a
    default = unit_for({"category": ""})
    assert default.kind == "department" and default.accepts_orders
    assert unit_for({"category": "no such label"}) == default
    assert seeding.unit_resolver(default_code="LS-RS")({"category": ""}) == district.dept_b
    with pytest.raises(Exception, match=r"LS-NOPE"):
        seeding.unit_resolver(default_code="LS-NOPE")


@pytest.mark.django_db
def test_bad_arguments_are_refused(district):
    with pytest.raises(CommandError):
        seed("--limit", "-1")
    with pytest.raises(CommandError):
        seed("--limit", "1", "--default-unit", "LS-NOPE")
    assert not seeded().exists()


def test_recall_runs_without_a_database():
    """No django_db mark: any database access would fail the test."""
    out = io.StringIO()
    call_command("knowledge_recall", "--messages", "400", "--own-body-sample", "60", stdout=out)
    lines = out.getvalue().strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["messages"] == 400
    assert summary["own_body"]["queries"] == 60
    for part in ("held_out", "own_body"):
        result = summary[part]
        assert 0.0 <= result["recall_at_1"] <= result["recall_at_5"] <= 1.0
        assert 0.0 <= result["mrr"] <= 1.0
    # Asking a message's own body finds its own group's article nearly always (a sanity floor, not the figure).
    assert summary["own_body"]["recall_at_5"] >= 0.8
    with pytest.raises(CommandError):
        call_command("knowledge_recall", "--holdout-fraction", "1.5", stdout=io.StringIO())
