"""Reads of the package catalogue (一件事). Package applications' reads are in case_selectors.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from govdesk.common import validators
from govdesk.common.errors import NotFound
from govdesk.matters.models import MatterVersion
from govdesk.matters.selectors import _query_clean

from .models import LifeEvent, Package, PackageItem, PackageMaterial, PackageVersion


def packages_published() -> QuerySet[Package]:
    """Active packages with a published current version: what the hall offers today."""
    return Package.objects.filter(is_active=True, current_version__is_published=True).select_related(
        "current_version__lead_unit"
    )


def _items_prefetch(prefix: str = "") -> Prefetch:
    return Prefetch(
        f"{prefix}items",
        queryset=PackageItem.objects.select_related("matter__unit", "matter__current_version__unit").order_by(
            "order", "id"
        ),
    )


def _materials_prefetch(prefix: str = "") -> Prefetch:
    return Prefetch(f"{prefix}materials", queryset=PackageMaterial.objects.order_by("order", "code"))


def package_get(code: str) -> PackageVersion:
    """The current published version of the package `code` (items, matters and materials loaded), or NotFound."""
    if len(code) > 64 or validators.has_control_characters(code, allow_newlines=False):
        raise NotFound(
            _("There is no package with the code %(code)s.") % {"code": code[:64].encode("unicode_escape").decode()}
        )
    version = (
        PackageVersion.objects.select_related("package", "lead_unit")
        .prefetch_related(_items_prefetch(), _materials_prefetch())
        .filter(package__code=code, package__is_active=True, is_published=True, package__current_version=F("pk"))
        .first()
    )
    if version is None:
        raise NotFound(_("There is no package with the code %(code)s.") % {"code": code})
    return version


def package_list(*, q: str = "", life_event: str = "", unit_code: str = "") -> QuerySet[Package]:
    """The published packages for lists and the API: `q` a name or its pinyin initials ("xsecs" → 新生儿出生…),
    `life_event` one LifeEvent value, `unit_code` a lead unit. Names that start with the query come first."""
    packages = packages_published()
    if life_event:
        packages = packages.filter(life_event=life_event if life_event in LifeEvent.values else "-")
    if unit_code:
        packages = packages.filter(lead_unit__code=_query_clean(unit_code))
    query = _query_clean(q)
    if not query:
        return packages.order_by("code")
    condition = Q(name__icontains=query)
    initials = query.lower()
    if initials.isascii() and initials.isalnum():
        condition |= Q(pinyin_initials__contains=initials)
    rank = Case(
        When(Q(name__startswith=query) | Q(pinyin_initials__startswith=initials), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        packages.filter(condition)
        .annotate(rank=rank, name_length=Length("name"))
        .order_by("rank", "name_length", "code")
    )


def package_search(q: str, limit: int = 20) -> list[Package]:
    """Packages for a type-ahead (the counter's search finds packages beside matters)."""
    if not _query_clean(q):
        return []
    return list(package_list(q=q)[: max(1, min(limit, 200))])


def package_list_with_versions(**filters: Any) -> QuerySet[Package]:
    """package_list with the current versions' items and materials loaded, for the API's pages."""
    return package_list(**filters).prefetch_related(
        _items_prefetch("current_version__"), _materials_prefetch("current_version__")
    )


@dataclass
class GuideMaterial:
    material: PackageMaterial
    matters: list[MatterVersion]  # the matters (current versions) it is handed in for
    # Names of the matters whose result provides it (`from_result_of`), and whether the applicant still hands it in
    # (for a matter that does not receive it from a result).
    produced_by: tuple[str, ...] = ()
    from_applicant: bool = True


@dataclass
class GuideItem:
    item: PackageItem
    version: MatterVersion
    depends_on: list[MatterVersion]
    condition_label: str  # "" when always needed, else the question and the answer that needs it


@dataclass
class PackageGuide:
    version: PackageVersion
    items: list[GuideItem]
    materials: list[GuideMaterial]
    fields: list[dict[str, Any]]  # each with "matters": names of the matters that use it
    units: list[Any]
    sum_limit_days: int  # promised limits of the matters applied for one after another
    sum_visits: int  # visits to the hall when applying for each matter separately
    visits: int  # visits for the package: one


def package_guide(code: str) -> PackageGuide:
    """Everything the public guide of a package shows, in one read."""
    version = package_get(code)
    items = list(version.items.all())
    by_code = {item.matter.code: item for item in items}
    labels = {field["name"]: field for field in version.fields}
    guide_items: list[GuideItem] = []
    for item in items:
        matter_version = item.matter.current_version
        assert matter_version is not None  # published matters only are accepted into a package
        condition_label = ""
        if item.condition:
            field = labels.get(item.condition.get("field"), {})
            answer = item.condition.get("equals")
            shown = (_("yes") if answer else _("no")) if isinstance(answer, bool) else str(answer)
            condition_label = f"{field.get('label', item.condition.get('field'))}: {shown}"
        guide_items.append(
            GuideItem(
                item=item,
                version=matter_version,
                depends_on=[
                    by_code[code].matter.current_version  # type: ignore[misc]
                    for code in item.depends_on
                    if code in by_code and by_code[code].matter.current_version is not None
                ],
                condition_label=condition_label,
            )
        )
    versions = {g.item.matter.code: g.version for g in guide_items}
    materials = [
        GuideMaterial(
            material=material,
            matters=list(
                {s["matter"]: versions[s["matter"]] for s in material.sources if s["matter"] in versions}.values()
            ),
            produced_by=tuple(
                dict.fromkeys(
                    versions[s["from_result_of"]].name for s in material.sources if s.get("from_result_of") in versions
                )
            ),
            from_applicant=any(s.get("from_result_of") not in versions for s in material.sources),
        )
        for material in version.materials.all()
    ]
    fields = []
    for field in version.fields:
        users = [g.version.name for g in guide_items if field["name"] in g.item.field_map]
        fields.append({**field, "matters": users})
    units = list({g.version.unit_id: g.version.unit for g in guide_items}.values())
    return PackageGuide(
        version=version,
        items=guide_items,
        materials=materials,
        fields=fields,
        units=units,
        sum_limit_days=sum(g.version.promised_limit_days for g in guide_items),
        sum_visits=sum(max(g.version.visits, 1) for g in guide_items),
        visits=1,
    )


def life_events_with_counts() -> list[tuple[str, str, int]]:
    """(value, label, number of published packages) per life event that has any, in the LifeEvent order."""
    counts: dict[str, int] = {}
    for value in packages_published().values_list("life_event", flat=True):
        counts[value] = counts.get(value, 0) + 1
    return [(value, str(label), counts[value]) for value, label in LifeEvent.choices if value in counts]
