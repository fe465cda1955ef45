"""Writes of smart dispatch's classifier side: training the artifact, the suggestion kept for each new order, optional
auto-dispatch, and the dispatchers' corrections.

`dispatch_after_register` and `dispatch_after_dispatch` run in the task worker (`dispatch/tasks.py`), queued when the
work order's transaction commits (`transaction.on_commit` in `dispatch/subscribers.py`). They are idempotent (a retried
or repeated task stores nothing twice) and never raise, except the transient database errors the task asks them to
re-raise so that huey retries: a missing model means no suggestion, logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from govdesk.cases.models import CaseEvent
from govdesk.catalog.models import Category
from govdesk.catalog.selectors import categories_cached, category_find
from govdesk.common import clock
from govdesk.org.models import Role, Unit, UnitKind, User

from . import selectors
from .core.classifier import (
    Classifier,
    ModelUnavailable,
    artifact_save,
    has_chinese,
    tokenized_rows_select,
    train,
)
from .models import DispatchCorrection, DispatchSettings, DispatchSuggestion

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "system-autodispatch"
AUTO_NOTE = "自动派单"


# --- training -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trained:
    model: Classifier
    path: Path
    size_bytes: int


def dispatch_model_train(
    *,
    include_orders: bool = False,
    out: Path | None = None,
    cv_folds: int = 5,
    with_tokenized: bool = True,
    exclude_holdout: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Trained:
    """Train on every shipped labelled message and the shipped pre-tokenised rows that do not duplicate one, optionally
    plus the platform's closed orders and the dispatchers' corrections, and write the artifact (atomically: a running
    server never reads half a file).

    `exclude_holdout` leaves the held-out split out, and the pre-tokenised rows overlapping it, so that
    `dispatch_evaluate` on `messages_holdout.csv.gz` measures messages the model has never seen; the shipped model
    learns from every labelled row instead (what it is judged on are messages in no file of ours)."""
    say = progress or (lambda _msg: None)
    messages = selectors.labelled_messages()
    held_out = selectors.holdout_messages()
    if exclude_holdout:
        say(f"shipped labelled messages: {len(messages)} (held-out split of {len(held_out)} excluded)")
    else:
        messages = messages + held_out
        say(f"shipped labelled messages: {len(messages)} (held-out split included)")
    tokenized: dict[str, int] = {}
    if with_tokenized:
        extra, tokenized = tokenized_rows_select(
            selectors.tokenized_rows(), messages, held_out if exclude_holdout else []
        )
        overlap = f"{tokenized['holdout_overlap']} overlapping the held-out split, " if exclude_holdout else ""
        say(
            f"pre-tokenised rows: {tokenized['rows']}, kept {tokenized['kept']} (dropped: {overlap}"
            f"{tokenized['labelled_duplicate']} duplicating a labelled message, {tokenized['repeated']} repeated, "
            f"{tokenized['empty']} empty)"
        )
        messages = messages + extra
    if include_orders:
        own = selectors.platform_messages()
        say(f"platform orders and corrections: {len(own)}")
        messages = messages + own
    model = train(messages, cv_folds=cv_folds, progress=say)
    model.metrics["include_orders"] = include_orders
    model.metrics["holdout_excluded"] = exclude_holdout
    model.metrics["tokenized"] = tokenized
    path = out or selectors.dispatch_model_path()
    size = artifact_save(model, path)
    selectors.dispatch_model_forget()
    return Trained(model=model, path=path, size_bytes=size)


# --- a category for a citizen's own submission ----------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryProposal:
    """The system's category for a message nobody has classified yet; a dispatcher confirms or changes it.

    `confidence` is the model's probability of `level1` (0 when the topic's level-1 node is not one the model knows);
    `leaf` is the most likely leaf under `level1` (or under the topic), None when no leaf name matches the text.
    """

    level1: Category
    leaf: Category | None
    confidence: float
    model_version: str

    @property
    def best(self) -> Category:
        return self.leaf or self.level1


def category_propose(*, title: str, content: str, topic: str = "") -> CategoryProposal | None:
    """The classifier's level-1 category and most likely leaf for a message, restricted to the subtree of `topic` (a
    category node's path or id) when one is given.

    None when there is no usable model, the text has no Chinese character, the topic is not a category, or the best
    label has no node in the tree: the caller then files the message under its own default. Reads only.
    """
    try:
        model = selectors.dispatch_model()
    except ModelUnavailable:
        return None
    if not has_chinese(title) and not has_chinese(content):
        return None
    index = categories_cached.get()
    text = f"{title} {content}"
    scope: Category | None = None
    if topic:
        scope = category_find(topic)
        if scope is None:
            return None
    probabilities = dict(zip(model.labels, model.predict_proba([title], [content])[0].tolist(), strict=True))
    if scope is not None:
        root = index.by_path.get(scope.path.split("/", 1)[0])
        if root is None:
            return None
        if scope.pk in index.leaf_ids:
            leaf: Category | None = scope
        else:
            leaf = selectors.leaf_for(scope, text)
        return CategoryProposal(
            level1=root,
            leaf=leaf,
            confidence=round(float(probabilities.get(root.path, 0.0)), 4),
            model_version=model.version,
        )
    label = max(probabilities, key=lambda name: probabilities[name])
    level1 = index.by_path.get(label)
    if level1 is None:
        return None
    return CategoryProposal(
        level1=level1,
        leaf=selectors.leaf_for(level1, text),
        confidence=round(float(probabilities[label]), 4),
        model_version=model.version,
    )


# --- after registration: the suggestion, and auto-dispatch ----------------------------------------------------------


def system_dispatcher() -> User:
    """The account auto-dispatch acts as: a dispatcher that cannot log in (no usable password, inactive)."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        centre = Unit.objects.filter(kind=UnitKind.HOTLINE_CENTRE, is_active=True).order_by("pk").first()
        user = User(username=SYSTEM_USERNAME, display_name=AUTO_NOTE, unit=centre, is_active=False)
        user.set_unusable_password()
        user.save()
    group, _created = Group.objects.get_or_create(name=Role.DISPATCHER.value)
    user.groups.add(group)
    return user


