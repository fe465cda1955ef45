"""The rule set's admin (the system administrator): the application and 好差评 items and deductions are offered and
saved like the work-order rates; bad thresholds are refused with a message saying what to write, nothing saved.
And the demo's rule set, made through the service: weights summing to 100, the new items in it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from govdesk.assessment.demo import DEMO_RULE_SET, assessment_demo_rule_set_ensure
from govdesk.assessment.models import AssessmentRuleSet
from govdesk.assessment.selectors import rule_set_for_month
from govdesk.assessment.services import DeductionSpec, ItemSpec, assessment_rule_set_create
from govdesk.audit.models import AuditEvent
from govdesk.common.errors import ValidationFailed
from govdesk.org.tests.factories import login_verified

from .conftest import OCTOBER

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/assessment/assessmentruleset/add/"


def admin_client(people: SimpleNamespace) -> Client:
    client = Client()
    login_verified(client, people.sysadmin)
    return client


def rule_set_form(items: list[dict[str, str]], deductions: list[dict[str, str]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    data: dict[str, Any] = {
        "name": "含办件与好差评",
        "effective_from": "2026-10-01",
        "min_orders": "5",
        "description": "",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "deductions-TOTAL_FORMS": str(len(deductions)),
        "deductions-INITIAL_FORMS": "0",
        "deductions-MIN_NUM_FORMS": "0",
        "deductions-MAX_NUM_FORMS": "1000",
    }
    for prefix, rows in (("items", items), ("deductions", deductions)):
        for i, row in enumerate(rows):
            data.update({f"{prefix}-{i}-{field}": value for field, value in row.items()})
    return data


def item(key: str, weight: str, method: str = "linear", floor: str = "", target: str = "") -> dict[str, str]:
    return {"rate_key": key, "weight": weight, "method": method, "floor": floor, "target": target}


def test_the_admin_offers_and_saves_the_application_and_rating_items(people: SimpleNamespace) -> None:
    client = admin_client(people)
    page = client.get(ADD_URL).content.decode()
    for key in ("application_on_time", "evaluation_satisfaction", "rectification_on_time"):
        assert f'value="{key}"' in page
    for kind in ("application_overdue", "bad_rating_justified"):
        assert f'value="{kind}"' in page
    form = rule_set_form(
        [
            item("finish_on_time", "40", "range", "0.5", "0.95"),
            item("application_on_time", "30", "range", "0.8", "1"),
            item("evaluation_satisfaction", "20"),
            item("rectification_on_time", "10"),
        ],
        [
            {"kind": "application_overdue", "rate_key": "", "points": "0.5", "max_points": "5"},
            {"kind": "bad_rating_justified", "rate_key": "", "points": "1", "max_points": ""},
        ],
    )
    response = client.post(ADD_URL, form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    saved = AssessmentRuleSet.objects.get(name="含办件与好差评")
    assert [(i.rate_key, str(i.weight)) for i in saved.items.order_by("pk")] == [
        ("finish_on_time", "40.00"),
        ("application_on_time", "30.00"),
        ("evaluation_satisfaction", "20.00"),
        ("rectification_on_time", "10.00"),
    ]
    assert [d.kind for d in saved.deductions.order_by("pk")] == ["application_overdue", "bad_rating_justified"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            item("application_on_time", "30", "range", "95", ""),
            "Give a rate as a fraction between 0 and 1, for example 0.95 for 95 percent.",
        ),
        (
            item("evaluation_satisfaction", "30", "range", "1.2", ""),
            "Give a rate as a fraction between 0 and 1, for example 0.95 for 95 percent.",
        ),
        (
            item("application_on_time", "30", "range", "-0.1", "0.9"),
            "Give a rate as a fraction between 0 and 1, for example 0.95 for 95 percent.",
        ),
        (
            item("application_on_time", "30", "range", "0.12345", "0.9"),
            "A rate has at most four decimals, for example 0.9525 for 95.25 percent.",
        ),
        (
            item("rectification_on_time", "30", "range", "0.9", "0.8"),
            "The floor/target method needs both a floor and a target rate, the floor below the target.",
        ),
        (
            item("evaluation_satisfaction", "30", "range", "0.6", ""),
            "The floor/target method needs both a floor and a target rate, the floor below the target.",
        ),
        (
            item("application_on_time", "30", "linear", "0.8", ""),
            "A linear item has no floor or target rate; choose the floor/target method to use them.",
        ),
    ],
)
def test_invalid_thresholds_are_refused_with_a_clear_message(
    people: SimpleNamespace, row: dict[str, str], message: str
) -> None:
    response = admin_client(people).post(ADD_URL, rule_set_form([row]))
    assert response.status_code == 200  # the form again, with the errors
    (form,) = response.context["inline_admin_formsets"][0].formset.forms
    shown = [str(e) for e in form.non_field_errors()] + [
        str(e) for f in ("floor", "target") for e in form.errors.get(f, [])
    ]
    with translation.override(settings.LANGUAGE_CODE):  # the admin's language (Chinese once the .po has them)
        assert shown == [gettext(message)]
    assert not AssessmentRuleSet.objects.filter(name="含办件与好差评").exists()


def test_the_demo_rule_set_weighs_applications_and_ratings_and_is_in_force(people: SimpleNamespace) -> None:
    rule_set = assessment_demo_rule_set_ensure()
    assert rule_set.name == DEMO_RULE_SET and rule_set.active
    keys = {i.rate_key: i.weight for i in rule_set.items.all()}
    assert sum(keys.values()) == 100
    assert {"application_on_time", "evaluation_satisfaction", "rectification_on_time"} <= set(keys)
    assert {"application_overdue", "bad_rating_justified"} <= {d.kind for d in rule_set.deductions.all()}
    assert rule_set_for_month(OCTOBER) == rule_set
    assert AssessmentRuleSet.objects.filter(active=True).count() == 1
    assert assessment_demo_rule_set_ensure() == rule_set  # a second seed keeps it
    assert AuditEvent.objects.filter(action="assessment.rule_set_create", object_id=str(rule_set.pk)).count() == 1


def test_a_rule_set_with_a_bad_item_is_refused_whole(db: Any) -> None:
    before = AssessmentRuleSet.objects.count()
    with pytest.raises(ValidationFailed), translation.override("en"):
        assessment_rule_set_create(
            name="broken",
            effective_from=OCTOBER,
            items=[ItemSpec("application_on_time", "50"), ItemSpec("no_such_rate", "50")],
            deductions=[DeductionSpec("bad_rating_justified", "1")],
            activate=True,
        )
    assert AssessmentRuleSet.objects.count() == before
    assert AssessmentRuleSet.objects.filter(active=True).exclude(name="broken").count() == 1
