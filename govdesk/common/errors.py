"""Errors that services raise; the API and the web layer turn them into 400 / 403 / 404 / 409 answers."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A request that cannot be carried out, with a message a person understands."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = {k: [str(m) for m in v] for k, v in self.fields.items()}
        return body


class ValidationFailed(ApplicationError):
    status_code = 400
    code = "invalid"


class PermissionDenied(ApplicationError):
    """The actor's role or relation to the object does not allow this. Never used for 'not possible now'."""

    status_code = 403
    code = "permission_denied"


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"


class InvalidTransition(ApplicationError):
    """The action is not allowed in the object's current state (HTTP 409)."""

    status_code = 409
    code = "invalid_transition"
