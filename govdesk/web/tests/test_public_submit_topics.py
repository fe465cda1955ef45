"""The public submit page without the category tree (issue 15 §7): the citizen may pick a plain-language topic, the
system proposes the category (restricted to the topic's node), the order says so, and the dispatcher decides."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from captcha.models import CaptchaStore
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from govdesk.catalog.models import Category, PublicTopic
from govdesk.catalog.services import category_tree_import
from govdesk.dispatch.models import DispatchCorrection, DispatchSuggestion
from govdesk.dispatch.selectors import dispatch_model_forget
from govdesk.dispatch.tests.classifier_fixture import tiny_model_file
from govdesk.org.tests.factories import login_verified
from govdesk.web import public_intake
from govdesk.web.forms import PublicSubmitForm
from govdesk.workorders import services as workorder_services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import Status

pytestmark = pytest.mark.django_db

TOPICS_JSON = Path(public_intake.__file__).resolve().parents[1] / "catalog" / "data" / "public_topics.json"
CATEGORIES_CSV = TOPICS_JSON.parent / "categories.csv"
LAMP = {"title": "小区门口路灯不亮", "content": "永宁路小区门口的路灯坏了两周，市政设施没人管，晚上很黑。"}
WAGES = {"title": "公司拖欠工资", "content": "我们公司拖欠工资三个月了，劳动合同纠纷，请人社部门处理。"}


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()  # rate-limit counters


@pytest.fixture
def topics(categories: Any) -> dict[str, PublicTopic]:
    """Topics mapped to the test tree (the shipped ones name the real tree's nodes)."""
    PublicTopic.objects.all().delete()
    rows: list[tuple[str, str, str, str, str, bool]] = [
        (
            "street-lights",
            "路灯照明",
            "路灯不亮、灯杆损坏",
            "城乡建设/城市建设和市政管理",
            categories.facilities.path,
            True,
        ),
        ("jobs", "就业与社保", "工资、社保", "劳动和社会保障", "", True),
        ("retired", "已停用", "", "交通运输", "", False),
        ("other", "其他", "以上都不是", "", categories.housing.path, True),
    ]
    made = {}
    for order, (code, name, description, node, fallback, active) in enumerate(rows):
        made[code] = PublicTopic.objects.create(
            code=code,
            name=name,
            description=description,
            category_path=node,
            fallback_path=fallback,
            order=order,
            is_active=active,
        )
    return made


@pytest.fixture
def model(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The tiny fixture classifier (three level-1 labels), never one trained on the shipped data."""
    path = tiny_model_file(tmp_path_factory.getbasetemp())
    settings.GOVDESK = {**settings.GOVDESK, "DISPATCH_MODEL_PATH": str(path)}
    dispatch_model_forget()
    yield path
    dispatch_model_forget()


def _captcha(client: Client) -> dict[str, str]:
    page = client.get(reverse("web:public_submit")).content.decode()
    key = re.search(r'name="captcha_0" value="([0-9a-f]+)"', page)
    assert key
    return {"captcha_0": key.group(1), "captcha_1": CaptchaStore.objects.get(hashkey=key.group(1)).response}


def _submit(text: dict[str, str], **fields: str) -> Any:
    client = Client()
    data = {"request_type": "complaint", **text, "citizen_phone": "13912340001", **fields}
    return client.post(reverse("web:public_submit"), {**data, **_captcha(client)})


def _registered(order: WorkOrder) -> dict[str, Any]:
    return order.events.get(action="register").data


def test_the_page_offers_topics_and_never_the_category_tree(topics: Any, categories: Any) -> None:
    body = Client().get(reverse("web:public_submit")).content.decode()
    assert 'name="category"' not in body and "category-paths" not in body
    for leaf in Category.objects.all():
        assert leaf.name not in body and leaf.path not in body
    assert 'value="street-lights"' in body and "路灯照明" in body and "路灯不亮、灯杆损坏" in body
    assert 'value="jobs"' in body and 'value="other"' in body
    assert 'value="retired"' not in body  # inactive topics are not offered


def test_without_a_model_the_topic_s_leaf_is_used_and_marked_as_proposed(topics: Any, categories: Any) -> None:
    response = _submit(LAMP, topic="street-lights")
    assert response.status_code == 200
    order = WorkOrder.objects.get()
    assert order.category == categories.facilities and order.status == Status.NEW and order.channel == "web"
    data = _registered(order)
    assert data["category_proposed"] is True
    assert data["proposed_by"] == "default" and data["confidence"] is None and data["topic"] == "street-lights"
    # The citizen's page says nothing about the category.
    assert categories.facilities.name not in response.content.decode()


def test_without_a_fallback_the_topic_s_node_gives_its_leaf_and_without_a_topic_the_catch_all(
    topics: Any, categories: Any
) -> None:
    _submit(WAGES, topic="jobs")
    _submit(LAMP)
    jobs, no_topic = WorkOrder.objects.order_by("pk")
    assert jobs.category == categories.wages  # the only leaf under 劳动和社会保障
    assert no_topic.category == categories.housing  # the "other" topic's leaf
    assert _registered(no_topic)["topic"] == "" and _registered(no_topic)["category_proposed"] is True


def test_with_nothing_mapped_the_tree_s_first_leaf_still_takes_the_request(categories: Any) -> None:
    PublicTopic.objects.all().delete()
    assert _submit(LAMP).status_code == 200
    assert WorkOrder.objects.get().category.pk in {c.pk for c in Category.objects.filter(children__isnull=True)}


def test_the_model_proposes_and_the_topic_restricts_it(model: Path, topics: Any, categories: Any) -> None:
    _submit(WAGES)
    _submit(WAGES, topic="street-lights")
    free, restricted = WorkOrder.objects.order_by("pk")
    assert free.category == categories.wages
    assert _registered(free)["proposed_by"] == "model" and _registered(free)["confidence"] > 0.5
    # The citizen said "street lights": the proposal stays under the topic's node whatever the model thinks.
    assert restricted.category.path.startswith("城乡建设/城市建设和市政管理/")
    assert _registered(restricted)["confidence"] < _registered(free)["confidence"]
    assert _registered(restricted)["topic"] == "street-lights"


def test_a_failing_classifier_costs_the_citizen_nothing(
    model: Path, topics: Any, categories: Any, monkeypatch: Any
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("model file corrupted")

    monkeypatch.setattr(public_intake, "category_propose", broken)
    assert _submit(LAMP, topic="street-lights").status_code == 200
    order = WorkOrder.objects.get()
    assert order.category == categories.facilities and _registered(order)["proposed_by"] == "default"


@pytest.mark.parametrize("topic", ["no-such-topic", "retired", "<script>"])
def test_an_unknown_or_retired_topic_is_refused_with_a_message(topics: Any, topic: str) -> None:
    response = _submit(LAMP, topic=topic)
    assert response.status_code == 400
    assert not WorkOrder.objects.exists()
    body = response.content.decode()
    with translation.override("zh-hans"):
        assert escape(str(PublicSubmitForm.base_fields["topic"].error_messages["invalid_choice"])) in body
    assert LAMP["content"] in body  # nothing the citizen typed is lost


def test_the_intake_rules_still_apply(topics: Any) -> None:
    response = _submit({"title": "", "content": ""}, topic="street-lights")
    assert response.status_code == 400
    assert not WorkOrder.objects.exists()
    # The chosen topic stays chosen on the page that shows the problems.
    assert re.search(r'value="street-lights"\s+checked', response.content.decode())


def test_the_dispatcher_sees_the_proposal_changes_it_and_the_correction_reads_the_new_category(
    topics: Any, people: Any, district: Any, categories: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _submit(LAMP, topic="street-lights")
    order = WorkOrder.objects.get()
    # What the classifier suggested after registration (no model in this test: stored as the task would store it).
    DispatchSuggestion.objects.create(
        case_id=order.pk,
        created_at=order.created_at,
        model_version="test",
        category=categories.facilities,
        confidence=0.7,
        unit=district.dept_a,
    )
    client = Client()
    login_verified(client, people.dispatcher)
    queue = client.get(reverse("workorders:dispatch_queue")).content.decode()
    item = queue[queue.index(f'id="order-{order.number}"') :]
    assert 'data-testid="category-proposed"' in item[: item.index("</article>")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("workorders:action", args=[order.number, "dispatch"]),
            {"unit": district.dept_b.code, "category": categories.wages.path, "next": "/dispatch/"},
        )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.DISPATCHED and order.category == categories.wages
    data = order.events.get(action="dispatch").data
    assert (data["category_from"], data["category_to"]) == (categories.facilities.path, categories.wages.path)
    # The after-dispatch task ran on commit: the correction compares the suggestion with the category as changed.
    correction = DispatchCorrection.objects.get(case_id=order.pk)
    assert correction.suggested_category == categories.facilities and correction.final_category == categories.wages
    assert correction.final_unit_id == district.dept_b.pk
    # The timeline shows both: proposed by the system, then the dispatcher's change.
    detail = client.get(reverse("workorders:detail", args=[order.number])).content.decode()
    assert 'data-testid="event-category-proposed"' in detail and 'data-testid="event-category-changed"' in detail


def test_the_shipped_topics_map_to_nodes_of_the_shipped_tree(db: Any) -> None:
    """Every shipped topic names a node of catalog/data/categories.csv and a leaf under it; the admin's check agrees."""
    category_tree_import(text=CATEGORIES_CSV.read_text(encoding="utf-8"), commit=True)
    shipped = json.loads(TOPICS_JSON.read_text(encoding="utf-8"))
    assert 10 <= len(shipped) <= 14 and len({t["code"] for t in shipped}) == len(shipped)
    assert any(t["code"] == "other" and t["category"] == "" for t in shipped)
    for row in shipped:
        topic = PublicTopic(
            code=row["code"], name=row["name"], category_path=row["category"], fallback_path=row["fallback"]
        )
        topic.full_clean(validate_unique=False)
    with pytest.raises(ValidationError) as refused:
        PublicTopic(code="x", name="x", category_path="交通运输", fallback_path="城乡建设/其他/其他").full_clean()
    assert "fallback_path" in refused.value.message_dict


def test_an_operator_registration_is_not_marked_as_proposed(people: Any, categories: Any) -> None:
    from govdesk.workorders.tests.factories import intake

    order = workorder_services.workorder_register(actor=people.operator, data=intake(categories.facilities))
    assert "category_proposed" not in order.events.get(action="register").data
