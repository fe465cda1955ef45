"""Every date and date-time query parameter the schema declares, at the ends of the calendar: a 4xx, never a 500
(the review's finding: `created_from=0001-01-01` on the order list and the statistics overview). Read from the schema,
so a parameter added later is covered without touching this test."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

EXTREMES = {
    "date": ["0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30"],
    "date-time": ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00"],
}


def _date_parameters() -> list[tuple[str, str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                kind = parameter.get("schema", {}).get("format")
                if parameter["in"] == "query" and kind in EXTREMES and "{" not in path:
                    found.append((method, path, f"{parameter['name']}:{kind}"))
    return found


def test_the_schema_declares_the_known_date_parameters() -> None:
    names = {(path, name) for _m, path, name in _date_parameters()}
    assert ("/api/v1/workorders/", "created_from:date") in names
    assert ("/api/v1/stats/overview/", "date_to:date") in names


@pytest.mark.parametrize(("method", "path", "parameter"), _date_parameters())
def test_extreme_dates_are_never_a_server_error(
    api_client_for: Any, people: SimpleNamespace, categories: Any, method: str, path: str, parameter: str
) -> None:
    name, kind = parameter.split(":")
    client = api_client_for(people.supervisor)
    for value in EXTREMES[kind]:
        response = getattr(client, method)(path, {name: value})
        assert response.status_code < 500, (path, name, value, response.status_code)
        if response.status_code == 400:
            assert response.json().get("message") or response.json().get("fields"), response.content
