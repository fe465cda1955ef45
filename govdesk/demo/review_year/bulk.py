"""Writing a year of cases in bulk: the parent `cases.Case` rows, then their multi-table children's rows.

Django's `bulk_create` refuses a multi-table inherited model, so the parents are bulk-created first (which returns
their ids on PostgreSQL and SQLite ≥ 3.35) and the children's own columns are inserted after with `case_ptr_id` set,
through the same insert compiler `bulk_create` uses: every field's `pre_save` and `get_prep_value` run, so the
encrypted personal-data fields are encrypted and the blind indexes computed exactly as a `save()` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from django.db import connection, models
from django.utils import timezone

from govdesk.cases.models import Case, CaseEvent, CaseUnit
from govdesk.common.models import Counter

PARENT_FIELDS = [f for f in Case._meta.concrete_fields if not f.primary_key]


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def cases_insert(model: type[Case], objs: Sequence[Case]) -> None:
    """Insert `objs` (unsaved instances of a `Case` subclass, every field set) and give each its primary key."""
    if not objs:
        return
    parents = [Case(**{f.attname: getattr(obj, f.attname) for f in PARENT_FIELDS}) for obj in objs]
    Case.objects.bulk_create(parents, batch_size=1000)
    for obj, parent in zip(objs, parents, strict=True):
        assert parent.pk is not None, "the database did not return the new cases' ids"
        obj.pk = parent.pk
        setattr(obj, model._meta.pk.attname, parent.pk)
        obj._state.adding = False
    for obj in objs:
        # As bulk_create does: a foreign key to an object saved meanwhile (a merged order's master) takes its id.
        cast(Any, obj)._prepare_related_fields_for_save(operation_name="bulk_create")
    fields = list(model._meta.local_concrete_fields)
    size = max(1, connection.ops.bulk_batch_size(fields, list(objs)))
    manager: Any = model._base_manager
    for chunk in _chunks(objs, size):
        # The same call bulk_create makes per batch, minus its refusal of multi-table models (see the module doc).
        manager._insert(list(chunk), fields=fields, using=manager.db)


def plain_insert(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    model._base_manager.bulk_create(list(objs), batch_size=2000)


def assignments_for(cases: Sequence[Case]) -> list[CaseUnit]:
    """The primary unit's (active) assignment of each dispatched case, as the services write it."""
    return [
        CaseUnit(
            case_id=case.pk,
            unit_id=case.primary_unit_id,
            role="primary",
            assigned_at=case.dispatched_at or case.created_at,
            signed_at=case.signed_at,
            is_active=True,
        )
        for case in cases
        if case.primary_unit_id is not None
    ]


def event(case: Case, at: datetime, action: str, src: str, dst: str, **extra: Any) -> CaseEvent:
    return CaseEvent(
        case_id=case.pk,
        occurred_at=at,
        actor_id=extra.pop("actor_id", None),
        actor_unit_id=extra.pop("actor_unit_id", None),
        action=action,
        from_status=src,
        to_status=dst,
        note=extra.pop("note", ""),
        is_public=extra.pop("is_public", True),
        data=extra,
    )


class Numbers:
    """Case numbers `<prefix><YYYYMMDD><6 digits>` per day, continuing the services' counters (`counter_next`) and
    leaving them at the last number used, so a case registered later on one of those days never reuses one."""

    def __init__(self, *, prefix: str, counter: str) -> None:
        self.prefix, self.counter = prefix, counter
        self.used: dict[str, int] = {}

    def next(self, moment: datetime) -> str:
        day = timezone.localtime(moment).strftime("%Y%m%d")
        if day not in self.used:
            found = Counter.objects.filter(key=f"{self.counter}:{day}").values_list("value", flat=True).first()
            self.used[day] = found or 0
        self.used[day] += 1
        return f"{self.prefix}{day}{self.used[day]:06d}"

    def save(self) -> None:
        for day, value in self.used.items():
            Counter.objects.update_or_create(key=f"{self.counter}:{day}", defaults={"value": value})
