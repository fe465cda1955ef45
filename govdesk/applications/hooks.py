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
    `material_file(request, number, code)` answer the request."""

    key: str
    owns: Callable[[str], bool]
    create: Callable[[Request], Response]
    detail: Callable[[Request, str], Response]
    action: Callable[[Request, str, str], Response]
    notice: Callable[[Request, str, int], Any]
    material_file: Callable[[Request, str, str], Response]


_CASE_APIS: dict[str, CaseApi] = {}


def case_api_provide(api: CaseApi) -> None:
    """Answer `api.key` submissions and `api.owns` numbers with `api` (once per key: ready() may run again)."""
    _CASE_APIS[api.key] = api


def case_api_for_body(data: Any) -> CaseApi | None:
    """The case type a submission is for, by the key its body carries, or None (an application)."""
    if not isinstance(data, dict):
        return None
    return next((api for key, api in _CASE_APIS.items() if key in data), None)


def case_api_for_number(number: str) -> CaseApi | None:
    """The case type a number belongs to, or None (an application's number, or none at all)."""
    return next((api for api in _CASE_APIS.values() if api.owns(number)), None)
