"""Suggestions in the workflow: stored for each registered order (after commit), optional auto-dispatch marked in
the timeline, corrections when the dispatcher chooses another unit, and the dispatcher queue showing them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from govdesk.cases.models import CaseEvent
from govdesk.dispatch import services as dispatch_services
from govdesk.dispatch.models import DispatchCorrection, DispatchSettings, DispatchSuggestion, DuplicateSignature
from govdesk.workorders import services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import intake

from .classifier_fixture import tiny_model_file

WAGES = {"title": "公司拖欠工资", "content": "老板拖欠工资三个月，社保也不交，劳动合同也没签。", "address": ""}


@pytest.fixture
def model_path(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tiny_model_file(tmp_path_factory.getbasetemp())
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(path)}
    return path


@pytest.fixture
def register(people: Any, django_capture_on_commit_callbacks: Any) -> Any:
    def run(category: Any, **overrides: Any) -> WorkOrder:
        with django_capture_on_commit_callbacks(execute=True):
            order = services.workorder_register(actor=people.operator, data=intake(category, **overrides))
        order.refresh_from_db()
        return order

    return run


def _auto(enabled: bool, threshold: str) -> None:
    row = DispatchSettings.current()
    row.auto_dispatch_enabled, row.auto_dispatch_threshold = enabled, Decimal(threshold)
    row.save()


def test_each_registered_order_gets_a_stored_suggestion(
    register: Any, categories: Any, district: Any, model_path: Path
) -> None:
    order = register(categories.wages, **WAGES)
    suggestion = DispatchSuggestion.objects.get(case_id=order.pk)
    assert suggestion.categories[0]["label"] == "劳动和社会保障"
    assert suggestion.category is not None and suggestion.category.path.startswith("劳动和社会保障")
    assert suggestion.unit == district.dept_b
    assert 0 < suggestion.confidence <= 1
    assert suggestion.model_version
    assert suggestion.auto_dispatched is False
    assert order.status == Status.NEW  # auto-dispatch is off by default


def test_register_stores_duplicate_signatures_too(register: Any, categories: Any, model_path: Path) -> None:
    order = register(categories.wages, **WAGES)
    assert DuplicateSignature.objects.filter(case_id=order.pk).exists()


def test_auto_dispatch_when_enabled_and_sure(register: Any, categories: Any, district: Any, model_path: Path) -> None:
    _auto(True, "0.000")
    order = register(categories.wages, **WAGES)
    assert order.status == Status.DISPATCHED
    assert order.primary_unit == district.dept_b
    event = CaseEvent.objects.filter(case_id=order.pk, action="dispatch").get()
    assert event.data["auto"] is True
    assert "自动派单" in event.note
    assert event.actor is not None and event.actor.username == dispatch_services.SYSTEM_USERNAME
    assert event.actor.is_active is False and not event.actor.has_usable_password()
    suggestion = DispatchSuggestion.objects.get(case_id=order.pk)
    assert suggestion.auto_dispatched is True
    # The automatic dispatch followed the suggestion: no correction.
    assert not DispatchCorrection.objects.filter(case_id=order.pk).exists()


def test_no_auto_dispatch_below_the_threshold(register: Any, categories: Any, model_path: Path) -> None:
    _auto(True, "9.000")
    order = register(categories.wages, **WAGES)
    assert order.status == Status.NEW
    assert not CaseEvent.objects.filter(case_id=order.pk, action="dispatch").exists()
    assert DispatchSuggestion.objects.get(case_id=order.pk).auto_dispatched is False


def test_no_auto_dispatch_when_switched_off(register: Any, categories: Any, model_path: Path) -> None:
    _auto(False, "0.000")
    order = register(categories.wages, **WAGES)
    assert order.status == Status.NEW


def test_no_auto_dispatch_without_a_catalogue_unit(register: Any, categories: Any, model_path: Path) -> None:
    _auto(True, "0.000")
    order = register(categories.bus, title="公交车晚点", content="每天早上公交车都晚点半小时，公交线路也调整了。")
    suggestion = DispatchSuggestion.objects.get(case_id=order.pk)
    assert suggestion.categories[0]["label"] == "交通运输"
    assert suggestion.unit is None  # no rule for 交通运输 in the test catalogue
    assert order.status == Status.NEW


def test_dispatching_elsewhere_records_a_correction(
    register: Any,
    people: Any,
    categories: Any,
    district: Any,
    model_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = register(categories.wages, **WAGES)
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_dispatch(order=order.number, actor=people.dispatcher, unit=district.dept_a)
    correction = DispatchCorrection.objects.get(case_id=order.pk)
    assert correction.suggested_unit == district.dept_b
    assert correction.final_unit == district.dept_a
    assert correction.corrected_by == people.dispatcher
    assert correction.final_category == categories.wages


def test_dispatching_as_suggested_records_no_correction(
    register: Any,
    people: Any,
    categories: Any,
    district: Any,
    model_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = register(categories.wages, **WAGES)
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_dispatch(order=order.number, actor=people.dispatcher, unit=district.dept_b)
    assert not DispatchCorrection.objects.exists()


def test_a_different_category_counts_as_a_correction(
    register: Any,
    people: Any,
    categories: Any,
    district: Any,
    model_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Filed under 城乡建设 by the operator, though the text is about wages (model: 劳动和社会保障).
    order = register(categories.housing, **WAGES)
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_dispatch(order=order.number, actor=people.dispatcher, unit=district.dept_b)
    correction = DispatchCorrection.objects.get(case_id=order.pk)
    assert correction.suggested_category is not None
    assert correction.suggested_category.path.startswith("劳动和社会保障")
    assert correction.final_category == categories.housing


def test_without_a_model_orders_register_and_dispatch_normally(
    register: Any, people: Any, categories: Any, district: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _auto(True, "0.000")
    order = register(categories.wages, **WAGES)  # test settings point at a model file that does not exist
    assert order.status == Status.NEW
    assert not DispatchSuggestion.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.workorder_dispatch(order=order.number, actor=people.dispatcher, unit=district.dept_a)
    assert not DispatchCorrection.objects.exists()


def test_hooks_never_raise(db: Any) -> None:
    assert dispatch_services.dispatch_after_register(987654321) is None
    assert dispatch_services.dispatch_after_dispatch(987654321, None, 1) is None


def test_dispatcher_queue_shows_the_model_suggestion(
    register: Any, people: Any, categories: Any, model_path: Path
) -> None:
    order = register(categories.wages, **WAGES)
    client = Client()
    client.force_login(people.dispatcher)
    page = client.get(reverse("workorders:dispatch_queue")).content.decode()
    assert order.number in page
    part = page.split('data-testid="model-suggestion"')[1].split("</p>")[0]
    assert "劳动和社会保障" in part
    assert "区人社局" in part
    assert "%" in part
