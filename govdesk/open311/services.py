"""Writes for the Open311 server: API keys, and service requests registered as work orders.

A request is checked completely before anything is written (every problem is reported at once, as 400 with the
Open311 parameter's name). A realtime service registers the work order at once through `workorder_register`, the
same service every channel uses; a batch service stores the checked intake and answers with a token, and a
background task registers the order after the commit.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.catalog.models import AttributeDatatype, Category, CategoryAttribute
from govdesk.common import clock
from govdesk.common.errors import ApplicationError, NotFound, ValidationFailed
from govdesk.common.validators import has_control_characters, validate_phone, validate_supported_date
from govdesk.workorders.models import Channel, WorkOrder
from govdesk.workorders.services import workorder_intake_clean, workorder_register

from .errors import Open311Error, missing, not_found, open311_error_from
from .models import ApiKey, Submission
from .parsing import parse_w3_datetime
from .selectors import key_hash, service_attributes, service_get, service_is_batch

KEY_MIN_LENGTH = 8
TEXT_FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)
# The work order's field names as the client knows them.
OPEN311_NAMES = {
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "address_id": "address_id",
    "content": "description",
    "title": "description",
    "citizen_name": "first_name",
    "citizen_phone": "phone",
    "category": "service_code",
}
_LIMITS = {"device_id": 100, "account_id": 100, "first_name": 50, "last_name": 50, "email": 254, "media_url": 500}


# --- API keys -----------------------------------------------------------------------------------------------------


def _key_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100 or has_control_characters(name, allow_newlines=False):
        message = _("A key needs a name of 1 to 100 characters.")
        raise ValidationFailed(message, fields={"name": [message]})
    return name


def _raw_key_check(raw: str) -> None:
    if len(raw) < KEY_MIN_LENGTH or len(raw) > 200 or any(ch.isspace() for ch in raw) or not raw.isprintable():
        message = _("A key has 8 to 200 printable characters and no spaces.")
        raise ValidationFailed(message, fields={"key": [message]})


@transaction.atomic
def api_key_create(
    *, name: str, actor: Any = None, owner_unit: Any = None, owner_user: Any = None, raw_key: str | None = None
) -> tuple[ApiKey, str]:
    """A new key for an Open311 client. Returns the key row and the key itself, which is never stored or shown again."""
    name = _key_name(name)
    if ApiKey.objects.filter(name=name).exists():
        message = _("There is already a key named “%(name)s”.") % {"name": name}
        raise ValidationFailed(message, fields={"name": [message]})
    raw = raw_key if raw_key is not None else secrets.token_urlsafe(30)
    _raw_key_check(raw)
    if ApiKey.objects.filter(key_hash=key_hash(raw)).exists():
        message = _("This key is already registered under another name.")
        raise ValidationFailed(message, fields={"key": [message]})
    key = ApiKey.objects.create(
        name=name,
        prefix=raw[:8],
        key_hash=key_hash(raw),
        owner_unit=owner_unit,
        owner_user=owner_user,
        created_at=clock.now(),
    )
    audit_append(action="open311.key-create", actor=actor, object_type="open311_key", object_id=name, note=key.prefix)
    return key, raw


@transaction.atomic
def api_key_revoke(*, name: str, actor: Any = None) -> ApiKey:
    """Stop accepting a key. The row stays, so submissions keep their sender."""
    key = ApiKey.objects.select_for_update().filter(name=(name or "").strip()).first()
    if key is None:
        raise NotFound(_("No Open311 key named “%(name)s”.") % {"name": name})
    if key.is_active:
        key.is_active = False
        key.revoked_at = clock.now()
        key.save(update_fields=["is_active", "revoked_at"])
        audit_append(
            action="open311.key-revoke", actor=actor, object_type="open311_key", object_id=key.name, note=key.prefix
        )
    return key


@transaction.atomic
def api_key_ensure(*, name: str, raw_key: str, actor: Any = None) -> ApiKey:
    """Make `raw_key` the active key called `name` (the demo's key from the environment); idempotent."""
    name = _key_name(name)
    _raw_key_check(raw_key)
    digest = key_hash(raw_key)
    key = ApiKey.objects.select_for_update().filter(name=name).first()
    if key is None:
        return api_key_create(name=name, actor=actor, raw_key=raw_key)[0]
    if key.key_hash != digest or not key.is_active:
        if ApiKey.objects.filter(key_hash=digest).exclude(pk=key.pk).exists():
            message = _("This key is already registered under another name.")
            raise ValidationFailed(message, fields={"key": [message]})
        key.key_hash, key.prefix, key.is_active, key.revoked_at = digest, raw_key[:8], True, None
        key.save(update_fields=["key_hash", "prefix", "is_active", "revoked_at"])
        audit_append(
            action="open311.key-replace", actor=actor, object_type="open311_key", object_id=name, note=key.prefix
        )
    return key


# --- service requests ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmitResult:
    service_request_id: str | None
    token: str | None
    service_notice: str
    account_id: str | None


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, name: str, message: str) -> None:
        self.items.append(f"{name}: {message}")


