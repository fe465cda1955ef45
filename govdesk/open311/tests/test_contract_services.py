"""Contract: discovery, GET services and GET service definition, replayed from the spec's examples in both formats."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from . import spec
from .conftest import ATTRIBUTES, Open311

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_discovery_names_this_endpoint_the_spec_and_both_formats(o311: Open311, fmt: str) -> None:
    response = o311.get("discovery", fmt)
    assert response.status_code == 200
    discovery = spec.parse(response, fmt, "discovery")
    assert set(discovery) == spec.DISCOVERY_FIELDS
    for field in ("changeset", "contact", "key_service"):
        assert spec.text(discovery[field]).strip(), field
    assert discovery["endpoints"], "at least one endpoint"
    for endpoint in discovery["endpoints"]:
        assert set(endpoint) == spec.ENDPOINT_FIELDS
        assert endpoint["specification"] == spec.SPECIFICATION
        assert endpoint["type"] in ("production", "test")
        assert spec.text(endpoint["url"]).rstrip("/").endswith(spec.BASE)
        assert spec.text(endpoint["changeset"]).strip()
        assert {"text/xml", "application/json"} <= set(endpoint["formats"])


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_services_lists_the_public_categories_with_every_spec_field(
    o311: Open311, services: SimpleNamespace, fmt: str
) -> None:
    listed = o311.services(fmt)
    names = [spec.text(s["service_name"]) for s in listed]
    assert len(listed) == 3, names
    by_name = {}
    for service in listed:
        assert set(service) == spec.SERVICE_FIELDS, set(service)
        assert spec.text(service["service_code"]).strip()
        assert service["type"] == "realtime"
        by_name[spec.text(service["service_name"])] = service
    codes = [spec.text(s["service_code"]) for s in listed]
    assert len(set(codes)) == len(codes), "service codes are unique"
    (facilities,) = (s for n, s in by_name.items() if services.facilities.name in n)
    (greening,) = (s for n, s in by_name.items() if services.greening.name in n)
    assert spec.boolean(facilities["metadata"], fmt) is True
    assert spec.boolean(greening["metadata"], fmt) is False
    assert facilities["description"] == "路灯、井盖、道路等市政设施损坏"
    assert facilities["keywords"] == "路灯,井盖,道路"
    ancestors = {"城乡建设", "城市建设和市政管理"}
    assert spec.text(facilities["group"]) in ancestors


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_services_never_lists_internal_or_inactive_categories(
    o311: Open311, services: SimpleNamespace, fmt: str
) -> None:
    body = o311.get("services", fmt).content.decode()
    assert services.wages.name not in body
    assert services.bus.name not in body


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_service_definition_replays_the_spec_example(o311: Open311, services: SimpleNamespace, fmt: str) -> None:
    code = o311.code(services.facilities)
    response = o311.get(f"services/{code}", fmt)
    assert response.status_code == 200
    definition = spec.parse(response, fmt, "service_definition")
    assert set(definition) == {"service_code", "attributes"}
    assert spec.text(definition["service_code"]) == code
    attributes = definition["attributes"]
    active = [a for a in ATTRIBUTES if a.get("is_active", True)]
    assert [a["code"] for a in attributes] == [a["code"] for a in active], "in order, inactive ones left out"
    orders = [spec.integer(a["order"], fmt) for a in attributes]
    assert orders == sorted(orders) and len(set(orders)) == len(orders) and min(orders) >= 1
    assert {a["datatype"] for a in attributes} == spec.DATATYPES
    for attribute, expected in zip(attributes, active, strict=True):
        # `values` belongs to the two list datatypes; other attributes may leave it out (or leave it empty).
        is_list = attribute["datatype"] in ("singlevaluelist", "multivaluelist")
        assert set(attribute) - {"values"} == spec.ATTRIBUTE_FIELDS - {"values"}, set(attribute)
        assert "values" in attribute or not is_list
        assert attribute["datatype"] in spec.DATATYPES
        assert spec.boolean(attribute["variable"], fmt) is expected.get("variable", True)
        assert spec.boolean(attribute["required"], fmt) is expected.get("required", False)
        assert attribute["description"] == expected["description"]
        assert spec.text(attribute["datatype_description"]) == expected.get("datatype_description", "")
        values = attribute.get("values", [])
        assert isinstance(values, list)
        for value in values:
            assert set(value) == spec.VALUE_FIELDS
        assert [(spec.text(v["key"]), v["name"]) for v in values] == [
            (v["key"], v["name"]) for v in expected.get("values", [])
        ]
    (whishetn,) = (a for a in attributes if a["code"] == "WHISHETN")
    assert whishetn["datatype"] == "singlevaluelist"
    assert [spec.text(v["key"]) for v in whishetn["values"]] == ["123", "124"]


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_service_definition_of_a_service_without_questions_is_empty(
    o311: Open311, services: SimpleNamespace, fmt: str
) -> None:
    code = o311.code(services.greening)
    definition = spec.parse(o311.get(f"services/{code}", fmt), fmt, "service_definition")
    assert spec.text(definition["service_code"]) == code
    assert definition["attributes"] == []


@pytest.mark.parametrize("fmt", spec.FORMATS)
@pytest.mark.parametrize("code", ["NOPE", "999999", "0"])
def test_unknown_service_code_is_404_in_the_requested_format(o311: Open311, fmt: str, code: str) -> None:
    spec.check_errors(o311.get(f"services/{code}", fmt), fmt, 404)


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_internal_category_has_no_service_definition(o311: Open311, services: SimpleNamespace, fmt: str) -> None:
    for candidate in (str(services.wages.pk), services.wages.path, services.wages.name):
        response = o311.get(f"services/{candidate}", fmt)
        assert response.status_code == 404, candidate


@pytest.mark.parametrize("resource", ["discovery", "services", "requests"])
@pytest.mark.parametrize("fmt", ["html", "csv", "yaml", "XML1"])
def test_unknown_format_is_404(o311: Open311, resource: str, fmt: str) -> None:
    assert o311.get(resource, fmt).status_code == 404


@pytest.mark.parametrize("fmt", spec.FORMATS)
def test_empty_jurisdiction_is_treated_as_absent(o311: Open311, fmt: str) -> None:
    """'Optional' arguments: an empty parameter is the same as none."""
    assert o311.get("services", fmt, jurisdiction_id="").content == o311.get("services", fmt).content
