"""Every write of the knowledge base (知识库). One service per action: check the actor, lock, check the table, write,
record.

Each runs in one transaction with its timeline and audit event (`case_event_record`, as reporting does): a revision
(`ArticleRevision`, a case) is started, saved, submitted, returned, published or discarded; publishing appends the
article's next version and moves `Article.current` in that same transaction, so the article never shows a version
that was not published whole. Permission failures raise PermissionDenied (403) or NotFound (404: a unit asking for
another unit's unpublished article hears "not found", as for a code nobody uses); actions the status does not allow
raise InvalidTransition (409; a second open revision of one article is a 409 with the code "conflict"); bad input
raises ValidationFailed (400) naming each field.

The operator's answer from an article (`knowledge_answer`) is the work order's "answer" action, provided to
workorders through `workorders.hooks.action_service_provide` (workorders never imports this app).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append, audit_batch
from govdesk.calendar.core import deadline_add_working_days
from govdesk.calendar.selectors import calendar_get
from govdesk.cases.models import Case, CaseEvent, CaseKind, CaseUnit
from govdesk.cases.services import case_event_record, case_units_assign, case_urge_owed
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.common.inputs import FieldErrors, text_field, text_input
from govdesk.common.models import Counter
from govdesk.common.services import counter_next
from govdesk.common.validators import validate_supported_date
from govdesk.org.models import Unit
from govdesk.workorders.models import CONTENT_MAX_LENGTH, WorkOrder
from govdesk.workorders.services import workorder_answer

from .models import Article, ArticleRevision, ArticleUse, ArticleVersion, Reason, StatusChoices
from .permissions import (
    article_visible,
    is_centre_reviewer,
    knowledge_check_centre,
    knowledge_check_writer,
    may_answer,
    revision_visible,
    writer_unit_ids,
)
from .states import OPEN_STATUSES, UNIT_OWES_STATUSES, Action, Actor, Status, transition_for

CODE_PREFIX = "ZS"  # 知识: article codes ZS000001…
NUMBER_PREFIX = "ZX"  # 知识修订: revision numbers ZX20261205 0001…, apart from work orders (digits) and reports (TB)
ARTICLE_COUNTER = "knowledge:article"
TITLE_MAX_LENGTH = 200
# The answer is read to the caller and becomes the order's answer: the reply's own limit.
ANSWER_MAX_LENGTH = CONTENT_MAX_LENGTH
POLICY_BASIS_MAX_LENGTH = 2000
AREA_MAX_LENGTH = 100
SOURCE_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 2000
TAG_MAX_LENGTH = 20
TAGS_MAX = 10
# A unit has ten working days to write or revise an article (the centre's working rule for the knowledge base).
REVISION_WORKING_DAYS = 10
EXPIRY_REVIEW_DAYS = 30
DRAFT_FIELDS = ("title", "answer", "policy_basis", "area", "valid_from", "valid_to", "tags")
# Tags typed as one line: separated by commas (either width), the enumeration comma, semicolons or spaces.
TAG_SEPARATORS = re.compile(r"[,，、;；\s]+")
BULK_CHUNK = 500


# --- input checks -------------------------------------------------------------------------------------------------


def _date_field(errors: FieldErrors, field: str, value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            errors.add(field, _("Give a date such as 2026-12-31."))
            return None
    if not isinstance(value, date):
        errors.add(field, _("Give a date such as 2026-12-31."))
        return None
    try:
        validate_supported_date(value)
    except DjangoValidationError as exc:
        for message in exc.messages:
            errors.add(field, message)
        return None
    return value


def _tags_field(errors: FieldErrors, field: str, value: Any) -> list[str]:
    """Tags: a list of words, or one line of them; each 1–20 characters, at most 10, each once."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [t for t in TAG_SEPARATORS.split(value) if t]
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        errors.add(field, _("Give the tags as words."))
        return []
    tags: list[str] = []
    for raw in value:
        tag = text_field(errors, field, raw, required=False, max_length=TAG_MAX_LENGTH).strip()
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        errors.add(field, _("At most %(n)d tags (now %(len)d).") % {"n": TAGS_MAX, "len": len(tags)})
    return tags


