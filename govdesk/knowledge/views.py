"""Knowledge base pages (知识库). Staff: the article list (ranked search + filters), a new article, one article (its
published version, versions with what changed, use and ratings, edit and withdraw), the revisions to work on, and one
revision (the unit's editor, the centre's review with a diff against the published version, the timeline). Citizens
(no login): search and read published, valid articles and the service guides.

Views parse, call one service or selector, render. A bad input re-renders the same page with everything as typed and
each problem at its field (400); nothing is written by a refused request."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.common.pages import application_error_page, error_page, staff_page

from . import selectors, services
from .charts import ratings_svg
from .diffs import changes_between
from .forms import ArticleFilterForm, DraftForm, NoteForm, PublicSearchForm
from .models import Article, ArticleRevision, ArticleVersion, StatusChoices
from .permissions import CENTRE_ROLES, PAGE_ROLES, UNIT_ROLES, is_centre_reviewer, is_unit_writer
from .search import knowledge_search
from .states import Action, Actor, Status, actions_from

# The units write and the centre reviews; operators (and leaders) read the published articles.
WRITER_ROLES = (*CENTRE_ROLES, *UNIT_ROLES)
ARTICLES_PAGE_SIZE = 30
REVISIONS_PAGE_SIZE = 50
STAFF_SEARCH_LIMIT = 10
PUBLIC_SEARCH_LIMIT = 20
PUBLIC_LIST_SIZE = 30
# The public page searches for anyone: searching costs CPU, so a client address is limited like the other public
# pages (settings.GOVDESK["PUBLIC_KNOWLEDGE_RATE"] overrides it).
PUBLIC_KNOWLEDGE_RATE_DEFAULT = "600/h"


def _is_centre(user: Any) -> bool:
    return is_centre_reviewer(user)


def _writes_for(user: Any, unit_id: int | None) -> bool:
    """A handler or administrator of the article's responsible unit (the services check it again)."""
    return unit_id is not None and is_unit_writer(user, unit_id)


def _marked(passage: str, highlights: Any) -> list[tuple[str, bool]]:
    """The passage cut into (text, highlighted) pieces: the template wraps the highlighted ones in <mark>, escaping
    every piece (never the search's text as HTML)."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted((int(s), int(e)) for s, e in highlights or ()):
        start, end = max(start, at), min(end, len(passage))
        if end <= start:
            continue
        if start > at:
            pieces.append((passage[at:start], False))
        pieces.append((passage[start:end], True))
        at = end
    if at < len(passage):
        pieces.append((passage[at:], False))
    return pieces


def _results(query: str, *, limit: int, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    if not query:
        return []
    return [
        {"result": result, "pieces": _marked(result.passage, result.highlights)}
        for result in knowledge_search(query, limit=limit, kinds=kinds)
    ]


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _service_errors_to_form(form: Any, exc: ValidationFailed) -> None:
    """The service's problems at their fields; one the form has no field for goes above the form."""
    placed = False
    for field, found in (exc.fields or {}).items():
        for message in found:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


# --- staff: articles ------------------------------------------------------------------------------------------------


@staff_page(*PAGE_ROLES)
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ArticleFilterForm(request.GET or None)
    refused: dict[str, Any] = {"form": form, "page": None, "results": [], "can_write": user.has_role(*WRITER_ROLES)}
    if form.is_bound and not form.is_valid():
        return render(request, "knowledge/article_list.html", refused, status=400)
    filters = form.filters()
    articles = selectors.articles_list(user=user, **filters)
    page = Paginator(articles, ARTICLES_PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "page": page,
        "results": _results(filters["q"], limit=STAFF_SEARCH_LIMIT, kinds=("article", "guide")),
        "can_write": bool(user.has_role(*WRITER_ROLES)),
        "query": _query_without_page(request),
    }
    return render(request, "knowledge/article_list.html", context)


@staff_page(*WRITER_ROLES)
@require_http_methods(["GET", "POST"])
def article_new(request: HttpRequest) -> HttpResponseBase:
    user: Any = request.user
    with_unit = _is_centre(user)
    if request.method == "GET":
        return render(request, "knowledge/article_new.html", {"form": DraftForm(with_unit=with_unit)})
    form = DraftForm(request.POST, with_unit=with_unit)
    if form.is_valid():
        try:
            revision = services.knowledge_revision_start(
                actor=user, data=form.draft_data(), unit=form.unit_code(), reason="new"
            )
        except ValidationFailed as exc:
            _service_errors_to_form(form, exc)
        except ApplicationError as exc:
            return application_error_page(request, exc)
        else:
            messages.success(
                request,
                _("Draft %(number)s saved. Submit it for review when it is ready.") % {"number": revision.number},
            )
            return redirect(reverse("knowledge:revision_detail", args=[revision.number]))
    return render(request, "knowledge/article_new.html", {"form": form}, status=400)


