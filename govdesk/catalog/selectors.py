from __future__ import annotations

from django.db.models import QuerySet

from govdesk.org.models import Unit, UnitKind

from .models import Category, DispatchRule, RequestType, TimeLimitPolicy


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
    for policy in TimeLimitPolicy.objects.filter(is_active=True).select_related("category"):
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
