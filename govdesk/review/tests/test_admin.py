"""The review templates in the admin: the system administrator edits them, a placeholder naming an unknown figure or
format is refused with its name, one template is active, the change is audited, and the preview is linked."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from govdesk.audit.models import AuditEvent
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory, login_verified
from govdesk.review.models import ReviewTemplate

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/review/reviewtemplate/add/"


@pytest.fixture
def admin_client(client: Any, district: Any) -> Any:
    login_verified(client, UserFactory(username="root", roles=[Role.SYSADMIN]))  # type: ignore[arg-type]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _form(
    *, heading: str = "一、{{year}}年工作回顾", text: str = "实施农厕改造{{toilets_completed}}。", active: bool = False
) -> dict[str, Any]:
    data = {
        "name": "新模板",
        "heading": heading,
        "paragraphs-TOTAL_FORMS": "1",
        "paragraphs-INITIAL_FORMS": "0",
        "paragraphs-MIN_NUM_FORMS": "0",
        "paragraphs-MAX_NUM_FORMS": "1000",
        "paragraphs-0-order": "1",
        "paragraphs-0-heading": "",
        "paragraphs-0-text": text,
    }
    if active:
        data["is_active"] = "on"
    return data


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("text", "实施农厕改造{{toilet_count}}。", "toilet_count"),
        ("text", "实施农厕改造{{toilets_completed|thousands}}。", "thousands"),
        ("heading", "一、{{yaer}}年工作回顾", "yaer"),
    ],
)
def test_an_unknown_figure_or_format_is_refused_with_its_name(
    admin_client: Any, field: str, value: str, named: str
) -> None:
    response = admin_client.post(ADD_URL, _form(**{field: value}))  # type: ignore[arg-type]
    assert response.status_code == 200
    assert named in response.content.decode()
    assert not ReviewTemplate.objects.filter(name="新模板").exists()


def test_a_good_template_is_saved_active_audited_and_linked_to_its_preview(admin_client: Any) -> None:
    old = ReviewTemplate.objects.get(is_active=True)
    response = admin_client.post(ADD_URL, _form(active=True))
    assert response.status_code == 302
    new = ReviewTemplate.objects.get(name="新模板")
    assert new.is_active and not ReviewTemplate.objects.get(pk=old.pk).is_active
    assert new.paragraphs.get().text == "实施农厕改造{{toilets_completed}}。"
    assert AuditEvent.objects.filter(action="review.template.create", object_id=str(new.pk)).exists()
    page = admin_client.get(f"/admin/review/reviewtemplate/{new.pk}/change/").content.decode()
    assert f"/preview/{new.pk}/" in page


def test_only_the_system_administrator_edits_templates(client: Any, people: Any) -> None:
    login_verified(client, people.supervisor)
    assert client.get(ADD_URL).status_code in (302, 403)
