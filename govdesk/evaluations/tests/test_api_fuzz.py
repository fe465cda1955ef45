"""Every 好差评 operation of the served OpenAPI schema, with generated input aimed at a real rectification in each
status: never a server error. (tests/api/test_schemathesis.py fuzzes every operation too, but its fixture holds no
rating, so there the rectification paths only ever answer 404.)"""

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

from govdesk.evaluations import services
from govdesk.security.services import api_token_issue

from .helpers import bad_rating

pytestmark = pytest.mark.django_db

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 12345,
        "generation": {"max-examples": 6, "database": "none"},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
OURS = ("/api/v1/evaluations/", "/api/v1/rectifications/")


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
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
def numbers(people: SimpleNamespace, district: SimpleNamespace, categories: SimpleNamespace) -> list[str]:
    """Rectifications being verified, rectified and answered."""
    _o1, _e1, verifying = bad_rating(people, district, categories)
    _o2, _e2, rectifying = bad_rating(people, district, categories)
    services.rectification_verify(number=rectifying.number, actor=people.supervisor, justified=True)
    _o3, _e3, answered = bad_rating(people, district, categories)
    services.rectification_verify(number=answered.number, actor=people.supervisor, justified=True)
    services.rectification_answer(number=answered.number, actor=people.handler_a, answer="已整改。")
    return [verifying.number, rectifying.number, answered.number]


@pytest.mark.parametrize(
    ("who", "mode"),
    [
        ("supervisor", GenerationMode.POSITIVE),
        ("supervisor", GenerationMode.NEGATIVE),
        ("handler_a", GenerationMode.POSITIVE),
        ("citizen", GenerationMode.POSITIVE),
        ("operator", GenerationMode.NEGATIVE),
    ],
)
def test_no_server_error(wsgi_app, numbers, people, who, mode) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, config=CONFIG)
    operations = [r.ok() for r in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [op for op in operations if op.path.startswith(OURS)]
    assert len(operations) == 9, [op.label for op in operations]
    failures: list[str] = []
    statuses: list[int] = []
    for operation in operations:
        headers = {"Authorization": f"Token {api_token_issue(user=getattr(people, who))[1]}"}

        run = _runner(operation, mode, headers, wsgi_app, numbers, statuses)
        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert all(status < 500 for status in statuses)


def _runner(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    wsgi_app: Any,
    numbers: list[str],
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
    @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(min_value=-1, max_value=2))
    def run(case: Any, pick: int) -> None:
        if pick >= 0 and "number" in (case.path_parameters or {}):
            case.path_parameters["number"] = numbers[pick]
        response = case.call(app=wsgi_app, headers=headers)
        statuses.append(response.status_code)
        case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])

    return run
