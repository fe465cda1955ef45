"""Idempotent creation: a client that sends `Idempotency-Key: <its own unique string>` with a creating POST may send
the same request again (after a timeout, a dropped connection, a 502) and gets the first answer again instead of a
second work order, application, rating or project.

`@idempotent()` wraps the POST handler of such an endpoint (a DRF APIView's `post(self, request)` or a plain view
`view(request, ...)`). Without the header nothing changes. With it, the lookup of the key, the view's own writes and the
row that stores its answer run in one transaction, so either the object and its stored answer both exist or neither
does: a retry after a crash at any point creates at most one object. Two concurrent requests with the same key meet
at the unique (scope, key) constraint: on PostgreSQL the second INSERT waits for the first transaction, fails when it
commits, and the loser rolls its whole transaction back (its object vanishes) and answers from the winner's row; on
SQLite the IMMEDIATE transaction makes the second wait at its start, and its lookup then finds the winner's row.

See docs/architecture.md ("Idempotent creation") for the client's side of the contract.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from . import clock
from .models import IdempotencyKey
from .parsers import json_loads_bounded

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
SCOPE_MAX_LENGTH = 80
DEFAULT_TTL_HOURS = 24
# Visible ASCII only: a key is compared byte for byte, and a space or a control character in it is a client's bug.
_VALID_KEY = re.compile(rf"[\x21-\x7e]{{1,{KEY_MAX_LENGTH}}}")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

Scope = Callable[[Any], str]
ErrorResponse = Callable[[int, str, str], HttpResponseBase]
Handler = TypeVar("Handler", bound=Callable[..., Any])

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    type=str,
    required=False,
    pattern=rf"^[!-~]{{1,{KEY_MAX_LENGTH}}}$",
    description="A unique string (1-255 visible ASCII characters, e.g. a UUID) chosen by the client for this "
    "creation. A retry with the same key and the same body gets the first answer again (status, body, header "
    "`Idempotent-Replayed: true`) and creates nothing; the same key with another body is a 409 "
    "(`idempotency_key_reused`); a malformed key is a 400 (`idempotency_key_invalid`). Keys are kept "
    "IDEMPOTENCY_KEY_TTL_HOURS (24) hours, per user (or Open311 API key).",
)


def default_scope(request: Any) -> str:
    """`user:<pk>` for a signed-in caller, else `anon:<client address>`: one client's keys never replay another's."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    address = getattr(request, "client_ip", None) or request.META.get("REMOTE_ADDR") or "unknown"
    return f"anon:{address}"


# --- the request's fingerprint ------------------------------------------------------------------------------------


def _feed(digest: Any, kind: str, data: bytes) -> None:
    # Length-prefixed, so no two different sequences of parts hash the same bytes.
    digest.update(f"{kind}:{len(data)}:".encode("ascii"))
    digest.update(data)


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=JSONEncoder).encode()


def _file_digest(upload: Any) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)  # the view reads the file again
    return digest.hexdigest()


def _canonical_form(request: Any) -> bytes:
    """Fields and files sorted by name (a retry's multipart boundary and order of fields may differ); the values of
    one name keep their order, which can mean something (the attachments' order)."""
    fields = sorted([name, [str(v) for v in values]] for name, values in request.POST.lists())
    files = [
        [name, str(upload.name), int(upload.size or 0), _file_digest(upload)]
        for name, uploads in sorted(request.FILES.lists(), key=lambda item: item[0])
        for upload in uploads
    ]
    return _canonical_json({"fields": fields, "files": files})


def _raw_body(request: Any) -> bytes:
    django_request = request._request if isinstance(request, Request) else request
    try:
        return bytes(django_request.body)
    except RawPostDataException:
        # Something read the stream already (a DRF view that parsed it): the parsed data is all there is.
        return _canonical_json(request.data) if isinstance(request, Request) else b""


def _canonical_body(request: Any) -> tuple[str, bytes]:
    content_type = (request.content_type or "").split(";", 1)[0].strip().lower()
    if content_type in _FORM_TYPES:
        return "form", _canonical_form(request)
    raw = _raw_body(request)
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            return "json", _canonical_json(json_loads_bounded(raw))
        except (ValueError, UnicodeDecodeError):
            pass  # not JSON after all: compared as sent (the view answers it with a 400 anyway)
    return "raw", raw


def request_fingerprint(request: Any) -> str:
    """sha256 (hex) over method, path, query string and the canonical body (JSON re-serialised with sorted keys;
    form and multipart fields sorted, files by field, name, size and content hash; anything else as sent)."""
    digest = hashlib.sha256()
    _feed(digest, "method", str(request.method).encode())
    _feed(digest, "path", str(request.path).encode())
    _feed(digest, "query", str(request.META.get("QUERY_STRING", "")).encode("latin-1", "replace"))
    kind, body = _canonical_body(request)
    _feed(digest, kind, body)
    return digest.hexdigest()


