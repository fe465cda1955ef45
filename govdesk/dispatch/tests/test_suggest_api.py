"""POST /api/v1/dispatch/suggest/: shape, roles, bad input, and a missing or corrupt model (503, platform unaffected).

The model is the tiny fixture's (classifier_fixture), never one trained on the shipped data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from govdesk.dispatch.models import DispatchSuggestion
from govdesk.dispatch.selectors import dispatch_model_forget
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.tests.factories import intake

from .classifier_fixture import tiny_model_file

URL = "/api/v1/dispatch/suggest/"
LAMP = {
    "title": "市政设施路灯不亮",
    "content": "小区门口的路灯不亮，井盖也破损了，晚上很危险。",
    "address": "滨河北路18号",
}


@pytest.fixture
def model_path(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tiny_model_file(tmp_path_factory.getbasetemp())
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(path)}
    return path


@pytest.fixture
def no_model(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "missing.joblib"
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(path)}
    dispatch_model_forget()
    return path


def test_suggestion_shape(api_client_for: Any, people: Any, categories: Any, district: Any, model_path: Path) -> None:
    response = api_client_for(people.operator).post(URL, LAMP, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "model_version", "confidence", "low_confidence", "categories", "leaf", "unit", "street", "notice"
    }  # fmt: skip
    assert len(body["categories"]) == 3
    best = body["categories"][0]
    assert best["label"] == "城乡建设"
    assert best["category"] == {"id": categories.branch.parent.pk, "path": "城乡建设"}
    assert best["probability"] == body["confidence"]
    assert [c["probability"] for c in body["categories"]] == sorted(
        (c["probability"] for c in body["categories"]), reverse=True
    )
    assert sum(c["probability"] for c in body["categories"]) == pytest.approx(1.0, abs=1e-3)
    # The leaf by keyword overlap ("市政设施"), whose rule is a local matter: the street of the address.
    assert body["leaf"] == {"id": categories.facilities.pk, "path": categories.facilities.path}
    assert body["unit"] == {"code": district.street.code, "name": district.street.name}
    assert body["street"] == {"code": district.street.code, "name": district.street.name}
    assert body["model_version"]


def test_unit_from_the_catalogue_for_a_department_matter(
    api_client_for: Any, people: Any, categories: Any, district: Any, model_path: Path
) -> None:
    payload = {"title": "公司拖欠工资", "content": "老板拖欠工资三个月，社保也不交。"}
    body = api_client_for(people.dispatcher).post(URL, payload, format="json").json()
    assert body["categories"][0]["label"] == "劳动和社会保障"
    assert body["unit"]["code"] == district.dept_b.code
    assert body["street"] is None


@pytest.mark.parametrize("who", ["handler_a", "supervisor", "citizen", "sysadmin"])
def test_other_roles_are_refused(api_client_for: Any, people: Any, categories: Any, model_path: Path, who: str) -> None:
    response = api_client_for(getattr(people, who)).post(URL, LAMP, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_is_refused(api_client_for: Any, model_path: Path, db: Any) -> None:
    assert api_client_for(None).post(URL, LAMP, format="json").status_code in (401, 403)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "content"),
        ({"title": "  ", "content": "\n\n"}, "content"),
        ({"title": "路灯" * 101, "content": "路灯不亮"}, "title"),
        ({"title": "路灯", "content": "路" * 4001}, "content"),
        ({"title": "路灯\x07不亮", "content": "路灯不亮"}, "title"),
        ({"title": "路灯", "content": "路灯\x00不亮"}, "content"),
        ({"title": "路灯", "content": "不亮", "address": "滨河\x1b北路"}, "address"),
        ({"title": ["路灯"], "content": "不亮"}, "title"),
    ],
)
def test_bad_input_is_a_clear_400(
    api_client_for: Any, people: Any, categories: Any, model_path: Path, payload: dict[str, Any], field: str
) -> None:
    response = api_client_for(people.operator).post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]


def test_body_that_is_not_an_object_or_not_json_is_400(
    api_client_for: Any, people: Any, categories: Any, model_path: Path
) -> None:
    client = api_client_for(people.operator)
    assert client.post(URL, ["路灯"], format="json").status_code == 400
    response = client.post(URL, data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "Street light broken", "content": "The street light outside number 18 has been out for a week."},
        {"title": "😀😀😀", "content": "🚧🚧🚧💡"},
        {"title": "12345", "content": "!!! ??? ..."},
    ],
)
def test_text_without_chinese_gets_a_low_confidence_answer(
    api_client_for: Any, people: Any, categories: Any, model_path: Path, payload: dict[str, str]
) -> None:
    response = api_client_for(people.operator).post(URL, payload, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["confidence"] == 0.0
    assert body["low_confidence"] is True
    assert body["categories"] == []
    assert body["unit"] is None
    assert body["notice"]


def test_missing_model_is_503_model_unavailable(
    api_client_for: Any, people: Any, categories: Any, no_model: Path
) -> None:
    response = api_client_for(people.operator).post(URL, LAMP, format="json")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "model_unavailable"
    assert body["message"]


def test_corrupt_model_is_503_and_registering_still_works(
    api_client_for: Any,
    people: Any,
    categories: Any,
    no_model: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    no_model.write_bytes(b"\x80\x04garbage that is not a pickle")
    client = api_client_for(people.operator)
    response = client.post(URL, LAMP, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "model_unavailable"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = client.post("/api/v1/workorders/", intake(categories.facilities.path), format="json")
    assert created.status_code == 201, created.json()
    assert callbacks, "the after-commit hook ran"
    order = WorkOrder.objects.get(number=created.json()["number"])
    assert not DispatchSuggestion.objects.filter(case_id=order.pk).exists()


def test_console_still_registers_without_a_model(
    client: Any, people: Any, categories: Any, no_model: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(people.operator)
    page = client.get(reverse("workorders:console"))
    assert page.status_code == 200
    assert b'id="suggest-panel"' in page.content
    assert b"dispatch/suggest.js" in page.content
    data = {k: v for k, v in intake(categories.facilities.path).items() if k != "channel"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("workorders:console"), data)
    assert response.status_code == 302
    assert WorkOrder.objects.filter(title=data["title"]).count() == 1