def _auto_dispatch(order: Any, suggestion: DispatchSuggestion) -> bool:
    """Dispatch through the normal service as the system dispatcher, marked automatic in the timeline."""
    from govdesk.workorders.services import workorder_dispatch
    from govdesk.workorders.states import Status

    if order.status != Status.NEW or suggestion.unit is None:
        return False
    # Timeline notes are records, kept in the centre's language like the other notes.
    note = f"{AUTO_NOTE}（置信度 {suggestion.confidence:.2f}，模型 {suggestion.model_version}）"
    with transaction.atomic():
        workorder_dispatch(order=order.number, actor=system_dispatcher(), unit=suggestion.unit, note=note)
        event = CaseEvent.objects.filter(case_id=order.pk, action="dispatch").order_by("-pk").first()
        if event is not None:
            event.data = {**event.data, "auto": True, "confidence": suggestion.confidence}
            event.save(update_fields=["data"])
        suggestion.auto_dispatched = True
        suggestion.save(update_fields=["auto_dispatched"])
    return True


_warned_without_model = False


def _warn_once_without_model(exc: Exception) -> None:
    """Say once per process, not once per order, that orders get no suggestion until `dispatch_train` has run."""
    global _warned_without_model
    if not _warned_without_model:
        logger.warning("dispatch: orders get no category suggestion until a model is trained: %s", exc)
        _warned_without_model = True


def _wants_suggestion(order: Any) -> bool:
    """Not for an order closed, cancelled or merged into another meanwhile (the task ran late)."""
    from govdesk.workorders.states import Status

    return bool(order.is_open and order.status != Status.MERGED)