def _versions_with_changes(article: Article) -> list[dict[str, Any]]:
    versions = selectors.article_versions(article=article)
    drawn: list[dict[str, Any]] = []
    previous: ArticleVersion | None = None
    for version in versions:
        drawn.append({"version": version, "changes": changes_between(previous, version) if previous else []})
        previous = version
    drawn.reverse()
    return drawn


def _open_revision(article: Article) -> ArticleRevision | None:
    try:
        return article.open_revision
    except ArticleRevision.DoesNotExist:
        return None


def _article_context(request: HttpRequest, article: Article, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    usage = selectors.article_usage(article)
    version = article.current
    open_revision = _open_revision(article)
    writes = _writes_for(user, article.unit_id)
    today = timezone.localdate()
    return {
        "article": article,
        "version": version,
        "valid_now": version is not None
        and version.valid_from <= today
        and (version.valid_to is None or version.valid_to >= today),
        "versions": _versions_with_changes(article),
        "usage": usage,
        "satisfied_percent": None if usage.get("satisfied_rate") is None else 100 * usage["satisfied_rate"],
        "chart": ratings_svg(usage.get("by_level") or {}),
        "open_revision": open_revision if (writes or _is_centre(user)) else None,
        "can_edit": writes and not article.is_withdrawn and open_revision is None,
        "can_withdraw": _is_centre(user) and not article.is_withdrawn and version is not None,
        "withdraw_form": extra.pop("withdraw_form", None) or NoteForm(),
        **extra,
    }


def _article_not_found(request: HttpRequest, code: str) -> HttpResponse:
    return error_page(request, _("No knowledge article with code %(code)s.") % {"code": code[:40]}, 404)


@staff_page(*PAGE_ROLES)
@require_http_methods(["GET", "POST"])
def article_detail(request: HttpRequest, code: str) -> HttpResponseBase:
    user: Any = request.user
    article = selectors.article_get(user=user, code=code)
    if article is None:
        return _article_not_found(request, code)
    if request.method == "GET":
        return render(request, "knowledge/article_detail.html", _article_context(request, article))
    action = request.POST.get("action", "")
    try:
        if action == "edit":
            revision = services.knowledge_revision_start(actor=user, data={}, article=article, reason="edit")
            messages.success(
                request, _("Revision %(number)s opened from the published version.") % {"number": revision.number}
            )
            return redirect(reverse("knowledge:revision_detail", args=[revision.number]))
        if action == "withdraw":
            form = NoteForm(request.POST)
            if not form.is_valid():
                context = _article_context(request, article, withdraw_form=form)
                return render(request, "knowledge/article_detail.html", context, status=400)
            try:
                services.knowledge_article_withdraw(article=article, actor=user, note=form.note_text())
            except ValidationFailed as exc:
                _service_errors_to_form(form, exc)
                context = _article_context(request, article, withdraw_form=form)
                return render(request, "knowledge/article_detail.html", context, status=400)
            messages.success(request, _("The article was withdrawn: nobody answers from it any more."))
            return redirect(reverse("knowledge:article_detail", args=[article.code]))
        raise ValidationFailed(_("Unknown action."))
    except ApplicationError as exc:
        return application_error_page(request, exc)


# --- staff: revisions -----------------------------------------------------------------------------------------------


@staff_page(*WRITER_ROLES)
@require_GET
def revision_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    status = request.GET.get("status", "")
    if status and status not in {s.value for s in Status}:
        return error_page(request, _("Unknown status."), 400)
    revisions = selectors.revisions_for_user(user, status=status)
    page = Paginator(revisions, REVISIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"revision": r, "overdue": r.is_open and r.due_at is not None and r.due_at < now} for r in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": StatusChoices.choices,
        "is_centre": _is_centre(user),
        "query": _query_without_page(request),
    }
    return render(request, "knowledge/revision_list.html", context)


def _event_label(action: str) -> str:
    labels = {
        "start": pgettext("knowledge event", "Started"),
        "save": pgettext("knowledge event", "Saved"),
        "submit": pgettext("knowledge event", "Submitted"),
        "return": pgettext("knowledge event", "Returned"),
        "publish": pgettext("knowledge event", "Published"),
        "discard": pgettext("knowledge event", "Discarded"),
        "urge": pgettext("knowledge event", "Urged"),
        "escalate": pgettext("knowledge event", "Escalated"),
    }
    return str(labels.get(action, action))


