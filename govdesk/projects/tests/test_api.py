"""The Contract's project endpoints: register (201 with `code` and `stages`), list and read with roles and masking,
apply for a stage (201 with the package application's `number` and `parts`; 409 for a locked stage; 400 naming the
field, nothing stored)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from govdesk.packages.models import PackageApplication
from govdesk.projects.models import Project

from .case_fixtures import (
    STAGE_FORMS,
    STAGE_MATERIALS,
    accept,
    apply,
    parts,
    register,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/projects/"
BODY = {"name": "滨河综合楼", "owner": "吕梁滨河置业有限公司", "investment": "3500", "location": "离石区滨河北路"}


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def test_a_clerk_registers_with_the_contract_fields_only(
    construction: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    response = api_client_for(construction.clerk).post(URL, {**BODY, "type": construction.type.code}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"].startswith("2026-141102-47-01-")
    assert [(s["no"], s["status"], s["due_at"]) for s in body["stages"]] == [
        (1, "open", None),
        (2, "locked", None),
        (3, "locked", None),
        (4, "locked", None),
    ]
    assert response["Location"] == f"{URL}{body['code']}/"
    assert Project.objects.get(code=body["code"]).contact_name == BODY["owner"]


def test_bad_registrations_are_400s_naming_the_field(
    construction: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    client = api_client_for(construction.clerk)
    response = client.post(URL, {**BODY, "type": "NOPE", "investment": "lots"}, format="json")
    assert response.status_code == 400
    assert {"type", "investment"} <= set(response.json()["fields"])
    response = client.post(URL, {"type": construction.type.code}, format="json")
    assert response.status_code == 400
    assert {"name", "owner", "investment", "location"} <= set(response.json()["fields"])
    assert not Project.objects.exists()


def test_who_may_register(construction: SimpleNamespace, api_client_for: Callable[[Any], Any]) -> None:
    body = {**BODY, "type": construction.type.code}
    assert api_client_for(None).post(URL, body, format="json").status_code in (401, 403)
    assert api_client_for(construction.people.handler_a).post(URL, body, format="json").status_code == 403
    assert api_client_for(construction.people.supervisor).post(URL, body, format="json").status_code == 403
    response = api_client_for(construction.people.citizen).post(URL, body, format="json")
    assert response.status_code == 201
    assert Project.objects.get(code=response.json()["code"]).applicant == construction.people.citizen


def test_reading_projects_by_role_with_masked_numbers(
    construction: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    fx = construction
    own = register(fx, actor=fx.people.citizen)
    other = register(fx)
    citizen = api_client_for(fx.people.citizen)
    listed = citizen.get(URL).json()["results"]
    assert [p["code"] for p in listed] == [own.code]
    assert citizen.get(f"{URL}{own.code}/").json()["contact_phone"] == "13812345678"
    assert citizen.get(f"{URL}{other.code}/").status_code == 404
    assert api_client_for(fx.people.other_citizen).get(f"{URL}{own.code}/").status_code == 404
    clerk = api_client_for(fx.clerk).get(f"{URL}{other.code}/").json()
    assert clerk["contact_phone"] == "13812345678" and clerk["contact_id_number"] == "11010519491231002X"
    supervisor = api_client_for(fx.people.supervisor).get(f"{URL}{other.code}/")
    assert supervisor.status_code == 200
    assert supervisor.json()["contact_phone"] != "13812345678"
    assert "*" in supervisor.json()["contact_phone"] and "*" in supervisor.json()["contact_id_number"]
    assert len(api_client_for(fx.people.supervisor).get(URL).json()["results"]) == 2
    # A unit's staff see the projects their unit leads a stage of or handles an approval in.
    lead = api_client_for(fx.people.handler_a).get(f"{URL}{other.code}/")
    assert lead.status_code == 200 and "*" in lead.json()["contact_phone"]
    street = api_client_for(fx.people.street_handler)
    assert street.get(f"{URL}{other.code}/").status_code == 403
    assert street.get(URL).json()["results"] == []
    assert api_client_for(fx.people.sysadmin).get(URL).status_code == 403
    assert api_client_for(fx.clerk).get(f"{URL}2026-141102-47-01-999999/").status_code == 404


def test_apply_for_a_stage_answers_the_package_application(
    construction: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    fx = construction
    project = register(fx)
    client = api_client_for(fx.clerk)
    body = {"form": STAGE_FORMS[1], "materials": STAGE_MATERIALS[1]}
    response = client.post(f"{URL}{project.code}/stages/1/apply/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith("YJS") and data["status"] == "submitted" and data["parts"] == []
    accepted = accept(fx, PackageApplication.objects.get(number=data["number"]))
    assert set(parts(accepted)) == {"T-YDGH", "T-XZYJ"}
    detail = client.get(f"{URL}{project.code}/").json()
    first = detail["stages"][0]
    assert first["status"] == "under_way" and first["package_application"] == data["number"]
    assert first["due_at"] is not None


def test_a_locked_stage_is_a_409_and_bad_answers_400s_storing_nothing(
    construction: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    fx = construction
    project = register(fx)
    client = api_client_for(fx.clerk)
    locked = client.post(f"{URL}{project.code}/stages/2/apply/", {"form": {}, "materials": []}, format="json")
    assert locked.status_code == 409
    assert "须待上一阶段办结后才能申报" in locked.json()["message"]
    bad_form = client.post(
        f"{URL}{project.code}/stages/1/apply/",
        {"form": {"project_name": "滨河综合楼", "nonsense": 1}, "materials": STAGE_MATERIALS[1]},
        format="json",
    )
    assert bad_form.status_code == 400
    assert {"form.site_area", "form.nonsense"} <= set(bad_form.json()["fields"])
    bad_material = client.post(
        f"{URL}{project.code}/stages/1/apply/", {"form": STAGE_FORMS[1], "materials": ["XX"]}, format="json"
    )
    assert bad_material.status_code == 400 and "materials" in bad_material.json()["fields"]
    not_a_list = client.post(f"{URL}{project.code}/stages/1/apply/", {"materials": "XMJYS"}, format="json")
    assert not_a_list.status_code == 400
    assert client.post(f"{URL}{project.code}/stages/9/apply/", {}, format="json").status_code == 404
    assert not PackageApplication.objects.exists()
    assert client.get(f"{URL}{project.code}/").json()["stages"][0]["status"] == "open"


def test_who_may_apply(construction: SimpleNamespace, api_client_for: Callable[[Any], Any]) -> None:
    fx = construction
    project = register(fx, actor=fx.people.citizen, contact_id_number="")
    url = f"{URL}{project.code}/stages/1/apply/"
    body: dict[str, Any] = {"form": STAGE_FORMS[1], "materials": STAGE_MATERIALS[1]}
    assert api_client_for(fx.people.other_citizen).post(url, body, format="json").status_code == 404
    assert api_client_for(fx.people.handler_a).post(url, body, format="json").status_code == 403
    # The package needs the applicant's ID number: an account has none, so the citizen gives it once.
    missing = api_client_for(fx.people.citizen).post(url, body, format="json")
    assert missing.status_code == 400 and "applicant_id_number" in missing.json()["fields"]
    given = api_client_for(fx.people.citizen).post(
        url, {**body, "applicant_id_number": "11010519491231002X"}, format="json"
    )
    assert given.status_code == 201, given.json()
    assert Project.objects.get(pk=project.pk).contact_id_number == "11010519491231002X"
    assert PackageApplication.objects.get().channel == "online"


def test_the_lead_unit_schedules_the_joint_inspection(
    construction: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    fx = construction
    project = register(fx)
    url = f"{URL}{project.code}/stages/1/joint-inspection/"
    assert api_client_for(fx.people.handler_a).post(url, {"inspect_on": "2026-11-05"}, format="json").status_code == 409
    assert api_client_for(fx.clerk).post(url, {"inspect_on": "2026-11-05"}, format="json").status_code == 403
    assert api_client_for(fx.people.handler_a).post(url, {"inspect_on": "soon"}, format="json").status_code == 400
    apply(fx, project, 1)  # keeps the import honest: a stage without joint matters has no joint acceptance
    assert api_client_for(fx.people.handler_a).post(url, {"inspect_on": "2026-11-05"}, format="json").status_code == 409


def test_the_list_carries_the_stages_in_a_fixed_number_of_queries(
    construction: SimpleNamespace, api_client_for: Callable[[Any], Any]
) -> None:
    fx = construction
    client = api_client_for(fx.people.supervisor)
    register(fx)
    client.get(URL)  # warm the per-process caches
    with CaptureQueriesContext(connection) as one:
        first = client.get(URL).json()["results"]
    for _ in range(4):
        register(fx)
    with CaptureQueriesContext(connection) as five:
        body = client.get(URL).json()["results"]
    assert len(first) == 1 and len(body) == 5
    assert [s["no"] for s in body[0]["stages"]] == [1, 2, 3, 4]
    assert len(five.captured_queries) == len(one.captured_queries)