@dataclass
class Draft:
    """An article's text as a revision holds it (and a version publishes it)."""

    title: str = ""
    answer: str = ""
    policy_basis: str = ""
    area: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    tags: list[str] | None = None

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) if name != "tags" else list(self.tags or []) for name in DRAFT_FIELDS}


def _draft_of(source: ArticleRevision | ArticleVersion | None) -> Draft:
    if source is None:
        return Draft(tags=[])
    return Draft(
        **{name: getattr(source, name) for name in DRAFT_FIELDS if name != "tags"}, tags=list(source.tags or [])
    )


def knowledge_draft_clean(data: Any, *, base: Draft | None = None, complete: bool = False) -> Draft:
    """The draft `base` with the fields `data` gives, checked; ValidationFailed naming every wrong field at once.

    `complete` (submitting, publishing): the question, the answer and the date it is valid from are required, and it
    must still be valid. A draft being written may be incomplete, never malformed."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed(_("The article's fields are missing."))
    draft = Draft(**(base or Draft(tags=[])).values())
    errors = FieldErrors()
    if "title" in data:
        draft.title = text_field(errors, "title", data["title"], required=False, max_length=TITLE_MAX_LENGTH).strip()
    if "answer" in data:
        draft.answer = text_field(
            errors, "answer", data["answer"], required=False, max_length=ANSWER_MAX_LENGTH, multiline=True
        ).strip()
    if "policy_basis" in data:
        draft.policy_basis = text_field(
            errors,
            "policy_basis",
            data["policy_basis"],
            required=False,
            max_length=POLICY_BASIS_MAX_LENGTH,
            multiline=True,
        ).strip()
    if "area" in data:
        draft.area = text_field(errors, "area", data["area"], required=False, max_length=AREA_MAX_LENGTH).strip()
    if "valid_from" in data:
        draft.valid_from = _date_field(errors, "valid_from", data["valid_from"])
    if "valid_to" in data:
        draft.valid_to = _date_field(errors, "valid_to", data["valid_to"])
    if "tags" in data:
        draft.tags = _tags_field(errors, "tags", data["tags"])
    if (
        draft.valid_from is not None
        and draft.valid_to is not None
        and draft.valid_to < draft.valid_from
        and "valid_to" not in errors.fields
    ):
        errors.add("valid_to", _("The end of validity is before its start."))
    if complete:
        for name, message in (
            ("title", _("Write the question as callers ask it.")),
            ("answer", _("Write the answer.")),
            ("valid_from", _("Give the date the answer is valid from.")),
        ):
            if not getattr(draft, name) and name not in errors.fields:
                errors.add(name, message)
        today = timezone.localdate(clock.now())
        if draft.valid_to is not None and draft.valid_to < today and "valid_to" not in errors.fields:
            errors.add("valid_to", _("The answer is no longer valid on this date: give a later end, or none."))
    errors.raise_if_any()
    return draft


# --- reads the services share -------------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate(clock.now())


def _due(start: datetime, days: int = REVISION_WORKING_DAYS) -> datetime:
    return deadline_add_working_days(start, days, calendar_get()).due_at


def _end_of(day: date) -> datetime:
    """The last moment of `day` in the district's time zone (an expiry review is due when the answer stops being
    valid)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=calendar_get().tz)


def _article_not_found(code: Any) -> NotFound:
    return NotFound(_("No knowledge article %(code)s.") % {"code": str(code)[:40]})


def _revision_not_found(number: Any) -> NotFound:
    return NotFound(_("No article revision with number %(n)s.") % {"n": str(number)[:40]})


def _article_locked(article: Article | str | int, actor: Any, *, lock: bool = True) -> Article:
    """The article (locked unless `lock` is false), if the actor may see it (404 otherwise)."""
    query = Article.objects.select_related("unit", "current")
    if lock:
        query = query.select_for_update(of=("self",))
    key = article.pk if isinstance(article, Article) else article
    found = query.filter(pk=key).first() if isinstance(key, int) else query.filter(code=str(key)[:40]).first()
    if found is None or not article_visible(actor, found):
        raise _article_not_found(getattr(article, "code", article))
    return found


