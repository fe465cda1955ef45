"""Reads of the matter catalogue."""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from govdesk.common import validators
from govdesk.common.errors import NotFound
from govdesk.org.models import Unit

from .models import Matter, MatterVersion


def matters_published() -> QuerySet[Matter]:
    """Active matters with a published current version: what the hall offers today."""
    return Matter.objects.filter(is_active=True, current_version__is_published=True).select_related(
        "current_version", "unit"
    )


def matter_get(code: str) -> MatterVersion:
    """The current published version of the matter `code` (with `.matter` and `.unit` loaded), or NotFound."""
    if len(code) > 64 or validators.has_control_characters(code, allow_newlines=False):
        # No code holds these, and PostgreSQL refuses a NUL in a query outright: a 404, not a database error.
        raise NotFound(
            _("There is no matter with the code %(code)s.") % {"code": code[:64].encode("unicode_escape").decode()}
        )
    version = (
        MatterVersion.objects.select_related("matter", "unit")
        .prefetch_related("materials")
        .filter(matter__code=code, matter__is_active=True, is_published=True, matter__current_version=F("pk"))
        .first()
    )
    if version is None:
        raise NotFound(_("There is no matter with the code %(code)s.") % {"code": code})
    return version


def _query_clean(q: str) -> str:
    """A search as typed, without what no matter name holds: control characters (PostgreSQL refuses NUL outright)."""
    text = validators.clean_text(q or "")
    return "".join(ch for ch in text if not validators.has_control_characters(ch, allow_newlines=False))[:50]


def matter_search(q: str, limit: int = 20) -> list[Matter]:
    """Matters whose name contains `q`, or whose pinyin initials contain it ("yyzz" → 营业执照…).

    Names that start with the query come first, then shorter names: the clerk typing "营业执照" wants 营业执照设立登记
    before 个体工商户营业执照变更登记.
    """
    query = _query_clean(q)
    if not query:
        return []
    condition = Q(name__icontains=query)
    initials = query.lower()
    if initials.isascii() and initials.isalnum():
        condition |= Q(pinyin_initials__contains=initials)
    rank = Case(
        When(Q(name__startswith=query) | Q(pinyin_initials__startswith=initials), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return list(
        matters_published()
        .filter(condition)
        .annotate(rank=rank, name_length=Length("name"))
        .order_by("rank", "name_length", "code")[: max(1, min(limit, 200))]
    )


def matters_for_unit(unit: Unit) -> QuerySet[Matter]:
    """The matters a unit implements (their current version's unit)."""
    return matters_published().filter(unit=unit).order_by("code")


def matter_list(*, q: str = "", unit_code: str = "") -> QuerySet[Matter]:
    """The published catalogue for lists and the API; `q` as matter_search, `unit_code` one implementing unit."""
    matters = matters_published()
    if unit_code:
        matters = matters.filter(unit__code=_query_clean(unit_code))
    query = _query_clean(q)
    if query:
        condition = Q(name__icontains=query)
        if query.isascii() and query.isalnum():
            condition |= Q(pinyin_initials__contains=query.lower())
        matters = matters.filter(condition)
    return matters.order_by("code")
