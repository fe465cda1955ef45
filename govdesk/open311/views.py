"""The GeoReport v2 endpoints. Each view reads the parameters, calls one selector or service and renders the document
in the format the URL's suffix asks for. Every failure is the spec's error list with 400, 403 or 404 (400 also for a
method an endpoint does not have, with an Allow header; 429 over a rate limit); bad input never causes a 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited

from govdesk.common import clock
from govdesk.common.errors import ApplicationError
from govdesk.common.idempotency import idempotent
from govdesk.common.parsers import JSONTooDeepError, json_loads_bounded
from govdesk.common.validators import has_control_characters, validate_supported_date

from . import mappers, selectors, services
from .errors import Open311Error, missing, not_found, open311_error_from
from .formats import FORMATS, Items, render, render_errors
from .models import ApiKey
from .openapi import openapi_document
from .parsing import attributes_from_json, attributes_from_pairs, parse_w3_datetime

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = timedelta(days=90)
View = Callable[..., HttpResponse]


def _setting(name: str, default: Any) -> Any:
    return settings.GOVDESK.get(name, default)


# --- parameters ---------------------------------------------------------------------------------------------------


def _flat(query: QueryDict) -> dict[str, str]:
    """Last value of each parameter, stripped: an empty parameter is an absent one."""
    return {key: (query.get(key) or "").strip() for key in query}


def _check_text(pairs: list[tuple[str, str]]) -> None:
    for key, value in pairs:
        if has_control_characters(key, allow_newlines=False) or has_control_characters(value, allow_newlines=True):
            name = key if not has_control_characters(key, allow_newlines=False) else "parameter"
            raise Open311Error(
                400,
                _("%(name)s: This text contains invisible control characters; please remove them.") % {"name": name},
            )


def _query_params(request: HttpRequest) -> dict[str, str]:
    _check_text([(k, v) for k in request.GET for v in request.GET.getlist(k)])
    return _flat(request.GET)


def _body_params(request: HttpRequest) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A POST's parameters (form-encoded as the spec says, multipart, or a JSON object) and its attribute answers."""
    content_type = (request.content_type or "").lower()
    try:
        if content_type == "application/json":
            try:
                body = json_loads_bounded(request.body.decode("utf-8") or "{}")
            except JSONTooDeepError as exc:
                raise Open311Error(400, str(exc)) from None
            except (UnicodeDecodeError, ValueError):
                raise Open311Error(400, _("The body is not valid JSON.")) from None
            if not isinstance(body, dict):
                raise Open311Error(400, _("The JSON body must be an object."))
            answers = attributes_from_json(body.get("attribute"))
            answers.update(attributes_from_pairs(body.items()))
            pairs: list[tuple[str, str]] = []
            for key, value in body.items():
                if key == "attribute" or key.startswith("attribute["):
                    continue
                if isinstance(value, dict | list):
                    raise Open311Error(400, _("%(name)s: Must be a single value.") % {"name": key})
                text = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
                pairs.append((str(key), text))
            _check_text(pairs + [(f"attribute[{c}]", v) for c, vs in answers.items() for v in vs])
            return {k: v.strip() for k, v in pairs}, answers
        form = request.POST
    except (MultiPartParserError, RequestDataTooBig, SuspiciousOperation, UnicodeDecodeError):
        raise Open311Error(400, _("The request body could not be read.")) from None
    all_pairs = [(k, v) for k in form for v in form.getlist(k)]
    _check_text(all_pairs)
    answers = attributes_from_pairs(all_pairs)
    return {k: v for k, v in _flat(form).items() if not k.startswith("attribute[")}, answers


def _check_jurisdiction(params: dict[str, str]) -> None:
    """Required only when the deployment serves several jurisdictions; an unknown one is 404."""
    configured = list(_setting("OPEN311_JURISDICTIONS", []) or [])
    value = params.get("jurisdiction_id", "")
    if len(configured) > 1 and not value:
        raise missing("jurisdiction_id")
    if value and configured and value not in configured:
        raise not_found(f"jurisdiction_id {value}")


def _limited(request: HttpRequest, group: str, rate: str, key: Any) -> bool:
    return bool(is_ratelimited(request, group=group, key=key, rate=rate, method=ALL, increment=True))


def _rate_check_ip(request: HttpRequest) -> None:
    # Not the library's "ip" key: it fails on a request without REMOTE_ADDR (a WSGI call from a test harness).
    address = request.META.get("REMOTE_ADDR") or "unknown"
    if _limited(request, "open311:ip", str(_setting("OPEN311_IP_RATE", "3000/h")), lambda group, req: address):
        raise Open311Error(429, _("Too many requests from this address; please slow down."))