def _unit(value: Unit | str | None) -> Unit:
    if isinstance(value, Unit):
        found: Unit | None = value
    elif isinstance(value, str) and value.strip():
        found = Unit.objects.filter(code=value.strip()[:64]).first()
    else:
        message = _("Choose the responsible unit.")
        raise ValidationFailed(message, fields={"unit": [message]})
    if found is None or not found.is_active:
        message = _("There is no active unit “%(unit)s”.") % {"unit": str(value)[:64]}
        raise ValidationFailed(message, fields={"unit": [message]})
    return found


def _open_conflict(article: Article) -> InvalidTransition:
    open_number = ArticleRevision.objects.filter(open_article=article).values_list("number", flat=True).first()
    return InvalidTransition(
        _("Article %(code)s already has an open revision, %(number)s: continue that one.")
        % {"code": article.code, "number": open_number or "?"},
        code="conflict",
        fields={"article": [open_number or ""]},
    )


def _revision_number(now: datetime) -> str:
    day = timezone.localtime(now).strftime("%Y%m%d")
    return f"{NUMBER_PREFIX}{day}{counter_next(key=f'knowledge:revision:{day}'):04d}"


def _article_code(sequence: int) -> str:
    return f"{CODE_PREFIX}{sequence:06d}"


def _revision_new(
    *,
    article: Article,
    draft: Draft,
    reason: str,
    actor: Any,
    now: datetime,
    due_at: datetime,
    source: str = "",
) -> ArticleRevision:
    revision = ArticleRevision(
        kind=CaseKind.KNOWLEDGE,
        number=_revision_number(now),
        status=Status.DRAFT,
        is_open=True,
        created_at=now,
        updated_at=now,
        dispatched_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        due_at=due_at,
        primary_unit=article.unit,
        article=article,
        open_article=article,
        reason=reason,
        source=source,
        **draft.values(),
    )
    try:
        with transaction.atomic():
            revision.save(force_insert=True)
    except IntegrityError:
        # Another transaction opened one between our check and our insert (the unique open_article caught it).
        raise _open_conflict(article) from None
    case_units_assign(case=revision, primary=article.unit)
    return revision


# --- starting a revision ------------------------------------------------------------------------------------------


@transaction.atomic
def knowledge_revision_start(
    *,
    actor: Any,
    data: dict[str, Any],
    unit: Unit | str | None = None,
    article: Article | str | None = None,
    reason: str = "new",
) -> ArticleRevision:
    """新增/修订: a draft for a new article (unit writers: for their own unit, or a unit below an administrator's;
    centre reviewers name the `unit`), or, with `article`, an edit: the draft starts from the current version and
    `data` overrides it. Due in ten working days. One open revision per article (409 "conflict" naming it)."""
    if reason not in Reason.values:
        message = _("Unknown reason for a revision.")
        raise ValidationFailed(message, fields={"reason": [message]})
    now = clock.now()
    if article is not None:
        found = _article_locked(article, actor)
        knowledge_check_writer(actor, found.unit_id)
        if found.is_withdrawn:
            raise InvalidTransition(_("Article %(code)s has been withdrawn.") % {"code": found.code})
        if ArticleRevision.objects.filter(open_article=found).exists():
            raise _open_conflict(found)
        if found.current is not None:
            base = _draft_of(found.current)
        else:
            base = _draft_of(ArticleRevision.objects.filter(article=found).order_by("-created_at", "-pk").first())
        draft = knowledge_draft_clean(data, base=base)
        revision_reason = Reason.EDIT if reason == Reason.NEW else reason
        target = found
    else:
        if is_centre_reviewer(actor):
            chosen = _unit(unit)
        else:
            units = writer_unit_ids(actor)
            if not units:
                raise PermissionDenied(
                    _("Only units' handlers and administrators, or the 12345 centre, may write articles.")
                )
            chosen = _unit(unit) if unit not in (None, "") else _unit(actor.unit)
            if chosen.pk not in units:
                raise PermissionDenied(_("You may write articles only for your own unit."))
        draft = knowledge_draft_clean(data)
        revision_reason = reason
        target = Article.objects.create(
            code=_article_code(counter_next(key=ARTICLE_COUNTER)), unit=chosen, created_at=now, updated_at=now
        )
    revision = _revision_new(
        article=target, draft=draft, reason=revision_reason, actor=actor, now=now, due_at=_due(now)
    )
    case_event_record(
        case=revision,
        action="start",
        actor=actor,
        to_status=Status.DRAFT,
        data={"article": target.code, "reason": str(revision_reason)},
    )
    return revision