def _number(value: str) -> int | float | None:
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _attribute_answer(attribute: CategoryAttribute, values: list[str], problems: _Problems) -> Any:
    name = f"attribute[{attribute.code}]"
    datatype = attribute.datatype
    multiline = datatype == AttributeDatatype.TEXT
    for value in values:
        if has_control_characters(value, allow_newlines=multiline):
            problems.add(name, _("This text contains invisible control characters; please remove them."))
            return None
    if datatype != AttributeDatatype.MULTIVALUELIST and len(values) > 1:
        problems.add(name, _("Give one value."))
        return None
    keys = {str(v.get("key", "")) for v in attribute.values or []}
    if datatype == AttributeDatatype.MULTIVALUELIST:
        unknown = [v for v in values if v not in keys]
        if unknown:
            problems.add(name, _("Not one of the listed values: %(values)s.") % {"values": ", ".join(unknown)})
            return None
        return list(dict.fromkeys(values))
    value = values[0]
    if datatype == AttributeDatatype.SINGLEVALUELIST:
        if value not in keys:
            problems.add(name, _("Not one of the listed values: %(values)s.") % {"values": value})
            return None
        return value
    if datatype == AttributeDatatype.NUMBER:
        number = _number(value)
        if number is None:
            problems.add(name, _("Must be a number."))
        return number
    if datatype == AttributeDatatype.DATETIME:
        moment = parse_w3_datetime(value)
        if moment is None:
            problems.add(name, _("Must be a date and time with a time zone, e.g. 2026-01-01T09:00:00+08:00."))
            return None
        try:
            validate_supported_date(moment)
        except ValidationError as exc:
            problems.add(name, str(exc.messages[0]))
            return None
        return moment.isoformat()
    limit = 4000 if multiline else 200
    if len(value) > limit:
        problems.add(name, _("At most %(n)d characters (now %(len)d).") % {"n": limit, "len": len(value)})
        return None
    return value


def attributes_clean(category: Category, answers: dict[str, list[str]], problems: _Problems) -> dict[str, Any]:
    """Answers to the service's questions, checked against their datatypes. Unknown codes are ignored (clients such
    as FixMyStreet send their own), and so are answers to informational (non-variable) attributes."""
    clean: dict[str, Any] = {}
    for attribute in service_attributes(category):
        if not attribute.variable:
            continue
        # An empty parameter is an absent one (the spec's rule for optional arguments).
        values = [v.strip() for v in answers.get(attribute.code, []) if v.strip()]
        if not values:
            if attribute.required:
                problems.add(f"attribute[{attribute.code}]", _("This question must be answered."))
            continue
        answer = _attribute_answer(attribute, values, problems)
        if answer is not None:
            clean[attribute.code] = answer
    return clean


def _citizen_name(first: str, last: str) -> str:
    if not first or not last:
        return first or last
    # 姓 then 名 with no space for Chinese names; "given family" otherwise.
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}"


def _title(category: Category, description: str) -> str:
    first_line = " ".join(description.split("\n", 1)[0].split())
    if not first_line:
        return category.name
    title = f"{category.name}：{first_line}"
    return title if len(title) <= 60 else title[:59] + "…"


