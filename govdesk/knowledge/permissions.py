"""Who may see and act on the knowledge base.

Unit writers (the handlers and administrators of an article's responsible unit; an administrator also for the units
below it) write their unit's drafts and submit them; centre reviewers (the 12345 centre's dispatchers and
supervisors) read every article and revision, publish or return submitted drafts, start drafts for any unit and
withdraw articles. Operators (and leaders) read published articles and answer from them. Another unit's unpublished
article or revision is "not found" to a unit writer (codes and numbers are sequential)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from govdesk.common.errors import PermissionDenied
from govdesk.org.models import Role
from govdesk.workorders.permissions import actor_unit_ids

from .models import Article, ArticleRevision

CENTRE_ROLES = (Role.DISPATCHER.value, Role.SUPERVISOR.value)
UNIT_ROLES = (Role.HANDLER.value, Role.UNIT_ADMIN.value)
# Read published articles and answer callers from them.
ANSWER_ROLES = (Role.OPERATOR.value, Role.DISPATCHER.value, Role.SUPERVISOR.value)
READ_PUBLISHED_ROLES = (*ANSWER_ROLES, Role.LEADER.value, *UNIT_ROLES)
PAGE_ROLES = READ_PUBLISHED_ROLES


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_centre_reviewer(user: Any) -> bool:
    return _authenticated(user) and bool(user.has_role(*CENTRE_ROLES))


def writer_unit_ids(user: Any) -> set[int]:
    """The units whose articles this user writes: none unless a handler or unit administrator."""
    if not _authenticated(user) or not user.has_role(*UNIT_ROLES):
        return set()
    return actor_unit_ids(user)


def is_unit_writer(user: Any, unit_id: int | None = None) -> bool:
    """A writer of `unit_id`'s articles; without a unit, a writer of any unit's."""
    units = writer_unit_ids(user)
    return bool(units) if unit_id is None else unit_id in units


def reads_published(user: Any) -> bool:
    return _authenticated(user) and bool(user.has_role(*READ_PUBLISHED_ROLES))


def may_answer(user: Any) -> bool:
    return _authenticated(user) and bool(user.has_role(*ANSWER_ROLES))


def article_visibility_q(user: Any, prefix: str = "") -> Q:
    """The articles `user` may see: the centre every one; units their own and the published; readers the published
    (published: a current version and not withdrawn)."""
    if is_centre_reviewer(user):
        return Q()
    published = Q(**{f"{prefix}current__isnull": False, f"{prefix}is_withdrawn": False})
    units = writer_unit_ids(user)
    if units:
        return published | Q(**{f"{prefix}unit_id__in": units})
    if reads_published(user):
        return published
    return Q(pk__in=[])


def article_visible(user: Any, article: Article) -> bool:
    if is_centre_reviewer(user):
        return True
    if article.unit_id in writer_unit_ids(user):
        return True
    return reads_published(user) and article.current_id is not None and not article.is_withdrawn


def revision_visibility_q(user: Any) -> Q:
    if is_centre_reviewer(user):
        return Q()
    units = writer_unit_ids(user)
    if units:
        return Q(article__unit_id__in=units)
    return Q(pk__in=[])


def revision_visible(user: Any, revision: ArticleRevision) -> bool:
    return is_centre_reviewer(user) or revision.article.unit_id in writer_unit_ids(user)


def knowledge_check_centre(user: Any) -> None:
    if not is_centre_reviewer(user):
        raise PermissionDenied(_("Only the 12345 centre's dispatchers and supervisors may do this."))


def knowledge_check_writer(user: Any, unit_id: int) -> None:
    """The unit's writers, or the centre (which keeps the base for every unit)."""
    if not is_centre_reviewer(user) and not is_unit_writer(user, unit_id):
        raise PermissionDenied(
            _("Only the responsible unit's handlers and administrators, or the 12345 centre, may write this article.")
        )


def knowledge_check_unit_writer(user: Any, unit_id: int) -> None:
    if not is_unit_writer(user, unit_id):
        raise PermissionDenied(_("Only the responsible unit's handlers and administrators may do this."))
