"""GET /api/v1/project-types/ and /api/v1/project-types/{code}/ (issue 13's contract): each type's code, name, total
limit and stages with their lead unit, limit and matters, as the flow data says; for logged-in users, like the
package catalogue's API."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory
from govdesk.projects.models import ProjectType

from .test_flows import packages_loaded, types_loaded  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

URL = "/api/v1/project-types/"


def test_the_list_has_the_contract_shape(types_loaded: None, api_client_for: Any) -> None:  # noqa: F811
    response = api_client_for(UserFactory(roles=[Role.CITIZEN])).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [t["code"] for t in body] == ["government", "social", "low_risk", "with_design"]
    for project_type in body:
        assert {"code", "name", "total_limit_days", "stages"} <= set(project_type)
        for stage in project_type["stages"]:
            assert {"no", "name", "lead_unit", "limit_days", "matters"} <= set(stage)
            assert isinstance(stage["matters"], list) and stage["matters"]
        assert [s["no"] for s in project_type["stages"]] == list(range(1, len(project_type["stages"]) + 1))
    low_risk = body[2]
    assert low_risk["name"] == "社会投资简易低风险项目" and low_risk["total_limit_days"] == 15
    first, _second, last = low_risk["stages"]
    assert first == first | {
        "no": 1,
        "name": "立项用地规划许可",
        "lead_unit": "LS-ZR",
        "limit_days": 2,
        "matters": ["141102-20-FG-0001", "141102-01-ZR-0007"],
        "commitment_matters": ["141102-01-ZR-0007"],
        "package": "GCJS-JY-1",
    }
    assert last["joint_matters"] == ["141102-09-ZR-0016", "141102-20-ZJ-0019"]
    assert last["joint_result_name"] == "联合验收意见书" and "141102-20-ZJ-0003" in last["matters"]


def test_one_type_and_an_unknown_one(types_loaded: None, api_client_for: Any) -> None:  # noqa: F811
    client = api_client_for(UserFactory(roles=[Role.WINDOW_CLERK]))
    social = client.get(f"{URL}social/").json()
    assert social["total_limit_days"] == 60 and len(social["stages"]) == 5
    assert social["stages"][3]["opens_with_previous"] is True  # utility connections beside the construction permit
    with translation.override("en"):
        missing = client.get(f"{URL}nope/")
    assert missing.status_code == 404 and "nope" in missing.json()["message"]


def test_a_switched_off_type_is_not_listed(types_loaded: None, api_client_for: Any) -> None:  # noqa: F811
    ProjectType.objects.filter(code="with_design").update(is_active=False)
    client = api_client_for(UserFactory(roles=[Role.CITIZEN]))
    assert [t["code"] for t in client.get(URL).json()] == ["government", "social", "low_risk"]
    assert client.get(f"{URL}with_design/").status_code == 404


def test_anonymous_callers_are_refused(types_loaded: None, api_client_for: Any) -> None:  # noqa: F811
    assert api_client_for().get(URL).status_code in (401, 403)
