"""The dispatcher decides the category when dispatching (issue 15 §7): `workorder_dispatch(category=...)`, the queue's
dispatch form and the API's dispatch input; the change is in the dispatch event's data and in the audit trail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from govdesk.audit.models import AuditEvent
from govdesk.catalog.models import TimeLimitPolicy
from govdesk.common.errors import ValidationFailed
from govdesk.org.tests.factories import login_verified
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake

pytestmark = pytest.mark.django_db


def _new(people: Any, category: Any, **overrides: Any) -> WorkOrder:
    return services.workorder_register(actor=people.operator, data=intake(category, **overrides))


def _dispatch_event(order: WorkOrder) -> Any:
    return order.events.get(action="dispatch")


def test_a_changed_category_is_filed_recorded_and_audited(people: Any, district: Any, categories: Any) -> None:
    order = _new(people, categories.facilities)
    services.workorder_dispatch(
        order=order.number, actor=people.dispatcher, unit=district.dept_b, category=categories.wages.path
    )
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.category == categories.wages
    data = _dispatch_event(order).data
    assert data["category_from"] == categories.facilities.path
    assert data["category_to"] == categories.wages.path
    audit = AuditEvent.objects.get(action="workorder.category_change", object_id=order.number)
    assert audit.actor == people.dispatcher
    assert (audit.from_state, audit.to_state) == (str(categories.facilities.pk), str(categories.wages.pk))
    assert categories.wages.path in audit.note


def test_the_same_category_or_none_changes_nothing(people: Any, district: Any, categories: Any) -> None:
    same = _new(people, categories.facilities)
    services.workorder_dispatch(
        order=same.number, actor=people.dispatcher, unit=district.dept_a, category=str(categories.facilities.pk)
    )
    kept = _new(people, categories.facilities)
    services.workorder_dispatch(order=kept.number, actor=people.dispatcher, unit=district.dept_a, category="")
    for order in (same, kept):
        order.refresh_from_db()
        assert order.category == categories.facilities
        assert "category_to" not in _dispatch_event(order).data
    assert not AuditEvent.objects.filter(action="workorder.category_change").exists()


@pytest.mark.parametrize("bad", ["城乡建设/城市建设和市政管理", "没有这个分类", "999999"])
def test_a_branch_or_unknown_category_is_refused_and_nothing_is_written(
    people: Any, district: Any, categories: Any, bad: str
) -> None:
    order = _new(people, categories.facilities)
    with pytest.raises(ValidationFailed) as refused:
        services.workorder_dispatch(order=order.number, actor=people.dispatcher, unit=district.dept_a, category=bad)
    assert "category" in refused.value.fields
    order.refresh_from_db()
    assert order.status == Status.NEW and order.category == categories.facilities and order.primary_unit is None
    assert not order.events.filter(action="dispatch").exists()


def test_the_deadline_follows_the_category_only_when_another_policy_applies(
    people: Any, district: Any, categories: Any
) -> None:
    TimeLimitPolicy.objects.create(
        name="拖欠工资：3个工作日",
        category=categories.wages,
        sign_amount=Decimal(2),
        sign_unit="working_hours",
        finish_amount=Decimal(3),
        finish_unit="working_days",
    )
    same_policy = _new(people, categories.facilities)
    due_before = same_policy.due_at
    services.workorder_dispatch(
        order=same_policy.number, actor=people.dispatcher, unit=district.dept_a, category=categories.greening
    )
    same_policy.refresh_from_db()
    assert same_policy.category == categories.greening and same_policy.due_at == due_before
    other_policy = _new(people, categories.facilities)
    due_before = other_policy.due_at
    services.workorder_dispatch(
        order=other_policy.number, actor=people.dispatcher, unit=district.dept_b, category=categories.wages
    )
    other_policy.refresh_from_db()
    # Complaints get 15 working days; the wages policy 3, counted from registration.
    assert other_policy.due_at is not None and due_before is not None
    assert other_policy.due_at < due_before


def test_the_dispatch_form_is_prefilled_and_changes_the_category(people: Any, district: Any, categories: Any) -> None:
    order = _new(people, categories.facilities)
    client = Client()
    login_verified(client, people.dispatcher)
    body = client.get(reverse("workorders:dispatch_queue")).content.decode()
    assert f'name="category" value="{categories.facilities.path}"' in body
    assert '<datalist id="category-paths">' in body and categories.wages.path in body
    # Not a citizen's submission: no system-proposal marker.
    assert 'data-testid="category-proposed"' not in body
    response = client.post(
        reverse("workorders:action", args=[order.number, "dispatch"]),
        {"unit": district.dept_b.code, "category": categories.wages.path, "next": "/dispatch/"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.category == categories.wages


def test_the_dispatch_form_shows_a_bad_category_at_its_field(people: Any, district: Any, categories: Any) -> None:
    order = _new(people, categories.facilities)
    client = Client()
    login_verified(client, people.dispatcher)
    response = client.post(
        reverse("workorders:action", args=[order.number, "dispatch"]),
        {"unit": district.dept_b.code, "category": categories.branch.path},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "请选择最细一级的分类" in body
    assert '<datalist id="category-paths">' in body
    order.refresh_from_db()
    assert order.status == Status.NEW and order.category == categories.facilities


def test_the_api_takes_the_dispatcher_s_category(
    people: Any, district: Any, categories: Any, api_client_for: Any
) -> None:
    order = _new(people, categories.facilities)
    client = api_client_for(people.dispatcher)
    url = f"/api/v1/workorders/{order.number}/dispatch/"
    bad = client.post(url, {"unit": district.dept_b.code, "category": categories.branch.path}, format="json")
    assert bad.status_code == 400 and "category" in str(bad.json())
    response = client.post(url, {"unit": district.dept_b.code, "category": categories.wages.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["category"]["path"] == categories.wages.path
    order.refresh_from_db()
    assert order.category == categories.wages


def test_the_prefilled_category_is_kept_even_when_retired_from_the_tree_since(
    people: Any, district: Any, categories: Any
) -> None:
    order = _new(people, categories.facilities)
    categories.facilities.is_active = False
    categories.facilities.save(update_fields=["is_active"])  # post_save: the category cache forgets it as a leaf
    services.workorder_dispatch(
        order=order.number, actor=people.dispatcher, unit=district.dept_a, category=categories.facilities.path
    )
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.category == categories.facilities
    assert "category_to" not in _dispatch_event(order).data
