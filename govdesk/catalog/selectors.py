from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from govdesk.common.refcache import ReferenceCache
from govdesk.org.models import Unit, UnitKind

from .models import Category, DispatchRule, RequestType, TimeLimitPolicy


@dataclass(frozen=True)
class CategoryIndex:
    by_id: dict[int, Category]
    by_path: dict[str, Category]
    leaf_ids: frozenset[int]


def _category_index() -> CategoryIndex:
    categories = list(Category.objects.all())
    parents = {c.parent_id for c in categories if c.parent_id is not None}
    return CategoryIndex(
        by_id={c.pk: c for c in categories},
        by_path={c.path: c for c in categories},
        leaf_ids=frozenset(c.pk for c in categories if c.pk not in parents and c.is_active),
    )


# Read on every intake; cleared in this process whenever a row is saved (CatalogConfig.ready).
categories_cached: ReferenceCache[CategoryIndex] = ReferenceCache(_category_index)
request_types_cached: ReferenceCache[dict[str, RequestType]] = ReferenceCache(
    lambda: {t.code: t for t in RequestType.objects.all()}
)
policies_cached: ReferenceCache[list[TimeLimitPolicy]] = ReferenceCache(
    lambda: list(TimeLimitPolicy.objects.filter(is_active=True).select_related("category"))
)


def request_type_by_code(code: str) -> RequestType | None:
    return request_types_cached.get().get(code)


def category_find(value: int | str) -> Category | None:
    """A category by id (int or digits) or by path."""
    index = categories_cached.get()
    if isinstance(value, int) or value.isdigit():
        return index.by_id.get(int(value))
    return index.by_path.get(value)


def category_is_leaf(category: Category) -> bool:
    """Active and without children: orders are filed only under leaves."""
    return category.pk in categories_cached.get().leaf_ids


def category_leaves() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True, children__isnull=True)


def request_type_list() -> QuerySet[RequestType]:
    return RequestType.objects.all()


def time_limit_policy_for(*, request_type: RequestType, urgency: str, category: Category | None) -> TimeLimitPolicy:
    """The most specific active policy. An urgency-specific policy wins first (urgent orders must never get a normal
    limit), then the deepest matching category, then a specific type."""
    paths = category.ancestor_paths() if category else []
    best: tuple[int, int, int] | None = None
    chosen: TimeLimitPolicy | None = None
    for policy in policies_cached.get():
        if policy.request_type_id not in (None, request_type.pk):
            continue
        if policy.urgency not in ("", urgency):
            continue
        if policy.category is not None and policy.category.path not in paths:
            continue
        rank = (
            1 if policy.urgency else 0,
            policy.category.level if policy.category is not None else 0,
            1 if policy.request_type_id else 0,
        )
        if best is None or rank > best:
            best, chosen = rank, policy
    if chosen is None:
        raise LookupError(f"no time-limit policy matches {request_type.code}/{urgency}")
    return chosen


def dispatch_unit_suggest(*, category: Category | None, address: str = "") -> Unit | None:
    """The responsible unit from the dispatch catalogue, by the most specific category rule."""
    if category is None:
        return None
    rules = {
        r.category.path: r
        for r in DispatchRule.objects.select_related("category", "unit").filter(
            category__path__in=category.ancestor_paths(), unit__is_active=True
        )
    }
    for path in category.ancestor_paths():
        rule = rules.get(path)
        if rule is None:
            continue
        if rule.by_place and address:
            street = street_for_address(address)
            if street is not None:
                return street
        return rule.unit
    return None


def street_for_address(address: str) -> Unit | None:
    """The street/town whose name or one of whose place names occurs in the address (longest match wins)."""
    best: tuple[int, Unit] | None = None
    for unit in Unit.objects.filter(kind=UnitKind.STREET, is_active=True):
        names = [unit.name, *[n.strip() for n in unit.place_names.splitlines() if n.strip()]]
        for name in names:
            if name and name in address and (best is None or len(name) > best[0]):
                best = (len(name), unit)
    return best[1] if best else None