def _revision_context(request: HttpRequest, revision: ArticleRevision, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    article = revision.article
    writes = _writes_for(user, article.unit_id)
    centre = _is_centre(user)
    unit_actions = actions_from(revision.status, Actor.UNIT) if writes else []
    centre_actions = actions_from(revision.status, Actor.CENTRE) if centre else []
    can_edit = Action.SAVE in unit_actions
    form = extra.pop("form", None)
    if form is None and can_edit:
        form = DraftForm(initial=DraftForm.initial_from(revision))
    return {
        "revision": revision,
        "article": article,
        "current": article.current,
        "changes": changes_between(article.current, revision),
        "can_edit": can_edit,
        "can_review": Action.PUBLISH in centre_actions,
        "can_discard": Action.DISCARD in unit_actions or Action.DISCARD in centre_actions,
        "form": form,
        "note_form": extra.pop("note_form", None) or NoteForm(),
        "overdue": revision.is_open and revision.due_at is not None and revision.due_at < timezone.now(),
        "timeline": [(event, _event_label(event.action)) for event in selectors.revision_timeline(revision=revision)],
        **extra,
    }


def _revision_not_found(request: HttpRequest, number: str) -> HttpResponse:
    return error_page(request, _("No knowledge revision with number %(n)s.") % {"n": number[:40]}, 404)


@staff_page(*WRITER_ROLES)
@require_http_methods(["GET", "POST"])
def revision_detail(request: HttpRequest, number: str) -> HttpResponseBase:
    user: Any = request.user
    revision = selectors.revision_get(user=user, number=number)
    if revision is None:
        return _revision_not_found(request, number)
    template = "knowledge/revision_detail.html"
    if request.method == "GET":
        return render(request, template, _revision_context(request, revision))
    action = request.POST.get("action", "")
    try:
        if action in (Action.SAVE, Action.SUBMIT):
            form = DraftForm(request.POST)
            if not form.is_valid():
                return render(request, template, _revision_context(request, revision, form=form), status=400)
            try:
                if action == Action.SAVE:
                    services.knowledge_revision_save(revision=revision, actor=user, data=form.draft_data())
                    done = _("Draft saved.")
                else:
                    services.knowledge_revision_submit(revision=revision, actor=user, data=form.draft_data())
                    done = _("Submitted to the 12345 centre for review.")
            except ValidationFailed as exc:
                _service_errors_to_form(form, exc)
                revision.refresh_from_db()
                return render(request, template, _revision_context(request, revision, form=form), status=400)
        elif action in (Action.RETURN, Action.PUBLISH, Action.DISCARD):
            note_form = NoteForm(request.POST)
            if not note_form.is_valid():
                context = _revision_context(request, revision, note_form=note_form)
                return render(request, template, context, status=400)
            try:
                if action == Action.RETURN:
                    services.knowledge_revision_return(revision=revision, actor=user, note=note_form.note_text())
                    done = _("Returned to the unit with your note.")
                elif action == Action.PUBLISH:
                    services.knowledge_revision_publish(revision=revision, actor=user, note=note_form.note_text())
                    done = _("Published: operators and citizens find it now.")
                else:
                    services.knowledge_revision_discard(revision=revision, actor=user, note=note_form.note_text())
                    done = _("Draft discarded.")
            except ValidationFailed as exc:
                _service_errors_to_form(note_form, exc)
                revision.refresh_from_db()
                context = _revision_context(request, revision, note_form=note_form)
                return render(request, template, context, status=400)
        else:
            raise ValidationFailed(_("Unknown action."))
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, done)
    if action == Action.PUBLISH:
        return redirect(reverse("knowledge:article_detail", args=[revision.article.code]))
    return redirect(reverse("knowledge:revision_detail", args=[revision.number]))


# --- public ---------------------------------------------------------------------------------------------------------


def _public_rate(group: str, request: HttpRequest) -> str:
    return str(settings.GOVDESK.get("PUBLIC_KNOWLEDGE_RATE", PUBLIC_KNOWLEDGE_RATE_DEFAULT))


def _public_response(response: HttpResponse) -> HttpResponse:
    """Published answers are public, but a withdrawal must take effect at once: no shared cache keeps a copy."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


@require_GET
@ratelimit(key="ip", rate=_public_rate, method="GET", block=True)
def public_list(request: HttpRequest) -> HttpResponse:
    form = PublicSearchForm(request.GET if "q" in request.GET else None)
    if form.is_bound and not form.is_valid():
        refused = {"form": form, "results": [], "latest": []}
        return _public_response(render(request, "knowledge/public_list.html", refused, status=400))
    query = form.query()
    context: dict[str, Any] = {
        "form": form,
        "q": query,
        "results": _results(query, limit=PUBLIC_SEARCH_LIMIT, kinds=("article", "guide")),
        # Without a question: the latest published answers, so the page is useful before typing.
        "latest": [] if query else list(selectors.articles_public_list()[:PUBLIC_LIST_SIZE]),
    }
    return _public_response(render(request, "knowledge/public_list.html", context))


@require_GET
@ratelimit(key="ip", rate=_public_rate, method="GET", block=True)
def public_detail(request: HttpRequest, code: str) -> HttpResponse:
    version = selectors.article_public_get(code[:16])
    if version is None:
        message = _("No published knowledge article with code %(code)s.") % {"code": code[:40]}
        return _public_response(error_page(request, message, 404))
    today: date = timezone.localdate()
    context = {"version": version, "article": version.article, "today": today}
    return _public_response(render(request, "knowledge/public_detail.html", context))
