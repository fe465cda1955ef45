"""An Open311 answer other than 200: the HTTP status and the spec's list of `{code, description}`."""

from __future__ import annotations

from django.utils.translation import gettext as _

from govdesk.common.errors import ApplicationError


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else str(status))
        self.status = status
        self.errors: list[tuple[int, str]] = [(status, str(d)) for d in descriptions]


def open311_error_from(exc: ApplicationError) -> Open311Error:
    """A service's error as Open311 errors: one entry per field problem, named by the Open311 parameter."""
    status = exc.status_code if exc.status_code in (400, 403, 404) else 400
    if not exc.fields:
        return Open311Error(status, str(exc.message))
    descriptions = [f"{name}: {message}" for name, messages in exc.fields.items() for message in messages]
    return Open311Error(status, *descriptions)


def not_found(what: str) -> Open311Error:
    return Open311Error(404, _("%(what)s was not found.") % {"what": what})


def missing(name: str) -> Open311Error:
    return Open311Error(400, _("%(name)s was not provided.") % {"name": name})