# --- the endpoint wrapper -----------------------------------------------------------------------------------------


def endpoint(*methods: str, jurisdiction: bool = True) -> Callable[[View], View]:
    """Format suffix, method, control characters, jurisdiction and the per-address rate, then the view; errors as
    the spec's list in the requested format (JSON when the format itself is unknown)."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in FORMATS:
                message = _("Unknown format “%(fmt)s”: use .xml or .json.") % {"fmt": fmt[:20]}
                return render_errors("json", [(404, message)], status=404)
            method = "GET" if request.method == "HEAD" else request.method
            if method not in methods:
                response = render_errors(fmt, [(400, _("Method not allowed."))], status=400)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                # A NUL in a path id would reach the database (PostgreSQL refuses it); no id contains one.
                if any(has_control_characters(str(v), allow_newlines=False) for v in kwargs.values()):
                    raise Open311Error(404, _("No such Open311 resource."))
                params = _query_params(request)
                _rate_check_ip(request)
                if jurisdiction and method == "GET":
                    _check_jurisdiction(params)
                return view(request, fmt, params, **kwargs)
            except Open311Error as exc:
                return render_errors(fmt, exc.errors, status=exc.status)
            except ApplicationError as exc:
                error = open311_error_from(exc)
                return render_errors(fmt, error.errors, status=error.status)

        return wrapped

    return decorate


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"})).rsplit("/", 1)[0] + "/"


# --- endpoints ----------------------------------------------------------------------------------------------------


@endpoint("GET", jurisdiction=False)
def discovery(request: HttpRequest, fmt: str, params: dict[str, str]) -> HttpResponse:
    changeset = str(_setting("OPEN311_CHANGESET", "2026-11-01T00:00:00+08:00"))
    doc = {
        "changeset": changeset,
        "contact": str(_setting("OPEN311_CONTACT", "") or _("The 12345 hotline centre.")),
        "key_service": str(
            _setting("OPEN311_KEY_SERVICE", "") or _("Ask the 12345 centre's system administrator for an API key.")
        ),
        "endpoints": Items(
            "endpoint",
            [
                {
                    "specification": SPECIFICATION,
                    "url": _base_url(request),
                    "changeset": changeset,
                    "type": str(_setting("OPEN311_ENDPOINT_TYPE", "production")),
                    "formats": Items("format", ["text/xml", "application/json"]),
                }
            ],
        ),
    }
    return render(fmt, "discovery", doc)


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str, params: dict[str, str]) -> HttpResponse:
    items = [mappers.service_to_dict(c, batch=selectors.service_is_batch(c)) for c in selectors.service_list()]
    return render(fmt, "services", Items("service", items))


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, params: dict[str, str], service_code: str) -> HttpResponse:
    category = selectors.service_get(service_code)
    if category is None:
        raise not_found(f"service_code {service_code[:50]}")
    doc = mappers.service_definition(category, selectors.service_attributes(category))
    return render(fmt, "service_definition", doc)


def _positive_int(params: dict[str, str], name: str, *, default: int, maximum: int) -> int:
    raw = params.get(name, "")
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or int(raw) > maximum:
        raise Open311Error(
            400, _("%(name)s: Must be a whole number from 1 to %(max)d.") % {"name": name, "max": maximum}
        )
    return int(raw)


def _boolean(params: dict[str, str], name: str) -> bool:
    raw = params.get(name, "").lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise Open311Error(400, _("%(name)s: Must be true or false.") % {"name": name})


def request_query(params: dict[str, str]) -> selectors.RequestQuery:
    """GET requests' parameters, checked: the spec's defaults (the last 90 days, at most 1,000) and the paging
    extension (`page`, `page_size` up to 1,000)."""
    extensions = _boolean(params, "extensions")
    page_size = _positive_int(params, "page_size", default=selectors.MAX_RESULTS, maximum=selectors.MAX_RESULTS)
    page = _positive_int(params, "page", default=1, maximum=1_000_000)
    paging = {"offset": (page - 1) * page_size, "limit": page_size, "extensions": extensions}
    ids = [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        if len(ids) > selectors.MAX_RESULTS:
            raise Open311Error(400, _("service_request_id: At most 1000 numbers at once."))
        return selectors.RequestQuery(ids=tuple(ids), **paging)  # type: ignore[arg-type]
    codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
    # A code that cannot exist matches nothing, like any other unknown code.
    service_codes = tuple(int(c) if c.isascii() and c.isdigit() and len(c) < 18 else -1 for c in codes)
    statuses = {s.strip().lower() for s in params.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status: Use open, closed or both (comma-separated)."))
    dates = {}
    for name in ("start_date", "end_date"):
        raw = params.get(name, "")
        dates[name] = parse_w3_datetime(raw) if raw else None
        if raw and dates[name] is None:
            raise Open311Error(
                400, _("%(name)s: Use the W3C format with a time zone, e.g. 2010-01-01T00:00:00Z.") % {"name": name}
            )
        try:
            # Far-off years overflow when converted to UTC (a 500); no 311 request is that old or that far ahead.
            validate_supported_date(dates[name])
        except DjangoValidationError as exc:
            raise Open311Error(400, f"{name}: {exc.messages[0]}") from None
    start, end = dates["start_date"], dates["end_date"]
    if start is None and end is None:
        end = clock.now()
        start = end - MAX_SPAN
    elif start is None:
        assert end is not None
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if start > end:
        raise Open311Error(400, _("start_date: Must not be after end_date."))
    if end - start > MAX_SPAN:
        raise Open311Error(400, _("end_date: The period may not span more than 90 days."))
    return selectors.RequestQuery(
        service_codes=service_codes,
        start=start,
        end=end,
        statuses=frozenset(statuses),
        **paging,  # type: ignore[arg-type]
    )


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str, params: dict[str, str]) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt, params)
    query = request_query(params)
    orders = selectors.request_list(query)
    items = [mappers.request_to_dict(o, extensions=query.extensions) for o in orders]
    return render(fmt, "service_requests", Items("request", items))


def _request_create(request: HttpRequest, fmt: str, query: dict[str, str]) -> HttpResponse:
    data, answers = _body_params(request)
    for name in ("api_key", "jurisdiction_id"):
        if not data.get(name) and query.get(name):
            data[name] = query[name]
    if not data.get("api_key"):
        raise Open311Error(403, _("api_key was not provided -- can't proceed with create_request."))
    api_key = selectors.api_key_authenticate(data["api_key"])
    if api_key is None:
        raise Open311Error(403, _("Invalid api_key received -- can't proceed with create_request."))
    _check_jurisdiction(data)
    key_rate = str(_setting("OPEN311_KEY_RATE", "600/h"))
    if _limited(request, "open311:key", key_rate, lambda group, req: f"key:{api_key.pk}"):
        raise Open311Error(429, _("This API key has sent too many requests; please slow down."))
    # Idempotency-Key: keys belong to the API key (resolved above), errors in the spec's list format.
    submit = idempotent(
        scope=lambda request: f"open311:{api_key.pk}",
        error=lambda status, code, message: render_errors(fmt, [(status, message)], status=status),
    )(_request_submit)
    return submit(request, fmt, api_key, data, answers)


def _request_submit(
    request: HttpRequest, fmt: str, api_key: ApiKey, data: dict[str, str], answers: dict[str, list[str]]
) -> HttpResponse:
    try:
        result = services.open311_request_submit(
            api_key=api_key, data=data, answers=answers, ip_address=_client_ip(request)
        )
    except ApplicationError as exc:
        raise open311_error_from(exc) from exc
    item: dict[str, Any]
    if result.token is not None:
        item = {"token": result.token, "service_notice": result.service_notice}
    else:
        item = {"service_request_id": result.service_request_id, "service_notice": result.service_notice}
    item["account_id"] = result.account_id
    return render(fmt, "service_requests", Items("request", [item]))


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, params: dict[str, str], service_request_id: str) -> HttpResponse:
    extensions = _boolean(params, "extensions")
    order = selectors.request_get(service_request_id, extensions=extensions)
    if order is None:
        raise not_found(f"service_request_id {service_request_id[:50]}")
    return render(fmt, "service_requests", Items("request", [mappers.request_to_dict(order, extensions=extensions)]))


@endpoint("GET")
def token(request: HttpRequest, fmt: str, params: dict[str, str], token: str) -> HttpResponse:
    submission = selectors.submission_by_token(token)
    if submission is None:
        raise not_found(f"token {token[:64]}")
    number = submission.order.number if submission.order is not None else None
    return render(fmt, "service_requests", Items("request", [{"service_request_id": number, "token": token}]))


def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3 description of these endpoints (for generated-input tests and client generators)."""
    return JsonResponse(openapi_document(), json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything else under /open311/: the spec's error list, in JSON."""
    return render_errors("json", [(404, _("No such Open311 resource."))], status=404)
