"""Where the case types built on applications plug into the application API, so that applications never imports
them (docs/architecture.md, "Layers").

A package application (一件事) is applied for and acted on at the applications' addresses: `POST
/api/v1/applications/` with `"package"` instead of `"matter"`, and `/api/v1/applications/{number}/…` for a package's
number. The owning app registers a `CaseApi` from its `AppConfig.ready()`, which Django runs before any request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response


@dataclass(frozen=True)
class CaseApi:
    """The API of a case type answered at the applications' addresses.

    `key`: the body key of `POST /applications/` that selects it ("package"); `owns(number)`: whether a number is
    one of its cases (cheap: no query); `create(request)`, `detail(request, number)`, `action(request, number, name)`
    (name: an action or any further path, e.g. "parts/<matter>/urge"), `notice(request, number, pk)` and
    `material_file(request, number, code)` answer the request. `create_input` and `created_output` (serializer
    classes, for the OpenAPI schema only) document its variant of the submission's body and of the 201 answer."""

    key: str
    owns: Callable[[str], bool]
    create: Callable[[Request], Response]
    detail: Callable[[Request, str], Response]
    action: Callable[[Request, str, str], Response]
    notice: Callable[[Request, str, int], Any]
    material_file: Callable[[Request, str, str], Response]
    create_input: Any = None
    created_output: Any = None


_CASE_APIS: dict[str, CaseApi] = {}


def case_api_provide(api: CaseApi) -> None:
    """Answer `api.key` submissions and `api.owns` numbers with `api` (once per key: ready() may run again)."""
    _CASE_APIS[api.key] = api


def case_api_for_body(data: Any) -> CaseApi | None:
    """The case type a submission is for, by the key its body carries, or None (an application)."""
    if not isinstance(data, dict):
        return None
    return next((api for key, api in _CASE_APIS.items() if key in data), None)


def case_api_create_schemas() -> tuple[list[Any], list[Any]]:
    """The request and 201-answer serializers the registered case types document for `POST /applications/`."""
    apis = sorted(_CASE_APIS.values(), key=lambda api: api.key)
    return (
        [api.create_input for api in apis if api.create_input is not None],
        [api.created_output for api in apis if api.created_output is not None],
    )


def case_api_for_number(number: str) -> CaseApi | None:
    """The case type a number belongs to, or None (an application's number, or none at all)."""
    return next((api for api in _CASE_APIS.values() if api.owns(number)), None)


# Locks a case type built on applications takes before an application's own row (a package's row before its part's):
# every path touching a part then locks package → part, the order the package's own services use, so a clerk acting
# on one part and the package's delivery never wait on each other in opposite orders (a deadlock on PostgreSQL).
_LOCK_FIRST: list[Callable[[str], None]] = []


def application_lock_first_provide(lock: Callable[[str], None]) -> None:
    """Call `lock(application number)` in every application service's transaction before the application is locked."""
    if lock not in _LOCK_FIRST:
        _LOCK_FIRST.append(lock)


def application_lock_first(number: str) -> None:
    for lock in _LOCK_FIRST:
        lock(number)