# --- the lifecycle ------------------------------------------------------------------------------------------------


def _revision_locked(revision: ArticleRevision | str, actor: Any) -> ArticleRevision:
    number = revision.number if isinstance(revision, ArticleRevision) else str(revision)[:40]
    found = (
        ArticleRevision.objects.select_for_update(of=("self", "case_ptr"))
        .select_related("article", "article__unit")
        .filter(number=number)
        .first()
    )
    if found is None or not revision_visible(actor, found):
        raise _revision_not_found(number)
    return found


def _action_label(action: Action) -> str:
    return {
        Action.SAVE: _("Save"),
        Action.SUBMIT: _("Submit"),
        Action.RETURN: _("Return"),
        Action.PUBLISH: _("Publish"),
        Action.DISCARD: _("Discard"),
    }[action]


def _begin(revision: ArticleRevision | str, actor: Any, action: Action) -> ArticleRevision:
    """Lock and check, in this order: the role (403), visibility (404), the status (409), the unit (403)."""
    if action in (Action.RETURN, Action.PUBLISH):
        knowledge_check_centre(actor)
    locked = _revision_locked(revision, actor)
    row = transition_for(locked.status, action)
    if row is None:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the revision is “%(status)s”.")
            % {"action": _action_label(action), "status": locked.get_status_display()}
        )
    unit_writer = locked.article.unit_id in writer_unit_ids(actor)
    if not ((Actor.UNIT in row.actors and unit_writer) or (Actor.CENTRE in row.actors and is_centre_reviewer(actor))):
        raise PermissionDenied(_("Only the responsible unit's handlers and administrators may do this."))
    return locked


def _move(
    revision: ArticleRevision,
    action: Action,
    *,
    actor: Any,
    note: str = "",
    data: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
) -> ArticleRevision:
    row = transition_for(revision.status, action)
    assert row is not None
    from_status = revision.status
    revision.status = row.target
    revision.is_open = row.target in OPEN_STATUSES
    revision.updated_at = clock.now()
    changed = {"status", "is_open", "updated_at", *fields}
    if not revision.is_open:
        revision.closed_at = revision.updated_at
        revision.open_article = None
        revision.is_due_soon = revision.is_sign_overdue = revision.is_overdue = False
        changed |= {"closed_at", "open_article", "is_due_soon", "is_sign_overdue", "is_overdue"}
    revision.save(update_fields=sorted(changed))
    case_event_record(
        case=revision,
        action=action.value,
        actor=actor,
        from_status=from_status,
        to_status=row.target,
        note=note,
        data={"article": revision.article.code, **(data or {})},
    )
    return revision


def _draft_write(revision: ArticleRevision, draft: Draft) -> list[str]:
    """Put `draft` on the revision; the names of the fields that changed."""
    changed = [name for name in DRAFT_FIELDS if getattr(revision, name) != getattr(draft, name)]
    for name in DRAFT_FIELDS:
        setattr(revision, name, list(draft.tags or []) if name == "tags" else getattr(draft, name))
    return changed


@transaction.atomic
def knowledge_revision_save(*, revision: ArticleRevision | str, actor: Any, data: dict[str, Any]) -> ArticleRevision:
    """暂存: keep the draft as written (checked for form, not completeness). An unchanged draft writes nothing."""
    locked = _begin(revision, actor, Action.SAVE)
    draft = knowledge_draft_clean(data, base=_draft_of(locked))
    changed = _draft_write(locked, draft)
    if not changed:
        return locked
    return _move(locked, Action.SAVE, actor=actor, data={"fields": changed}, fields=DRAFT_FIELDS)


@transaction.atomic
def knowledge_revision_submit(
    *, revision: ArticleRevision | str, actor: Any, data: dict[str, Any] | None = None
) -> ArticleRevision:
    """提交审核: the draft (with `data` applied) must be complete: the question, the answer, valid from (and until
    no earlier, and not already past); then the centre reviews it."""
    locked = _begin(revision, actor, Action.SUBMIT)
    draft = knowledge_draft_clean(data, base=_draft_of(locked), complete=True)
    changed = _draft_write(locked, draft)
    late = locked.due_at is not None and clock.now() > locked.due_at
    return _move(locked, Action.SUBMIT, actor=actor, data={"fields": changed, "late": late}, fields=DRAFT_FIELDS)


