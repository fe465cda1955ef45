"""The 201 answer of `POST /api/v1/applications/` is built from what submitting wrote, not read back: the same body
a later GET gives, in fewer statements."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from govdesk.applications.tests.factories import submission

pytestmark = pytest.mark.django_db
Client = Callable[[Any], APIClient]
URL = "/api/v1/applications/"
# Measured with CaptureQueriesContext on SQLite, authentication forced: 20 statements before the answer was built
# from what submitting wrote (5 of them reading the new application back after the commit), 15 since. Listeners of
# case events (statistics) add statements inside the transaction; the answer adds none after it.


@pytest.mark.parametrize(
    ("who", "payload"),
    [
        ("clerk", submission(materials=["M01", "M03"])),
        # A citizen's timeline is the public one; their own name is not masked for them.
        (
            "applicant",
            submission(
                channel="online", materials=["M02"], form={"project_name": "河东", "area": 12.5, "promise": True}
            ),
        ),
    ],
)
def test_the_201_answer_equals_a_later_get_field_by_field(
    hall: SimpleNamespace, api_client_for: Client, who: str, payload: dict[str, Any]
) -> None:
    client = api_client_for(getattr(hall, who))
    created = client.post(URL, payload, format="json")
    assert created.status_code == 201, created.json()
    answer = created.json()
    later = client.get(f"{URL}{answer['number']}/")
    assert later.status_code == 200
    stored = later.json()
    assert set(answer) == set(stored)
    for key in stored:
        assert answer[key] == stored[key], key
    # The fields the shortcut builds itself, checked for content, not only for agreeing with the GET.
    received = {m["code"] for m in answer["materials"] if m["received"]}
    assert received == set(payload["materials"])
    assert [m["code"] for m in answer["materials"]] == ["M01", "M02", "M03", "M04"]
    assert answer["missing_materials"] == sorted({"M01", "M02", "M03"} - received)
    assert [e["action"] for e in answer["timeline"]] == ["submit"]
    assert answer["suspensions"] == [] and answer["notices"] == []
    assert answer["form"] == stored["form"] and answer["form"]["project_name"] == payload["form"]["project_name"]


def test_submitting_answers_without_reading_the_application_back(hall: SimpleNamespace, api_client_for: Client) -> None:
    client = api_client_for(hall.clerk)
    assert client.post(URL, submission(), format="json").status_code == 201  # warm the per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.post(URL, submission(materials=["M01"]), format="json")
    assert response.status_code == 201
    statements = [q["sql"] for q in captured.captured_queries]
    # The submit's transaction ends with its savepoint's release (COMMIT outside a test); nothing may follow it.
    ends = [i for i, sql in enumerate(statements) if sql.startswith(("RELEASE SAVEPOINT", "COMMIT"))]
    assert ends, statements
    assert statements[ends[-1] + 1 :] == []