def _suggestion_store(order_pk: int, suggestion: Any) -> tuple[Any, DispatchSuggestion | None, bool]:
    """Keep the computed suggestion unless the order no longer wants one or already has one.

    Under the order's row lock, so two runs of the same task (a retry, a duplicate) store one suggestion.
    Returns (the locked order or None, the order's suggestion, whether this call created it).
    """
    from govdesk.workorders.models import WorkOrder

    order = WorkOrder.objects.select_for_update().filter(pk=order_pk).first()
    if order is None or not _wants_suggestion(order):
        return None, None, False
    existing = DispatchSuggestion.objects.filter(case_id=order_pk).order_by("-pk").first()
    if existing is not None:
        return order, existing, False
    stored = DispatchSuggestion.objects.create(
        case_id=order.pk,
        created_at=clock.now(),
        model_version=suggestion.model_version,
        categories=suggestion.categories,
        category=suggestion.best,
        confidence=suggestion.confidence,
        unit=suggestion.unit,
    )
    return order, stored, True


def dispatch_after_register(
    order_pk: int, *, reraise: tuple[type[BaseException], ...] = ()
) -> DispatchSuggestion | None:
    """After a new order commits: the suggestion, and auto-dispatch when switched on and sure. (Its duplicate
    signatures were written with the order itself.) Run by the `dispatch.after_register` task.

    Idempotent: an order that already has a suggestion keeps it (and is not auto-dispatched again); an order that
    vanished or is no longer open gets nothing; auto-dispatch only while the order is still `new`. Never raises,
    except the exception types in `reraise` (the task passes transient database errors, so huey retries them).
    """
    from govdesk.workorders.models import WorkOrder
    from govdesk.workorders.states import Status

    try:
        try:
            selectors.dispatch_model()
        except ModelUnavailable as exc:
            _warn_once_without_model(exc)
            return None
        order = WorkOrder.objects.filter(pk=order_pk).first()
        if order is None or not _wants_suggestion(order):
            return None
        already = selectors.suggestion_latest(order_pk)
        if already is not None:
            return already
        # The model runs outside the transaction: no row lock is held for its milliseconds.
        try:
            computed = selectors.dispatch_suggest(title=order.title, content=order.content, address=order.address or "")
        except ModelUnavailable as exc:
            logger.warning("dispatch: no suggestion for %s: %s", order.number, exc)
            return None
        with transaction.atomic():
            locked, suggestion, created = _suggestion_store(order_pk, computed)
            if suggestion is None or not created or locked is None:
                return suggestion
            settings_row = DispatchSettings.current()
            if (
                locked.status == Status.NEW
                and settings_row.auto_dispatch_enabled
                and suggestion.confidence >= float(settings_row.auto_dispatch_threshold)
            ):
                try:
                    _auto_dispatch(locked, suggestion)
                except reraise:
                    raise
                except Exception:
                    logger.exception("dispatch: auto-dispatch of %s failed; it stays in the queue", locked.number)
        return suggestion
    except reraise:
        raise
    except Exception:
        logger.exception("dispatch: after-register step failed for order pk %s", order_pk)
        return None


# --- after a dispatch: corrections ----------------------------------------------------------------------------------


def dispatch_after_dispatch(
    order_pk: int, actor_pk: int | None, unit_pk: int, *, reraise: tuple[type[BaseException], ...] = ()
) -> DispatchCorrection | None:
    """Record a correction when the dispatcher chose another unit than suggested, or the order's level-1 category
    differs from the suggested one. Run by the `dispatch.after_dispatch` task.

    Idempotent: a correction equal to the order's latest one is not stored again (a retried or repeated task).
    Never raises, except the exception types in `reraise`.
    """
    from govdesk.workorders.models import WorkOrder

    try:
        suggestion = selectors.suggestion_latest(order_pk)
        if suggestion is None:
            return None
        with transaction.atomic():
            # The row lock serialises a task and its duplicate, so they cannot both store the correction.
            order = WorkOrder.objects.select_for_update().filter(pk=order_pk).first()
            if order is None:
                return None
            suggested_level1 = suggestion.category.path.split("/")[0] if suggestion.category else ""
            final_level1 = order.category.path.split("/")[0] if order.category else ""
            unit_differs = suggestion.unit_id is not None and suggestion.unit_id != unit_pk
            category_differs = bool(suggested_level1 and final_level1 and suggested_level1 != final_level1)
            if not unit_differs and not category_differs:
                return None
            correction = DispatchCorrection(
                case_id=order_pk,
                created_at=clock.now(),
                corrected_by_id=actor_pk if actor_pk and User.objects.filter(pk=actor_pk).exists() else None,
                suggested_category=suggestion.category,
                final_category=order.category,
                suggested_unit_id=suggestion.unit_id,
                final_unit_id=unit_pk,
            )
            latest = DispatchCorrection.objects.filter(case_id=order_pk).order_by("-pk").first()
            if latest is not None and _same_correction(latest, correction):
                return latest
            correction.save(force_insert=True)
            return correction
    except reraise:
        raise
    except Exception:
        logger.exception("dispatch: recording a correction failed for order pk %s", order_pk)
        return None


