"""`workorders.hooks`: the apps above provide what is theirs (the 督办 service, page URLs) from their ready(); work
orders run without them, and never import them (govdesk/cases/tests/test_layers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import path

from govdesk.cases.models import CaseEvent
from govdesk.workorders import hooks, services
from govdesk.workorders.states import Action, Status
from govdesk.workorders.tests.factories import make_order


@pytest.fixture
def no_providers(monkeypatch: Any) -> None:
    monkeypatch.setattr(hooks, "_ACTION_SERVICES", {})


@pytest.mark.django_db
def test_supervise_without_a_provider_is_the_supervisors_note(
    no_providers: None, people: Any, district: Any, categories: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    supervise = services.ACTION_SERVICES[Action.SUPERVISE]
    result = supervise(order=order.number, actor=people.supervisor, note="请加快办理")
    assert result.pk == order.pk and result.status == Status.HANDLING
    event = CaseEvent.objects.get(case_id=order.pk, action="supervise")
    assert event.note == "请加快办理" and event.actor == people.supervisor


@pytest.mark.django_db
def test_supervise_runs_the_provided_service_with_the_same_arguments(
    no_providers: None, people: Any, district: Any, categories: Any
) -> None:
    order = make_order(people, district, categories.facilities, Status.HANDLING)
    calls: list[dict[str, Any]] = []

    def provided(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return order

    hooks.action_service_provide(Action.SUPERVISE, provided)
    assert hooks.action_service_for("supervise") is provided
    assert services.ACTION_SERVICES[Action.SUPERVISE](order=order.number, actor=people.supervisor, note="督") == order
    assert calls == [{"order": order.number, "actor": people.supervisor, "note": "督"}]
    assert not CaseEvent.objects.filter(case_id=order.pk, action="supervise").exists()


def test_an_installed_app_provides_the_supervise_service() -> None:
    provided = hooks.action_service_for(Action.SUPERVISE)
    assert provided is not None and provided.__module__ != services.__name__


def test_page_urls_are_added_once_by_name(monkeypatch: Any) -> None:
    monkeypatch.setattr(hooks, "PAGE_URLS", [])

    def view(request: Any) -> Any:
        return None

    hooks.page_urls_add(path("a/", view, name="piece"))
    hooks.page_urls_add(path("a/", view, name="piece"), path("b/", view, name="other"))
    assert [p.name for p in hooks.PAGE_URLS] == ["piece", "other"]