@transaction.atomic
def knowledge_revision_return(*, revision: ArticleRevision | str, actor: Any, note: Any) -> ArticleRevision:
    """退回: the centre sends the draft back with a note the unit reads; the unit corrects and submits again."""
    locked = _begin(revision, actor, Action.RETURN)
    text = text_input(note, "note", required=True, max_length=NOTE_MAX_LENGTH)
    locked.review_note = text
    return _move(locked, Action.RETURN, actor=actor, note=text, fields=("review_note",))


@transaction.atomic
def knowledge_revision_publish(*, revision: ArticleRevision | str, actor: Any, note: Any = "") -> ArticleRevision:
    """发布: the draft becomes the article's next version (appended, never changed), `current` points to it and the
    article's `updated_at` moves (the search index sees it at its next query); the revision closes. Returns the
    revision (`revision.article.current` is the new version)."""
    locked = _begin(revision, actor, Action.PUBLISH)
    text = text_input(note, "note", required=False, max_length=NOTE_MAX_LENGTH)
    # Checked again: a draft submitted long ago may have expired while it waited.
    draft = knowledge_draft_clean({}, base=_draft_of(locked), complete=True)
    article = Article.objects.select_for_update().get(pk=locked.article_id)
    if article.is_withdrawn:
        raise InvalidTransition(_("Article %(code)s has been withdrawn.") % {"code": article.code})
    now = clock.now()
    number = (ArticleVersion.objects.filter(article=article).aggregate(n=Max("number"))["n"] or 0) + 1
    assert draft.valid_from is not None
    version = ArticleVersion.objects.create(
        article=article,
        number=number,
        **draft.values(),
        published_at=now,
        published_by=actor,
        revision=locked,
    )
    article.current = version
    article.updated_at = now
    article.save(update_fields=["current", "updated_at"])
    locked.article = article
    return _move(locked, Action.PUBLISH, actor=actor, note=text, data={"version": number})


@transaction.atomic
def knowledge_revision_discard(*, revision: ArticleRevision | str, actor: Any, note: Any = "") -> ArticleRevision:
    """废弃: drop a draft (the unit's, or the centre's call); nothing is published and the article stays as it was."""
    locked = _begin(revision, actor, Action.DISCARD)
    text = text_input(note, "note", required=False, max_length=NOTE_MAX_LENGTH)
    return _move(locked, Action.DISCARD, actor=actor, note=text)


@transaction.atomic
def knowledge_article_withdraw(*, article: Article | str, actor: Any, note: Any) -> Article:
    """撤下: the centre takes an article out of the base (wrong, or no longer the policy): never shown or answered
    from again, kept for the answers that cited it; an open revision of it is discarded with the same note."""
    knowledge_check_centre(actor)
    text = text_input(note, "note", required=True, max_length=NOTE_MAX_LENGTH)
    found = _article_locked(article, actor, lock=False)
    # Locked in the order publishing locks them (the revision, then its article), so the two never deadlock.
    open_revision = (
        ArticleRevision.objects.select_for_update(of=("self", "case_ptr")).filter(open_article=found).first()
    )
    locked = _article_locked(found.pk, actor)
    if locked.is_withdrawn:
        raise InvalidTransition(_("Article %(code)s has been withdrawn already.") % {"code": locked.code})
    if open_revision is not None:
        open_revision.article = locked
        if open_revision.status == Status.SUBMITTED:
            # A submitted draft cannot be discarded through the table (the unit no longer holds it); closing it here
            # is the withdrawal's consequence, recorded as such.
            from_status = open_revision.status
            open_revision.status = Status.DISCARDED
            open_revision.is_open = False
            open_revision.updated_at = open_revision.closed_at = clock.now()
            open_revision.open_article = None
            open_revision.save(update_fields=["status", "is_open", "updated_at", "closed_at", "open_article"])
            case_event_record(
                case=open_revision,
                action="discard",
                actor=actor,
                from_status=from_status,
                to_status=Status.DISCARDED,
                note=text,
                data={"article": locked.code, "withdrawn": True},
            )
        else:
            _move(open_revision, Action.DISCARD, actor=actor, note=text, data={"withdrawn": True})
    was = "published" if locked.current_id is not None else "unpublished"
    locked.is_withdrawn = True
    locked.updated_at = clock.now()
    locked.save(update_fields=["is_withdrawn", "updated_at"])
    audit_append(
        action="knowledge.withdraw",
        actor=actor,
        object_type="knowledge_article",
        object_id=locked.code,
        from_state=was,
        to_state="withdrawn",
        note=text[:500],
    )
    return locked


