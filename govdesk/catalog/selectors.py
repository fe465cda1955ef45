from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from govdesk.common.refcache import ReferenceCache
from govdesk.org.models import Unit, UnitKind

from .models import Category, DispatchRule, PublicTopic, RequestType, TimeLimitPolicy


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


# --- the public submit page's topics ------------------------------------------------------------------------------

# The topic whose leaf takes a citizen's request when neither a chosen topic nor a model gives one.
CATCH_ALL_TOPIC_CODE = "other"
CATCH_ALL_NAME = "其他"


def public_topics() -> list[PublicTopic]:
    return list(PublicTopic.objects.filter(is_active=True).order_by("order", "code"))


def public_topic_get(code: str) -> PublicTopic | None:
    """An active topic by code (what the public form posts)."""
    if not code:
        return None
    return PublicTopic.objects.filter(code=code, is_active=True).first()


def public_topic_node(topic: PublicTopic | None) -> Category | None:
    """The category node the topic restricts proposals to; None for no restriction or a path this tree lacks."""
    if topic is None or not topic.category_path:
        return None
    return categories_cached.get().by_path.get(topic.category_path)


def category_default_leaf(node: Category | None) -> Category | None:
    """The leaf a message goes under when nothing better is known: the node itself if it is a leaf, else its
    shallowest active leaf named 其他 (e.g. 城乡建设/其他/其他), else its first active leaf; the whole tree when
    `node` is None. None only for a tree without leaves."""
    index = categories_cached.get()
    if node is not None and node.pk in index.leaf_ids:
        return node
    prefix = f"{node.path}/" if node is not None else ""
    leaves = sorted(
        (index.by_id[pk] for pk in index.leaf_ids if index.by_id[pk].path.startswith(prefix)),
        key=lambda leaf: (leaf.path.count("/"), leaf.sort_order, leaf.path),
    )
    for leaf in leaves:
        if leaf.name == CATCH_ALL_NAME:
            return leaf
    return min(leaves, key=lambda leaf: (leaf.sort_order, leaf.path), default=None)


def public_topic_fallback_leaf(topic: PublicTopic | None) -> Category | None:
    """The leaf for a citizen's request when no classifier proposes one: the topic's own fallback, then its node's
    default leaf, then the catch-all topic's, then the tree's. A request is never refused for want of a category:
    the dispatcher decides it anyway."""
    index = categories_cached.get()
    candidates: list[PublicTopic | None] = [topic] if topic is not None else []
    if topic is None or topic.code != CATCH_ALL_TOPIC_CODE:
        candidates.append(PublicTopic.objects.filter(code=CATCH_ALL_TOPIC_CODE).first())
    for candidate in candidates:
        if candidate is None:
            continue
        fallback = index.by_path.get(candidate.fallback_path) if candidate.fallback_path else None
        if fallback is not None and fallback.pk in index.leaf_ids:
            return fallback
        node = public_topic_node(candidate)
        if node is not None:
            return category_default_leaf(node)
    return category_default_leaf(None)