def _same_correction(a: DispatchCorrection, b: DispatchCorrection) -> bool:
    fields = ("suggested_category_id", "final_category_id", "suggested_unit_id", "final_unit_id")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


# --- the catch-up sweep ---------------------------------------------------------------------------------------------


def _queued_order_pks(task: Any) -> set[int]:
    """The orders a task of this kind is already waiting for in the queue (pending, or scheduled for a retry)."""
    from huey.contrib.djhuey import HUEY

    queued: set[int] = set()
    for waiting in [*HUEY.pending(), *HUEY.scheduled()]:
        if type(waiting) is task.task_class and waiting.args:
            queued.add(int(waiting.args[0]))
    return queued


def dispatch_catch_up(now: Any = None, *, older_than_seconds: int = 120, window_hours: int = 24) -> int:
    """Queue again the after-commit tasks that never ran: the suggestion of open orders registered between
    now - window_hours and now - older_than_seconds that still want one and have none, and the reply check of orders
    replied in that window without an assessment of their reply. Returns how many tasks it queued.

    The tasks are queued from `transaction.on_commit`; a process that dies between the commit and the enqueue, or a
    task worker killed with tasks taken from the queue, loses them. This sweep (the `dispatch.catch_up` task, every
    minute) makes every suggestion eventually computed. Younger orders are left to their own task; an order whose task
    still waits in the queue (a worker behind) is not queued twice, so a backlog does not grow by itself each minute.
    The tasks are idempotent, so one queued while its original runs stores nothing twice. Without a model: 0.
    """
    from django.db.models import Exists, OuterRef

    from govdesk.workorders.models import WorkOrder
    from govdesk.workorders.states import Status

    from . import tasks
    from .models import ReplyAssessment

    try:
        selectors.dispatch_model()
    except ModelUnavailable as exc:
        _warn_once_without_model(exc)
        return 0
    now = now or clock.now()
    since = now - timedelta(hours=window_hours)
    until = now - timedelta(seconds=older_than_seconds)

    unsuggested = (
        WorkOrder.objects.filter(created_at__gte=since, created_at__lte=until, is_open=True)
        .exclude(status=Status.MERGED)
        .exclude(Exists(DispatchSuggestion.objects.filter(case_id=OuterRef("pk"))))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    # An assessment made after the reply was given is of that reply (a later reply has a later replied_at).
    unchecked = (
        WorkOrder.objects.filter(replied_at__gte=since, replied_at__lte=until)
        .exclude(reply="")
        .exclude(Exists(ReplyAssessment.objects.filter(case_id=OuterRef("pk"), created_at__gte=OuterRef("replied_at"))))
        .order_by("replied_at", "pk")
        .values_list("pk", flat=True)
    )
    queued = 0
    for task, order_pks in ((tasks.dispatch_after_register_task, unsuggested), (tasks.reply_check_task, unchecked)):
        waiting = _queued_order_pks(task)
        for order_pk in order_pks:
            if order_pk not in waiting:
                task(order_pk)
                queued += 1
    if queued:
        logger.warning("dispatch: catch-up sweep queued %d task(s) that never ran", queued)
    return queued