# --- seeded drafts ------------------------------------------------------------------------------------------------


def _counter_reserve(key: str, count: int) -> int:
    """The first of `count` consecutive values of the named sequence, reserved in the caller's transaction."""
    first = counter_next(key=key)
    if count > 1:
        Counter.objects.filter(key=key).update(value=F("value") + (count - 1))
    return first


def _insert_revisions(revisions: list[ArticleRevision]) -> None:
    """Django's bulk_create refuses a multi-table model: the case rows first (their ids come back on PostgreSQL and
    SQLite ≥ 3.35), then the revisions' own columns with `case_ptr_id` set, through the insert bulk_create uses."""
    parent_fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    parents = [Case(**{f.attname: getattr(r, f.attname) for f in parent_fields}) for r in revisions]
    Case.objects.bulk_create(parents, batch_size=BULK_CHUNK)
    for revision, parent in zip(revisions, parents, strict=True):
        assert parent.pk is not None, "the database did not return the new cases' ids"
        revision.pk = parent.pk
        revision.case_ptr_id = parent.pk
        revision._state.adding = False
    fields = list(ArticleRevision._meta.local_concrete_fields)
    size = max(1, min(BULK_CHUNK, connection.ops.bulk_batch_size(fields, revisions)))
    manager: Any = ArticleRevision._base_manager
    for start in range(0, len(revisions), size):
        manager._insert(revisions[start : start + size], fields=fields, using=manager.db)


def _seed_clean(index: int, raw: Any, errors: FieldErrors) -> tuple[Draft, str] | None:
    if not isinstance(raw, dict):
        errors.add(f"drafts.{index}", _("Not a draft."))
        return None
    sub = FieldErrors()
    draft = Draft(
        title=text_field(sub, "title", raw.get("title"), required=True, max_length=TITLE_MAX_LENGTH).strip(),
        answer=text_field(
            sub, "answer", raw.get("answer"), required=True, max_length=ANSWER_MAX_LENGTH, multiline=True
        ).strip(),
        policy_basis=text_field(
            sub,
            "policy_basis",
            raw.get("policy_basis"),
            required=False,
            max_length=POLICY_BASIS_MAX_LENGTH,
            multiline=True,
        ).strip(),
        area=text_field(sub, "area", raw.get("area"), required=False, max_length=AREA_MAX_LENGTH).strip(),
        tags=_tags_field(sub, "tags", raw.get("tags")),
    )
    source = text_field(sub, "source", raw.get("source"), required=True, max_length=SOURCE_MAX_LENGTH).strip()
    for field, messages in sub.fields.items():
        for message in messages:
            errors.add(f"drafts.{index}.{field}", message)
    return None if sub.fields else (draft, source)