def _intake(*, api_key: ApiKey, data: dict[str, str], answers: dict[str, list[str]]) -> tuple[Category, dict[str, Any]]:
    """The work-order intake for a POST, or Open311Error listing every problem."""
    code = data.get("service_code", "")
    if not code:
        raise missing("service_code")
    category = service_get(code)
    if category is None:
        raise not_found(f"service_code {code}")
    problems = _Problems()
    for name in TEXT_FIELDS:
        value = data.get(name, "")
        if has_control_characters(value, allow_newlines=name == "description"):
            problems.add(name, _("This text contains invisible control characters; please remove them."))
        elif name in _LIMITS and len(value) > _LIMITS[name]:
            problems.add(name, _("At most %(n)d characters (now %(len)d).") % {"n": _LIMITS[name], "len": len(value)})
    if problems.items:
        raise Open311Error(400, *problems.items)
    lat, long = data.get("lat", ""), data.get("long", "")
    if not ((lat and long) or data.get("address_string") or data.get("address_id")):
        problems.add("lat", _("Give a location: lat and long, or address_string, or address_id."))
    elif bool(lat) != bool(long):
        problems.add("lat" if not lat else "long", _("Give both lat and long, or neither."))
    email = data.get("email", "")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            problems.add("email", _("Enter a valid e-mail address."))
    media_url = data.get("media_url", "")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            problems.add("media_url", _("Enter a valid http or https URL."))
    attributes = attributes_clean(category, answers, problems)
    description = data.get("description", "")
    intake = {
        "channel": Channel.OPEN311,
        "request_type": settings.GOVDESK.get("OPEN311_REQUEST_TYPE", "help"),
        "category": category,
        "title": _title(category, description),
        "content": description or category.name,
        "address": data.get("address_string", ""),
        "address_id": data.get("address_id", ""),
        "latitude": lat or None,
        "longitude": long or None,
        "citizen_name": _citizen_name(data.get("first_name", "").strip(), data.get("last_name", "").strip()),
        "citizen_phone": _mainland_phone(data.get("phone", "")),
        "attributes": attributes,
        "source": api_key.name,
    }
    try:
        workorder_intake_clean(intake)
    except ValidationFailed as exc:
        for field, messages in exc.fields.items():
            if field == "content" and not description:
                continue
            for message in messages:
                problems.add(OPEN311_NAMES.get(field, field), message)
    if problems.items:
        raise Open311Error(400, *dict.fromkeys(problems.items))
    return category, intake


OTHER_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ().-]{2,28}$")


def _mainland_phone(value: str) -> str:
    """The number for the order when it is a mainland one; other plausible numbers stay with the submission."""
    try:
        validate_phone(value)
    except ValidationError:
        digits = sum(c.isdigit() for c in value or "")
        # E.164 numbers have at most 15 digits; fewer than 7 is no phone number anywhere.
        return "" if OTHER_PHONE_RE.match(value or "") and 7 <= digits <= 15 else value
    return value


def _other_phone(value: str) -> str:
    return value if value and not _mainland_phone(value) else ""


def _notice(order: WorkOrder) -> str:
    if order.due_at is None:
        return _("Your request was registered as %(number)s.") % {"number": order.number}
    return _("Your request was registered as %(number)s and is expected to be completed by %(due)s.") % {
        "number": order.number,
        "due": timezone.localtime(order.due_at).strftime("%Y-%m-%d %H:%M"),
    }


def open311_request_submit(
    *, api_key: ApiKey, data: dict[str, str], answers: dict[str, list[str]], ip_address: str | None = None
) -> SubmitResult:
    """POST requests: check everything, then register the work order now (realtime) or after commit (batch)."""
    category, intake = _intake(api_key=api_key, data=data, answers=answers)
    now = clock.now()
    extra = {
        "account_id": data.get("account_id", ""),
        "device_id": data.get("device_id", ""),
        "email": data.get("email", ""),
        "media_url": data.get("media_url", ""),
        "phone": _other_phone(data.get("phone", "")),
    }
    account_id = extra["account_id"] or None
    with transaction.atomic():
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        if service_is_batch(category):
            token = secrets.token_hex(16)
            pending = {**intake, "category": category.pk}
            submission = Submission.objects.create(
                api_key=api_key, token=token, pending_intake=pending, received_at=now, **extra
            )
            submission_pk = submission.pk
            transaction.on_commit(lambda: _process_later(submission_pk))
            notice = _("Your request was received; look up its number with the token.")
            return SubmitResult(service_request_id=None, token=token, service_notice=notice, account_id=account_id)
        try:
            order = workorder_register(actor=None, data=intake, ip_address=ip_address)
        except ApplicationError as exc:
            raise open311_error_from(exc) from exc
        Submission.objects.create(api_key=api_key, order=order, received_at=now, processed_at=now, **extra)
    return SubmitResult(
        service_request_id=order.number, token=None, service_notice=_notice(order), account_id=account_id
    )


def _process_later(submission_pk: int) -> None:
    from .tasks import open311_submission_process_task

    open311_submission_process_task(submission_pk)


def open311_submission_process(submission_pk: int) -> Submission | None:
    """Register a batch submission's work order (the background task); idempotent. The stored personal data is
    dropped once the order exists or the intake has failed for good."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().filter(pk=submission_pk).first()
        if submission is None or submission.order_id is not None or submission.processed_at is not None:
            return submission
        intake = dict(submission.pending_intake)
        intake["category"] = Category.objects.filter(pk=int(intake.get("category") or 0)).first()
        try:
            with transaction.atomic():
                order = workorder_register(actor=None, data=intake)
        except ApplicationError as exc:
            submission.error = str(exc.message)[:400]
            order = None
        submission.order = order
        submission.pending_intake = {}
        submission.processed_at = clock.now()
        submission.save(update_fields=["order", "pending_intake", "error", "processed_at"])
    return submission
