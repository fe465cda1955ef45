"""The OpenAPI schema documents `POST /api/v1/applications/`'s package variant: the body with `package` instead of
`matter`, and the 201 answer's `parts`; and `GET /api/v1/stats/overview/` documents `kind=package`."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text(encoding="utf-8"))


def _component(schema: dict[str, Any], ref: str) -> dict[str, Any]:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_submission_documents_the_package_variant(schema: dict[str, Any]) -> None:
    post = schema["paths"]["/api/v1/applications/"]["post"]
    body = _component(schema, post["requestBody"]["content"]["application/json"]["schema"]["$ref"])
    variants = [_component(schema, one["$ref"]) for one in body["oneOf"]]
    required = [set(variant.get("required", [])) for variant in variants]
    assert any("matter" in r for r in required) and any("package" in r and "matter" not in r for r in required)
    answer = _component(schema, post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"])
    answers = [_component(schema, one["$ref"]) for one in answer["oneOf"]]
    package = next(a for a in answers if "parts" in a["properties"])
    part = _component(schema, package["properties"]["parts"]["items"]["$ref"])
    assert {"number", "matter", "unit", "status"} <= set(part["properties"])
    assert "package" in post["description"]


def test_stats_overview_documents_the_package_kind(schema: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/stats/overview/"]["get"]["parameters"]}
    assert "package" in parameters["kind"]["schema"]["enum"]
    assert "package" in parameters