@transaction.atomic
def knowledge_drafts_bulk_create(
    *, drafts: Iterable[dict[str, Any]], actor: Any, unit_for: Callable[[dict[str, Any]], Unit]
) -> int:
    """历史答复整理: one new article (unpublished) and one draft revision (reason "seeded", due in ten working days)
    per dict (title, answer, policy_basis, area, tags, source; `unit_for(dict)` gives its unit), written in bulk; a
    draft whose `source` is already in the base (or twice in `drafts`) is skipped, so a second run adds nothing.
    `actor`: a centre reviewer, or None for the command line. Any wrong draft: ValidationFailed naming
    `drafts.<n>.<field>`, and nothing is written. Returns how many were created. Case-event listeners are not called
    (no subscriber listens to knowledge revisions)."""
    if actor is not None:
        knowledge_check_centre(actor)
    errors = FieldErrors()
    cleaned: list[tuple[Draft, str, Unit]] = []
    seen: set[str] = set()
    items = list(drafts)
    sources = [str(d.get("source", "")).strip() for d in items if isinstance(d, dict)]
    existing: set[str] = set()
    for start in range(0, len(sources), BULK_CHUNK):
        existing.update(
            ArticleRevision.objects.filter(source__in=sources[start : start + BULK_CHUNK]).values_list(
                "source", flat=True
            )
        )
    for index, raw in enumerate(items):
        found = _seed_clean(index, raw, errors)
        if found is None:
            continue
        draft, source = found
        if source in existing or source in seen:
            continue
        seen.add(source)
        unit = unit_for(raw)
        if not isinstance(unit, Unit) or not unit.is_active:
            errors.add(f"drafts.{index}.unit", _("No active responsible unit for this draft."))
            continue
        cleaned.append((draft, source, unit))
    errors.raise_if_any()
    if not cleaned:
        return 0
    now = clock.now()
    due_at = _due(now)
    user = actor if getattr(actor, "is_authenticated", False) else None
    day = timezone.localtime(now).strftime("%Y%m%d")
    first_code = _counter_reserve(ARTICLE_COUNTER, len(cleaned))
    first_number = _counter_reserve(f"knowledge:revision:{day}", len(cleaned))
    with audit_batch():
        articles = Article.objects.bulk_create(
            [
                Article(code=_article_code(first_code + i), unit=unit, created_at=now, updated_at=now)
                for i, (_draft, _source, unit) in enumerate(cleaned)
            ],
            batch_size=BULK_CHUNK,
        )
        revisions = [
            ArticleRevision(
                kind=CaseKind.KNOWLEDGE,
                number=f"{NUMBER_PREFIX}{day}{first_number + i:04d}",
                status=Status.DRAFT,
                is_open=True,
                title=draft.title,
                created_at=now,
                updated_at=now,
                dispatched_at=now,
                created_by=user,
                due_at=due_at,
                primary_unit=unit,
                article=article,
                open_article=article,
                reason=Reason.SEEDED,
                answer=draft.answer,
                policy_basis=draft.policy_basis,
                area=draft.area,
                valid_from=None,
                valid_to=None,
                tags=list(draft.tags or []),
                source=source,
            )
            for i, ((draft, source, unit), article) in enumerate(zip(cleaned, articles, strict=True))
        ]
        _insert_revisions(revisions)
        CaseUnit.objects.bulk_create(
            [
                CaseUnit(case_id=r.pk, unit=unit, role="primary", assigned_at=now, is_active=True)
                for r, (_draft, _source, unit) in zip(revisions, cleaned, strict=True)
            ],
            batch_size=BULK_CHUNK,
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=r.pk,
                    occurred_at=now,
                    actor=user,
                    actor_unit=getattr(user, "unit", None),
                    action="start",
                    to_status=Status.DRAFT,
                    data={"article": r.article.code, "reason": Reason.SEEDED.value, "source": r.source},
                )
                for r in revisions
            ],
            batch_size=BULK_CHUNK,
        )
        for r in revisions:
            audit_append(
                action=f"{CaseKind.KNOWLEDGE}.start",
                actor=user,
                object_type=CaseKind.KNOWLEDGE,
                object_id=r.number,
                to_state=Status.DRAFT,
                note=r.source[:500],
            )
    return len(revisions)


# --- expiry reviews -----------------------------------------------------------------------------------------------