# --- answers ------------------------------------------------------------------------------------------------------


def _error(request: Any, error: ErrorResponse | None, status: int, code: str, message: str) -> HttpResponseBase:
    if error is not None:
        return error(status, code, message)
    if isinstance(request, Request):
        return Response({"code": code, "message": message}, status=status)
    return JsonResponse({"code": code, "message": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _stored_answer(response: HttpResponseBase) -> tuple[str, str] | None:
    """(body, content type) to keep for replay; None for a streamed answer, which cannot be kept."""
    if isinstance(response, Response):
        return json.dumps(response.data, cls=JSONEncoder, ensure_ascii=False), "application/json"
    if isinstance(response, HttpResponse):
        charset = response.charset or "utf-8"
        return response.content.decode(charset, errors="replace"), str(response.get("Content-Type", ""))
    return None


def _replay(request: Any, row: IdempotencyKey) -> HttpResponseBase:
    response: HttpResponseBase
    if isinstance(request, Request) and row.content_type == "application/json":
        # Rendered again by the view's own renderer, exactly as the first answer was.
        response = Response(json.loads(row.body or "null"), status=row.status_code)
    else:
        response = HttpResponse(row.body, content_type=row.content_type or None, status=row.status_code)
    if row.location:
        response["Location"] = row.location
    response[REPLAYED_HEADER] = "true"
    return response


def _answer_from(request: Any, row: IdempotencyKey, fingerprint: str, error: ErrorResponse | None) -> HttpResponseBase:
    if row.fingerprint != fingerprint:
        message = _(
            "This Idempotency-Key was already used for a request with different content; "
            "use a new key for a new request."
        )
        return _error(request, error, 409, "idempotency_key_reused", message)
    return _replay(request, row)


# --- the decorator ------------------------------------------------------------------------------------------------


def _request_of(args: tuple[Any, ...]) -> Any:
    """The request among a handler's arguments: `(request, ...)` or a method's `(self, request, ...)`."""
    for arg in args[:2]:
        if isinstance(arg, HttpRequest | Request):
            return arg
    raise TypeError("@idempotent wraps a view handler: its first or second argument must be the request")


def idempotent(*, scope: Scope | None = None, error: ErrorResponse | None = None) -> Callable[[Handler], Handler]:
    """Make a creating POST handler safe to retry under an `Idempotency-Key` header (see the module's docstring).

    `scope(request) -> str` names whose keys these are (default `default_scope`); `error(status, code, message)`
    builds the 400/409 answers in the endpoint's own error format (default: the API's `{"code", "message"}`)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            request = _request_of(args)
            key = request.META.get("HTTP_IDEMPOTENCY_KEY")
            if key is None:
                return handler(*args, **kwargs)
            if not _VALID_KEY.fullmatch(key):
                message = _(
                    "The Idempotency-Key header must be 1 to 255 visible ASCII characters "
                    "(letters, digits and punctuation; no spaces)."
                )
                return _error(request, error, 400, "idempotency_key_invalid", message)
            owner = (scope or default_scope)(request)[:SCOPE_MAX_LENGTH]
            fingerprint = request_fingerprint(request)
            inserting = False
            try:
                with transaction.atomic():
                    existing = IdempotencyKey.objects.filter(scope=owner, key=key).first()
                    if existing is not None:
                        return _answer_from(request, existing, fingerprint, error)
                    response = handler(*args, **kwargs)
                    # A refusal created nothing: not kept, so a corrected retry may use the same key.
                    if not 200 <= response.status_code < 300:
                        return response
                    answer = _stored_answer(response)
                    if answer is None:
                        return response
                    inserting = True
                    IdempotencyKey.objects.create(
                        scope=owner,
                        key=key,
                        fingerprint=fingerprint,
                        status_code=response.status_code,
                        content_type=answer[1][:100],
                        body=answer[0],
                        location=str(response.get("Location", ""))[:500],
                        created_at=clock.now(),
                    )
                    return response
            except IntegrityError:
                if not inserting:
                    raise
                # A concurrent request with the same key committed first; this one's writes were rolled back above.
                winner = IdempotencyKey.objects.filter(scope=owner, key=key).first()
                if winner is None:
                    raise
                return _answer_from(request, winner, fingerprint, error)

        return cast(Handler, wrapped)

    return decorate


# --- purge --------------------------------------------------------------------------------------------------------


def idempotency_key_ttl() -> timedelta:
    hours: Any = settings.GOVDESK.get("IDEMPOTENCY_KEY_TTL_HOURS", DEFAULT_TTL_HOURS)
    return timedelta(hours=int(hours))


def idempotency_keys_purge(now: datetime | None = None) -> int:
    """Delete the keys older than GOVDESK["IDEMPOTENCY_KEY_TTL_HOURS"] (periodic task `common.idempotency_purge`);
    returns how many. A retry later than that creates a new object: clients retry within minutes, not days."""
    cutoff = (now or clock.now()) - idempotency_key_ttl()
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
