"""Generated input from the server's own OpenAPI description (/open311/v2/openapi.json): never a server error.

Schemathesis drives the Django WSGI application in-process against the test database, which holds public services
(attributes of all six datatypes), orders in several states and a valid API key, injected into every POST so that
generated bodies reach the validation of the request itself. Deterministic: a fixed seed, derandomized Hypothesis,
no example database, a bounded number of examples per operation.
"""

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
from schemathesis import GenerationMode

from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

from .conftest import Open311

pytestmark = pytest.mark.django_db

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 311,
        "generation": {"max-examples": 20, "database": "none"},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI handler, minus closing the database connection around each request: that connection holds the
    test's transaction. (Django's own test client does the same, and reconnects the signal after each of its
    requests; hence the disconnection on every call.)"""
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
def open311_schema(
    o311: Open311, people: SimpleNamespace, district: SimpleNamespace, services: SimpleNamespace, wsgi_app: Any
) -> Any:
    for status in (Status.NEW, Status.HANDLING, Status.CLOSED, Status.MERGED):
        make_order(people, district, services.facilities, status)
    o311.create(services.facilities, description="井盖丢失")
    return schemathesis.openapi.from_wsgi("/open311/v2/openapi.json", wsgi_app, config=CONFIG)


SETTINGS = settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_for_any_generated_input(
    open311_schema: Any, o311: Open311, wsgi_app: Any, mode: GenerationMode
) -> None:
    """Each operation of the description, valid inputs and then invalid ones."""
    operations = [result.ok() for result in open311_schema.get_all_operations()]
    labels = {op.label for op in operations}
    every = {
        f"{method} /open311/v2/{path}.{{format}}"
        for method, path in [
            ("GET", "discovery"),
            ("GET", "services"),
            ("GET", "services/{service_code}"),
            ("GET", "requests"),
            ("POST", "requests"),
            ("GET", "requests/{service_request_id}"),
            ("GET", "tokens/{token}"),
        ]
    }
    assert labels == every, labels
    for operation in operations:

        @SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            if case.method.upper() == "POST" and isinstance(case.body, dict):
                case.body = {**case.body, "api_key": o311.api_key}  # past the key check, into validation
            response = case.call(app=wsgi_app)
            case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])

        run()
