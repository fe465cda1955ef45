"""Every application operation of the served OpenAPI schema, with generated input aimed at real applications in
several statuses, as the window clerk, the deciding unit, the applicant and a supervisor: never a server error.
(tests/api/test_schemathesis.py fuzzes every operation too, but its fixture holds no application, so there these
paths only ever answer 404.)"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from govdesk.applications.models import ApplicationNotice
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import FakePdf, make_application
from govdesk.security.services import api_token_issue

pytestmark = pytest.mark.django_db

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 12345,
        "generation": {"max-examples": 6, "database": "none"},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
PREFIX = "/api/v1/applications/"


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI handler, minus closing the connection that holds the test's transaction."""
    handler = WSGIHandler()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        return handler(environ, start_response)

    try:
        yield app
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def targets(hall: SimpleNamespace, people: SimpleNamespace, fake_pdf: FakePdf) -> dict[str, list[str]]:
    statuses = (Status.SUBMITTED, Status.CORRECTION, Status.HANDLING, Status.SUSPENDED, Status.APPROVED)
    numbers = [make_application(hall, people, status).number for status in statuses]
    return {
        "number": numbers,
        "pk": [str(pk) for pk in ApplicationNotice.objects.values_list("pk", flat=True)],
        "code": ["M01", "M02", "M04"],
    }


@pytest.mark.parametrize(
    ("who", "mode"),
    [
        ("clerk", GenerationMode.POSITIVE),
        ("clerk", GenerationMode.NEGATIVE),
        ("handler_a", GenerationMode.POSITIVE),
        ("applicant", GenerationMode.POSITIVE),
        ("supervisor", GenerationMode.NEGATIVE),
    ],
)
def test_no_server_error(
    wsgi_app: Any,
    targets: dict[str, list[str]],
    hall: SimpleNamespace,
    people: SimpleNamespace,
    who: str,
    mode: GenerationMode,
) -> None:
    user = getattr(hall, who, None) or getattr(people, who)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, config=CONFIG)
    results: list[Any] = list(schema.get_all_operations())
    operations = [result.ok() for result in results]
    operations = [op for op in operations if op.path.startswith(PREFIX)]
    # list, submit, detail, reveal, notice, material file and the nine actions
    assert len(operations) == 15, [op.label for op in operations]
    failures: list[str] = []
    statuses: list[int] = []
    for operation in operations:
        headers = {"Authorization": f"Token {api_token_issue(user=user)[1]}"}
        try:
            _runner(operation, mode, headers, wsgi_app, targets, statuses)()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:  # every failing operation in one report
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert all(status < 500 for status in statuses)


def _runner(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    wsgi_app: Any,
    targets: dict[str, list[str]],
    statuses: list[int],
) -> Any:
    @settings(
        max_examples=6,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(min_value=-1, max_value=4))
    def run(case: Any, pick: int) -> None:
        params = case.path_parameters or {}
        for name, values in targets.items():
            if pick >= 0 and name in params and values:
                params[name] = values[pick % len(values)]
        response = case.call(app=wsgi_app, headers=headers)
        statuses.append(response.status_code)
        case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])

    return run