def knowledge_expiry_reviews_open(*, today: date | None = None, days: int = EXPIRY_REVIEW_DAYS) -> int:
    """到期复核: for every published, not withdrawn article whose current version stops being valid within `days`
    (or already has) and that has no open revision, an "expiry" revision for its unit, prefilled with the current
    version and due at the end of its last valid day. Each in its own transaction; running it again opens nothing
    new. Returns how many were opened."""
    today = today or _today()
    horizon = today + timedelta(days=max(0, int(days)))
    candidates = list(
        Article.objects.filter(
            is_withdrawn=False,
            current__isnull=False,
            current__valid_to__isnull=False,
            current__valid_to__lte=horizon,
            open_revision__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    opened = 0
    for pk in candidates:
        with transaction.atomic():
            article = (
                Article.objects.select_for_update(of=("self",)).select_related("unit", "current").filter(pk=pk).first()
            )
            if (
                article is None
                or article.is_withdrawn
                or article.current is None
                or article.current.valid_to is None
                or article.current.valid_to > horizon
                or ArticleRevision.objects.filter(open_article=article).exists()
            ):
                continue
            now = clock.now()
            valid_to = article.current.valid_to
            revision = _revision_new(
                article=article,
                draft=_draft_of(article.current),
                reason=Reason.EXPIRY,
                actor=None,
                now=now,
                due_at=_end_of(valid_to),
            )
            case_event_record(
                case=revision,
                action="start",
                actor=None,
                to_status=Status.DRAFT,
                data={"article": article.code, "reason": Reason.EXPIRY.value, "valid_to": valid_to.isoformat()},
            )
            opened += 1
    return opened


# --- supervision's urge -------------------------------------------------------------------------------------------


def knowledge_revision_urge_recorded(case: Case, actor: Any, note: str) -> None:
    """催办 (the supervision sweep, registered in apps.py): an "urge" event on the revision's timeline while its unit
    still owes it; in the caller's transaction."""
    case_urge_owed(
        model=ArticleRevision,
        case=case,
        actor=actor,
        note=note,
        owes_statuses=UNIT_OWES_STATUSES,
        not_found=_revision_not_found,
        not_owed=lambda locked: (
            _("“%(action)s” is not possible while the revision is “%(status)s”.")
            % {"action": _("Urge"), "status": locked.get_status_display()}
        ),
    )


def knowledge_revision_url(case: Case) -> str:
    """The revision's page, for supervision's lists (empty while the pages are not installed)."""
    try:
        return reverse("knowledge:revision_detail", args=[case.number])
    except NoReverseMatch:
        return ""


def knowledge_status_labels() -> dict[str, Any]:
    return dict(StatusChoices.choices)


# --- answering from an article ------------------------------------------------------------------------------------


def _article_for_answer(article: int | str) -> tuple[Article, ArticleVersion]:
    """The article an answer cites, locked: published, not withdrawn and valid today, or ValidationFailed naming
    `article`."""
    key = article.strip() if isinstance(article, str) else article
    query = Article.objects.select_for_update(of=("self",)).select_related("current")
    found: Article | None
    if isinstance(key, bool) or not isinstance(key, int | str) or key == "":
        found = None
    elif isinstance(key, int) or (key.isascii() and key.isdigit()):
        found = query.filter(pk=int(key)).first() if 0 < int(key) < 2**63 else None
    else:
        found = query.filter(code=key[:16].upper()).first()
    if found is None:
        message = _("There is no knowledge article %(code)s.") % {"code": str(article)[:40]}
        raise ValidationFailed(message, fields={"article": [message]})
    version = found.current
    if found.is_withdrawn or version is None:
        message = _("Knowledge article %(code)s is not published: answer without it.") % {"code": found.code}
        raise ValidationFailed(message, fields={"article": [message]})
    today = _today()
    if version.valid_from > today or (version.valid_to is not None and version.valid_to < today):
        message = _("Knowledge article %(code)s is not valid today: answer without it.") % {"code": found.code}
        raise ValidationFailed(message, fields={"article": [message]})
    return found, version


@transaction.atomic
def knowledge_answer(*, order: WorkOrder | str, actor: Any, answer: str, article: int | str | None = None) -> WorkOrder:
    """直接办结 citing a knowledge article: without `article`, exactly the work order's own answer. With one (its id
    or code), the article must be published, not withdrawn and valid today (else 400 naming `article`, nothing
    written); the order is answered with the citation on its timeline, the use recorded (`ArticleUse`) and the
    article's use count raised, all in one transaction."""
    if article is None or (isinstance(article, str) and not article.strip()):
        return workorder_answer(order=order, actor=actor, answer=answer)
    if not may_answer(actor):
        # The order's own check would refuse too; refusing first keeps a stranger from probing article codes.
        raise PermissionDenied(_("Only the 12345 centre's staff may answer from the knowledge base."))
    found, version = _article_for_answer(article)
    answered = workorder_answer(
        order=order,
        actor=actor,
        answer=answer,
        cited={"article": found.code, "version": version.number, "title": version.title},
    )
    ArticleUse.objects.create(article=found, version=version, case=answered, used_by=actor, used_at=clock.now())
    Article.objects.filter(pk=found.pk).update(use_count=F("use_count") + 1)
    return answered
