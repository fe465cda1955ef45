"""Smart dispatch hears work orders through the case core's events (`subscribers.py`), never called by workorders:
the duplicate signature is written in the order's transaction, the tasks are queued only after it commits, and any
other event leaves dispatch alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import resolve, reverse

from govdesk.cases.models import CaseEvent
from govdesk.cases.services import CASE_EVENT_LISTENERS, case_event_record
from govdesk.dispatch import apis_duplicates, views
from govdesk.dispatch.models import DuplicateSignature
from govdesk.dispatch.subscribers import dispatch_case_event
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake, make_order

from .test_tasks import WAGES, queued

pytestmark = pytest.mark.django_db


def test_dispatch_listens_to_case_events_once() -> None:
    assert CASE_EVENT_LISTENERS.count(dispatch_case_event) == 1


def test_a_registration_that_fails_later_in_its_transaction_leaves_no_signature_and_queues_nothing(
    queue: Any, people: Any, categories: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("statistics failed")

    # Statistics listen after dispatch: a failure there must undo dispatch's signature with the order.
    monkeypatch.setattr("govdesk.stats.services.stats_order_refresh", crash)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        services.workorder_register(actor=people.operator, data=intake(categories.wages, **WAGES))
    assert callbacks == []
    assert queued(queue) == []
    assert not WorkOrder.objects.exists()
    assert not DuplicateSignature.objects.exists()


def test_a_registration_writes_its_signature_before_commit(
    queue: Any, people: Any, categories: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = services.workorder_register(actor=people.operator, data=intake(categories.wages, **WAGES))
        assert DuplicateSignature.objects.filter(case_id=order.pk).exists()
        assert queued(queue) == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert queued(queue) == [("dispatch.after_register", (order.pk,))]


def test_other_events_and_look_alike_events_queue_nothing(
    queue: Any, people: Any, district: Any, categories: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    signatures = DuplicateSignature.objects.count()
    queue.flush()
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_note(order=order, actor=people.handler_a, note="已联系市民")
        services.workorder_urge(order=order, actor=people.supervisor, note="请尽快办理")
        # An event named like one dispatch acts on, but not that step (no move to "replied"): not a reply.
        case_event_record(case=order, action="reply", actor=people.handler_a, from_status="handling", to_status="")
        case_event_record(case=order, action="register", actor=people.operator)
    assert queued(queue) == []
    assert DuplicateSignature.objects.count() == signatures
    assert CaseEvent.objects.filter(case_id=order.pk, action="reply").count() == 1


def test_dispatch_routes_keep_their_names_and_addresses() -> None:
    similar = reverse("api-workorder-similar", args=["20260101000001"])
    assert similar == "/api/v1/workorders/20260101000001/similar/"
    assert resolve(similar).func.view_class is apis_duplicates.WorkOrderSimilarApi  # type: ignore[attr-defined]
    reviewed = reverse("workorders:reply_check_review", args=[7])
    assert reviewed == "/supervision/replies/7/reviewed/"
    assert resolve(reviewed).func is views.reply_check_review
    # The work orders' catch-all for unknown actions still answers everything else under an order.
    assert resolve("/api/v1/workorders/20260101000001/nonsense/").url_name == "api-workorder-unknown-action"
