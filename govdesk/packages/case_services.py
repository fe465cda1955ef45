"""Every write to a package application (一件事): one acceptance, fan-out into parts, the status derived from them.

Each public service runs in one transaction that also appends the timeline and audit events (`case_event_record`)
and writes the notice the action issues, so a failure anywhere, a part's application or a PDF included, leaves
nothing half-written. Permission failures raise PermissionDenied (403, 404 for a citizen asking for another's
package); actions the current status does not allow raise InvalidTransition (409); bad input ValidationFailed (400).

The parts are ordinary applications, opened through the applications' own service (`application_part_open`): their
clocks, inboxes, notices, statistics and ratings are the applications'. After acceptance nobody sets the package's
status: each part's decision reaches `package_parts_advance` (through the case-event listener in subscribers.py),
which starts the parts that waited for it, cancels those that can never start, and derives the package's status
(states.py), issuing the one result notice when every part is decided.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.models import Application, ApplicationNotice, Channel, Delivery
from govdesk.applications.models import NoticeKind as ApplicationNoticeKind
from govdesk.applications.services import (
    DELIVERY_LIMIT_DAYS,
    application_deliver,
    application_part_open,
    material_defects_clean,
)
from govdesk.applications.states import Status as ApplicationStatus
from govdesk.audit.services import audit_batch
from govdesk.calendar.core import deadline_add_working_days
from govdesk.calendar.selectors import calendar_get, calendar_years_without_data
from govdesk.cases.attachments import CheckedFile
from govdesk.cases.models import Attachment, CaseEvent, CaseKind
from govdesk.cases.services import (
    case_attachments_add,
    case_event_record,
    case_events_coalesced,
    case_units_assign,
)
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.common.inputs import FieldErrors, text_field, text_input
from govdesk.common.services import counter_next
from govdesk.common.validators import normalize_phone, validate_id_number, validate_phone
from govdesk.org.models import Role

from . import notices
from .case_selectors import package_status_label
from .catalogue import package_form_clean, package_form_validate, package_items_needed, package_materials_needed
from .models import (
    Package,
    PackageApplication,
    PackageMaterialReceipt,
    PackageNotice,
    PackageNoticeKind,
    PackagePart,
    PackageVersion,
    PartState,
)
from .permissions import (
    package_can_urge,
    package_can_view,
    package_check_actor,
    package_check_role,
    package_refusal_is_not_found,
)
from .states import (
    CANCELLED,
    DERIVED_ACTIONS,
    OPEN_STATUSES,
    WAITING,
    Action,
    Outcome,
    Status,
    Transition,
    package_status_derive,
    part_outcome,
    parts_next,
    transition_for,
)

NUMBER_PREFIX = "YJS"  # 一件事: keeps package numbers apart from the applications' (BJ…) and the work orders'
NOTE_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 100
MATERIALS_MAX = 100


def package_number_owns(number: str) -> bool:
    """Whether `number` is a package application's number (by its prefix: no query)."""
    return number.startswith(NUMBER_PREFIX)


# --- input checks -------------------------------------------------------------------------------------------------


def _note(value: Any, field: str = "note", *, required: bool = False) -> str:
    return text_input(value, field, required=required, max_length=NOTE_MAX_LENGTH, name_in_message=True)


def _codes(errors: FieldErrors, field: str, value: Any, known: Sequence[str]) -> list[str]:
    """Merged-material codes: a list of known codes, each once."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors.add(field, _("Must be a list of material codes."))
        return []
    if len(value) > MATERIALS_MAX:
        errors.add(field, _("At most %(n)d materials.") % {"n": MATERIALS_MAX})
        return []
    codes = [v.strip() for v in value]
    unknown = [c for c in dict.fromkeys(codes) if c not in known]
    if unknown:
        errors.add(
            field,
            _("This package has no material with the code %(c)s.") % {"c": "、".join(c[:32] for c in unknown)},
        )
    twice = [c for c in dict.fromkeys(codes) if codes.count(c) > 1]
    if twice:
        errors.add(field, _("Material %(c)s is listed twice.") % {"c": "、".join(c[:32] for c in twice)})
    return codes


@dataclass(frozen=True)
class PackageSubmission:
    version: PackageVersion
    channel: str
    applicant_name: str
    applicant_phone: str
    applicant_id_number: str
    form: dict[str, Any]  # the merged form's answers, cleaned
    materials: list[dict[str, Any]]  # package_materials_needed: the checklist this form needs
    received: list[str]


def _package_version(errors: FieldErrors, code: Any) -> PackageVersion | None:
    if not isinstance(code, str) or not code.strip() or len(code) > 64 or "\x00" in code:
        errors.add("package", _("Give the code of a package in the catalogue."))
        return None
    package = (
        Package.objects.select_related("current_version", "current_version__lead_unit")
        .filter(code=code.strip(), is_active=True, current_version__isnull=False)
        .first()
    )
    if package is None or package.current_version is None:
        errors.add("package", _("There is no package with the code %(code)s.") % {"code": code.strip()[:64]})
        return None
    return package.current_version


def package_submission_clean(data: dict[str, Any]) -> PackageSubmission:
    """Check a package submission from any channel; raise ValidationFailed listing every problem at once: the
    package (unknown: named), the applicant, the merged form (checked per matter: an answer one matter refuses is an
    error on that field, `form.<field>`) and the merged materials received (an unknown code is named)."""
    errors = FieldErrors(name_in_message=True)
    channel = data.get("channel")
    if channel not in Channel.values:
        errors.add("channel", _("Choose window or online."))
    version = _package_version(errors, data.get("package"))
    name = text_field(errors, "applicant_name", data.get("applicant_name"), required=True, max_length=NAME_MAX_LENGTH)
    phone = normalize_phone(
        text_field(errors, "applicant_phone", data.get("applicant_phone"), required=True, max_length=20)
    )
    if phone:
        errors.check("applicant_phone", validate_phone, phone)
    id_number = text_field(
        errors, "applicant_id_number", data.get("applicant_id_number"), required=True, max_length=18
    ).upper()
    if id_number:
        errors.check("applicant_id_number", validate_id_number, id_number)
    form: dict[str, Any] = {}
    needed: list[dict[str, Any]] = []
    received: list[str] = []
    if version is not None:
        raw = data.get("form") or {}
        try:
            package_form_validate(version=version, data=raw)
            form = package_form_clean(version=version, data=raw)
        except ValidationFailed as exc:
            for field, messages in (exc.fields or {"form": [exc.message]}).items():
                for message in messages:
                    errors.add(f"form.{field}" if field != "form" else field, message)
        # The checklist depends on the answers (a matter needed only in some situations); with a bad form, check the
        # codes against every material of the package.
        needed = package_materials_needed(version, form) if form else []
        known = [m["material"].code for m in needed] if form else [m.code for m in version.materials.all()]
        received = _codes(errors, "materials", data.get("materials"), known)
    errors.raise_if_any()
    assert version is not None
    return PackageSubmission(version, str(channel), name, phone, id_number, form, needed, received)


# --- the transition skeleton --------------------------------------------------------------------------------------


def _not_found(number: str) -> NotFound:
    return NotFound(_("No package application with number %(n)s.") % {"n": number[:40]})


def _locked(package_application: PackageApplication | str | int) -> PackageApplication:
    qs = PackageApplication.objects.select_for_update(of=("self", "case_ptr")).select_related(
        "package", "package_version", "package_version__lead_unit"
    )
    if isinstance(package_application, int):
        found = qs.filter(pk=package_application).first()
        number = str(package_application)
    else:
        number = package_application if isinstance(package_application, str) else package_application.number
        found = qs.filter(number=number).first()
    if found is None:
        raise _not_found(number)
    return found


def _visible_locked(package_application: PackageApplication | str, actor: Any) -> PackageApplication:
    locked = _locked(package_application)
    if not package_can_view(actor, locked):
        if package_refusal_is_not_found(actor):
            raise _not_found(locked.number)
        raise PermissionDenied(_("You cannot see this package application."))
    return locked


def _begin(
    package_application: PackageApplication | str, actor: Any, action: Action
) -> tuple[PackageApplication, Transition]:
    """Lock and check, in this order: role and visibility (403, 404 for citizens), status (409), scope (403)."""
    package_check_role(actor, action)
    locked = _visible_locked(package_application, actor)
    row = transition_for(locked.status, action)
    if row is None:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the package application is “%(status)s”.")
            % {"action": action.value, "status": package_status_label(locked.status)}
        )
    package_check_actor(actor, locked, row)
    return locked, row


def _guard(ok: bool, message: str) -> None:
    if not ok:
        raise InvalidTransition(message)


def _move(
    package_application: PackageApplication,
    action: str,
    target: Status,
    *,
    actor: Any,
    note: str = "",
    data: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
    ip_address: str | None = None,
) -> PackageApplication:
    """Write the new status and the changed fields, then record the event (public: the applicant follows every
    step). Callers check the move against the table (actions) or derive it (states.package_status_derive)."""
    from_status = package_application.status
    package_application.status = target
    package_application.is_open = target in OPEN_STATUSES
    package_application.updated_at = clock.now()
    changed = {"status", "is_open", "updated_at", *fields}
    if not package_application.is_open:
        package_application.closed_at = package_application.closed_at or package_application.updated_at
        package_application.is_due_soon = package_application.is_sign_overdue = package_application.is_overdue = False
        changed |= {"closed_at", "is_due_soon", "is_sign_overdue", "is_overdue"}
    package_application.save(update_fields=sorted(changed))
    case_event_record(
        case=package_application,
        action=action,
        actor=actor,
        from_status=from_status,
        to_status=target,
        note=note,
        is_public=True,
        data=data,
        ip_address=ip_address,
    )
    return package_application


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _notice_issue(
    package_application: PackageApplication,
    kind: PackageNoticeKind,
    actor: Any,
    *,
    materials: list[dict[str, str]] | None = None,
    parts: list[dict[str, str]] | None = None,
    reason: str = "",
) -> PackageNotice:
    """Number, render and store one of the package's notices, after its action's other writes: if rendering fails
    the action rolls back with it."""
    now = clock.now()
    year = timezone.localtime(now).year
    sequence = counter_next(key=f"package-notice:{kind.value}:{year}")
    number = f"{notices.NUMBER_WORDS[kind.value]}〔{year}〕{sequence:06d}号"
    user = _user(actor)
    version = package_application.package_version
    content = notices.PackageNoticeContent(
        kind=kind.value,
        number=number,
        issued_at=now,
        issuer=(user.display_name or user.username) if user is not None else "",
        unit_name=version.lead_unit.name,
        materials=materials or [],
        parts=parts or [],
        reason=reason,
        due_at=package_application.due_at,
        limit_days=version.promised_limit_days,
    )
    pdf = notices.notice_pdf(package_application=package_application, content=content)
    notice = PackageNotice(
        package_application=package_application, kind=kind, number=number, issued_at=now, issued_by=user
    )
    notice.file.save(f"{package_application.number}-{kind.value}-{sequence:06d}.pdf", ContentFile(pdf), save=False)
    notice.save()
    return notice


def _matter_names(version: PackageVersion) -> dict[str, dict[str, Any]]:
    """Merged material code → {"matters": [matter codes it serves], "names": "、"-joined matter names}."""
    names = {item.matter.code: item.matter.name for item in version.items.select_related("matter")}
    result: dict[str, dict[str, Any]] = {}
    for material in version.materials.all():
        codes = list(dict.fromkeys(source["matter"] for source in material.sources))
        result[material.code] = {"matters": codes, "names": "、".join(names.get(c, c) for c in codes)}
    return result


# --- intake -------------------------------------------------------------------------------------------------------


def package_submit(*, actor: Any, data: dict[str, Any], ip_address: str | None = None) -> PackageApplication:
    """提交: a window clerk registers a package brought to the counter (channel window), or a citizen applies online
    (channel online, on their own account). `data` is the applications' submission with `"package": code` instead of
    `"matter"`: `form` holds the merged form's answers, `materials` the merged materials received. One checklist of
    merged materials is written, each material once however many matters need it."""
    if not actor.has_role(Role.WINDOW_CLERK, Role.CITIZEN):
        raise PermissionDenied(_("Your role does not allow registering applications."))
    submission = package_submission_clean(data)
    allowed = Channel.WINDOW if actor.has_role(Role.WINDOW_CLERK) else Channel.ONLINE
    if submission.channel != allowed:
        message = _("Use the channel “%(c)s”.") % {"c": allowed.value}
        raise ValidationFailed(message, fields={"channel": [message]})
    version = submission.version
    clerk = allowed is Channel.WINDOW
    received = set(submission.received)
    now = clock.now()
    with transaction.atomic():
        day = timezone.localtime(now).strftime("%Y%m%d")
        number = f"{NUMBER_PREFIX}{day}{counter_next(key=f'package:{day}'):06d}"
        package_application = PackageApplication(
            kind=CaseKind.PACKAGE,
            number=number,
            status=Status.SUBMITTED,
            is_open=True,
            title=version.name[:200],
            created_at=now,
            updated_at=now,
            created_by=actor,
            package=version.package,
            package_version=version,
            channel=submission.channel,
            applicant_name=submission.applicant_name,
            applicant_phone=submission.applicant_phone,
            applicant_id_number=submission.applicant_id_number,
            applicant=None if clerk else actor,
            form=submission.form,
        )
        package_application.save(force_insert=True)
        case_units_assign(case=package_application, primary=version.lead_unit)
        package_application.save(update_fields=["primary_unit"])
        PackageMaterialReceipt.objects.bulk_create(
            PackageMaterialReceipt(
                package_application=package_application,
                code=needed["material"].code,
                name=needed["material"].name,
                required=needed["required"],
                received=needed["material"].code in received,
                checked_by=actor if clerk and needed["material"].code in received else None,
                checked_at=now if clerk and needed["material"].code in received else None,
                order=position,
            )
            for position, needed in enumerate(submission.materials)
        )
        case_event_record(
            case=package_application,
            action="submit",
            actor=actor,
            to_status=Status.SUBMITTED,
            is_public=True,
            note=_("Submitted via %(channel)s.") % {"channel": Channel(submission.channel).label},
            data={"channel": submission.channel, "package": version.package.code, "version": version.version},
            ip_address=ip_address,
        )
    return package_application


# --- at the window, before acceptance ------------------------------------------------------------------------------


def _defects(value: Any, known: Sequence[str]) -> dict[str, str]:
    return material_defects_clean(value, known, unknown=_("This package has no material with the code %(c)s."))


@transaction.atomic
def package_request_correction(
    *, package_application: PackageApplication | str, actor: Any, defects: dict[str, str] | None = None, note: str = ""
) -> PackageApplication:
    """一次性告知 for the whole package: ONE notice listing everything to supply across all parts, each merged
    material once (with the matters that need it): every required material not received and every received one found
    defective (`defects`: code → what is wrong). The clock starts only at acceptance."""
    note = _note(note)
    package_application, row = _begin(package_application, actor, Action.REQUEST_CORRECTION)
    receipts = {m.code: m for m in package_application.materials.all()}
    found = _defects(defects, list(receipts))
    now = clock.now()
    for code, problem in found.items():
        receipt = receipts[code]
        receipt.received, receipt.defect, receipt.checked_by, receipt.checked_at = False, problem, actor, now
        receipt.save(update_fields=["received", "defect", "checked_by", "checked_at"])
    to_supply = [m for m in receipts.values() if not m.received and (m.required or m.code in found)]
    _guard(bool(to_supply), _("All required materials are in: accept the package application instead."))
    serves = _matter_names(package_application.package_version)
    listed = [
        {
            "code": m.code,
            "name": m.name,
            "problem": m.defect or notices.NOT_SUBMITTED,
            "matters": serves.get(m.code, {}).get("names", ""),
        }
        for m in sorted(to_supply, key=lambda m: (m.order, m.pk))
    ]
    _move(
        package_application,
        row.action.value,
        Status.CORRECTION,
        actor=actor,
        note=note,
        data={"materials": [m["code"] for m in listed]},
    )
    _notice_issue(package_application, PackageNoticeKind.CORRECTION, actor, materials=listed, reason=note)
    return package_application


@transaction.atomic
def package_supplement(
    *,
    package_application: PackageApplication | str,
    actor: Any,
    materials: Sequence[str],
    note: str = "",
    files: Mapping[str, CheckedFile] | None = None,
) -> PackageApplication:
    """补正: merged materials handed in later (by the clerk, or by the applicant online), each with its new file if
    given (`files`: code → file; the old file of a defective material stays an attachment of the package). After the
    correction notice the package goes back to the window once every required material is in."""
    note = _note(note)
    package_application, row = _begin(package_application, actor, Action.SUPPLEMENT)
    rows = {m.code: m for m in package_application.materials.select_related("attachment")}
    errors = FieldErrors(name_in_message=True)
    codes = _codes(errors, "materials", list(materials) if materials is not None else None, list(rows))
    if not codes and "materials" not in errors.fields:
        errors.add("materials", _("List the materials handed in."))
    again = [c for c in codes if c in rows and rows[c].received]
    if again:
        errors.add("materials", _("Already received: %(m)s.") % {"m": "、".join(rows[c].name for c in again)})
    unlisted = [c for c in (files or {}) if c not in codes]
    if unlisted:
        errors.add("files", _("A file was sent for a material not handed in: %(c)s.") % {"c": "、".join(unlisted)})
    errors.raise_if_any()
    now = clock.now()
    clerk = actor.has_role(Role.WINDOW_CLERK)
    defects = {code: rows[code].defect for code in codes if rows[code].defect}
    for code in codes:
        receipt = rows[code]
        receipt.received, receipt.defect = True, ""
        receipt.checked_by, receipt.checked_at = (actor, now) if clerk else (None, None)
        receipt.save(update_fields=["received", "defect", "checked_by", "checked_at"])
    for code, file in (files or {}).items():
        _receipt_file_store(package_application, rows[code], file, actor)
    complete = not any(m.required and not m.received for m in rows.values())
    target = Status.SUBMITTED if package_application.status == Status.SUBMITTED or complete else Status.CORRECTION
    data: dict[str, Any] = {"materials": codes, "complete": complete}
    if defects:
        data["defects_cleared"] = defects
    return _move(package_application, row.action.value, target, actor=actor, note=note, data=data)


@transaction.atomic
def package_refuse(*, package_application: PackageApplication | str, actor: Any, reason: str) -> PackageApplication:
    """不予受理 of the whole package, with the reasons and the applicant's remedies (reconsideration within 60 days,
    litigation within 6 months)."""
    reason = _note(reason, "reason", required=True)
    package_application, row = _begin(package_application, actor, Action.REFUSE)
    _move(package_application, row.action.value, Status.REFUSED, actor=actor, note=reason)
    _notice_issue(package_application, PackageNoticeKind.REFUSAL, actor, reason=reason)
    return package_application


@transaction.atomic
def package_material_attach(
    *, package_application: PackageApplication | str, actor: Any, code: str, file: CheckedFile
) -> PackageMaterialReceipt:
    """The scan or upload of one merged material, before acceptance: one file per material (a defective material's
    new file goes with the supplement)."""
    if not actor.has_role(Role.WINDOW_CLERK, Role.CITIZEN):
        raise PermissionDenied(_("Your role does not allow adding materials."))
    package_application = _visible_locked(package_application, actor)
    if not (actor.has_role(Role.WINDOW_CLERK) or package_application.applicant_id == actor.pk):
        raise PermissionDenied(_("You cannot add materials to this package application."))
    receipt = package_application.materials.select_for_update().filter(code=code).first()
    if receipt is None:
        message = _("This package has no material with the code %(c)s.") % {"c": code[:32]}
        raise ValidationFailed(message, fields={"code": [message]})
    _guard(
        package_application.status in (Status.SUBMITTED, Status.CORRECTION),
        _("Materials are added before the application is accepted."),
    )
    if receipt.attachment_id is not None:
        message = _("A file for “%(m)s” was already uploaded.") % {"m": receipt.name}
        raise ValidationFailed(message, fields={"file": [message]})
    return _receipt_file_store(package_application, receipt, file, actor)


def _receipt_file_store(
    package_application: PackageApplication, receipt: PackageMaterialReceipt, file: CheckedFile, actor: Any
) -> PackageMaterialReceipt:
    """A merged material's file; a file it replaces stays an attachment of the package, named on the timeline."""
    previous = receipt.attachment if receipt.attachment_id is not None else None
    (attachment,) = case_attachments_add(case=package_application, files=[file], actor=actor)
    receipt.attachment = attachment
    receipt.save(update_fields=["attachment"])
    data: dict[str, Any] = {"material": receipt.code, "attachment": attachment.pk}
    if previous is not None:
        data.update(replaced_attachment=previous.pk, replaced_name=previous.original_name)
    case_event_record(
        case=package_application,
        action="material-file-replace" if previous is not None else "material-file",
        actor=actor,
        from_status=package_application.status,
        to_status=package_application.status,
        is_public=True,
        data=data,
    )
    return receipt


# --- acceptance and fan-out ------------------------------------------------------------------------------------------


def _due(start: Any, days: int) -> Any:
    deadline = deadline_add_working_days(start, days, calendar_get())
    calendar_years_without_data(list(deadline.years_without_data))
    return deadline.due_at


@transaction.atomic
def package_accept(*, package_application: PackageApplication | str, actor: Any, note: str = "") -> PackageApplication:
    """受理 of the whole package (every required merged material in; else 409) and fan-out: one part per matter this
    form needs, to the matter's implementing unit; each part with no pending dependency becomes an application at
    once, registered and accepted through the applications' services (its clock starts now); the others wait for
    the parts they need. ONE acceptance notice lists the parts. The promised total limit starts now."""
    note = _note(note)
    package_application, row = _begin(package_application, actor, Action.ACCEPT)
    # The checklist, read once: the check, the notice's list and the parts' shared files (_shared) all come from it.
    receipts = list(package_application.materials.select_related("attachment"))
    missing = [m for m in receipts if m.required and not m.received]
    _guard(
        not missing,
        _("Required materials are missing: %(m)s. Ask for them (request-correction) instead.")
        % {"m": "、".join(m.name for m in missing)},
    )
    now = clock.now()
    version = package_application.package_version
    package_application.accepted_at = package_application.dispatched_at = now
    package_application.accepted_by = actor
    package_application.due_at = _due(now, version.promised_limit_days) if version.promised_limit_days else None
    if any(m.received and m.checked_by_id is None for m in receipts):
        package_application.materials.filter(received=True, checked_by__isnull=True).update(
            checked_by=actor, checked_at=now
        )
    items = package_items_needed(version, dict(package_application.form or {}))
    _guard(bool(items), _("This form needs none of the package's matters."))
    PackagePart.objects.bulk_create(
        PackagePart(package_application=package_application, item=item, matter=item.matter, order=position)
        for position, item in enumerate(items)
    )
    data: dict[str, Any] = {"parts": [item.matter.code for item in items], "limit_days": version.promised_limit_days}
    if package_application.due_at is not None:
        data["due_at"] = package_application.due_at.isoformat()
    # The fan-out's ~20 audit events are chained in one go at the end (one lock of the chain's head, not one each),
    # and each part's statistics refreshed once, not on its registration and again on its acceptance.
    with audit_batch(), case_events_coalesced():
        _move(
            package_application,
            row.action.value,
            Status.HANDLING,
            actor=actor,
            note=note,
            data=data,
            fields=["accepted_at", "accepted_by", "dispatched_at", "due_at"],
        )
        with _advancing(package_application.pk):
            parts = _parts_resolve(package_application, actor, receipts=receipts)
        received = [{"code": m.code, "name": m.name} for m in receipts if m.received]
        _notice_issue(
            package_application,
            PackageNoticeKind.ACCEPTANCE,
            actor,
            materials=received,
            parts=_part_lines(package_application, parts=parts),
        )
        # Every part decided on the spot (即办件): the package is decided at once, with its result notice.
        _status_derive(package_application, actor, parts=parts)
    return package_application


# Packages whose parts are being advanced in this thread: a part's decision inside that work (an instant part
# approved as it opens, a part delivered with the package) must not start the advance again from the listener.
_STATE = threading.local()


@contextmanager
def _advancing(package_id: int) -> Iterator[None]:
    busy: set[int] = getattr(_STATE, "busy", set())
    _STATE.busy = busy
    busy.add(package_id)
    try:
        yield
    finally:
        busy.discard(package_id)


def _is_advancing(package_id: int) -> bool:
    return package_id in getattr(_STATE, "busy", set())


def _parts(package_application: PackageApplication) -> list[PackagePart]:
    return list(
        package_application.parts.select_related(
            "matter", "item", "application", "application__primary_unit", "matter__current_version__unit"
        ).order_by("order", "id")
    )


def _decision_of_closed(application: Application) -> bool:
    """Whether a closed application had been approved (its last decision event)."""
    decision = (
        CaseEvent.objects.filter(
            case_id=application.pk, to_status__in=[ApplicationStatus.APPROVED, ApplicationStatus.DENIED]
        )
        .order_by("-occurred_at", "-id")
        .values_list("to_status", flat=True)
        .first()
    )
    return decision == ApplicationStatus.APPROVED


def package_part_state(part: PackagePart) -> str:
    """ "waiting" / "cancelled", or the status of the application the part became."""
    if part.state == PartState.WAITING:
        return WAITING
    if part.state == PartState.CANCELLED or part.application is None:
        return CANCELLED
    return part.application.status


def _outcome(part: PackagePart) -> Outcome:
    state = package_part_state(part)
    approved = None
    if state == ApplicationStatus.CLOSED and part.application is not None:
        approved = _decision_of_closed(part.application)
    return part_outcome(state, approved=approved)


def _result_notice(application: Application) -> ApplicationNotice | None:
    return application.notices.filter(kind=ApplicationNoticeKind.RESULT).order_by("-issued_at", "-id").first()


def _parts_resolve(
    package_application: PackageApplication, actor: Any, *, receipts: list[PackageMaterialReceipt] | None = None
) -> list[PackagePart]:
    """Start every waiting part whose dependencies are all approved, cancel every one that can never start, until
    nothing changes (a part approved on the spot may start others). Returns the parts as they now are.

    The parts are read once: starting or cancelling one updates it in memory (its application, approved on the spot
    or not, included), and while the package is being advanced no listener changes them behind our back.
    `receipts`: the package's checklist with its files, if the caller has it."""
    shared: _Shared | None = None
    parts = _parts(package_application)
    by_code = {part.matter.code: part for part in parts}
    while True:
        start, cancel = parts_next(
            {code: part.item.depends_on for code, part in by_code.items()},
            {code: _outcome(part) for code, part in by_code.items()},
        )
        if not start and not cancel:
            return parts
        for code, failed in cancel.items():
            _part_cancel(package_application, by_code[code], by_code[failed], actor)
        shared = shared or _shared(package_application, receipts)
        # The versions of the parts starting now, with their matters and checklists, in two queries for them all.
        versions = [by_code[code].matter.current_version for code in start]
        prefetch_related_objects([v for v in versions if v is not None], "matter", "materials")
        for code in start:
            needs = [by_code[d] for d in by_code[code].item.depends_on if d in by_code]
            _part_start(package_application, by_code[code], needs, shared, actor)
        started = [by_code[code] for code in start]
        PackagePart.objects.bulk_update(started, ["application", "state"])


def _part_reason(part: PackagePart) -> str:
    if part.application is not None:
        return part.application.decision_reason
    return part.reason


def _part_cancel(package_application: PackageApplication, part: PackagePart, failed: PackagePart, actor: Any) -> None:
    state = package_part_state(failed)
    outcome = {
        ApplicationStatus.DENIED.value: _("was denied"),
        ApplicationStatus.REFUSED.value: _("was not accepted"),
        CANCELLED: _("could not start"),
    }.get(state, _("was not approved"))
    reason = _("Not started: “%(m)s”, which it needs, %(o)s.") % {"m": failed.matter.name, "o": outcome}
    because = _part_reason(failed)
    if because:
        reason = f"{reason} {because}"
    part.state, part.reason = PartState.CANCELLED, reason[:2000]
    part.save(update_fields=["state", "reason"])
    case_event_record(
        case=package_application,
        action="part-cancel",
        actor=actor,
        from_status=package_application.status,
        to_status=package_application.status,
        note=part.reason,
        is_public=True,
        data={"matter": part.matter.code, "needs": failed.matter.code},
    )


@dataclass(frozen=True)
class _Shared:
    """What every part started in one go takes from the package, read once: the merged answers, each matter's form
    (checked against the current rules) and each matter's received materials (its material code → the file)."""

    answers: dict[str, Any]
    forms: dict[str, dict[str, Any]]
    received: dict[str, dict[str, Attachment | None]]
    # matter code → {its material code: the matter whose result provides it} (`from_result_of`)
    produced: dict[str, dict[str, str]]


def _shared(package_application: PackageApplication, checklist: list[PackageMaterialReceipt] | None = None) -> _Shared:
    answers = dict(package_application.form or {})
    try:
        forms = package_form_validate(version=package_application.package_version, data=answers)
    except ValidationFailed:
        forms = {}  # see _matter_form
    if checklist is None:
        checklist = list(package_application.materials.select_related("attachment"))
    receipts = {r.code: r for r in checklist}
    parts = set(package_application.parts.values_list("matter__code", flat=True))
    received: dict[str, dict[str, Attachment | None]] = {}
    produced: dict[str, dict[str, str]] = {}
    for material in package_application.package_version.materials.all():
        receipt = receipts.get(material.code)
        for source in material.sources:
            if source.get("from_result_of") in parts:
                # Not the applicant's copy: the producing part's result notice, when this part starts.
                produced.setdefault(source["matter"], {})[source["material"]] = source["from_result_of"]
            elif receipt is not None and receipt.received:
                received.setdefault(source["matter"], {})[source["material"]] = receipt.attachment
    return _Shared(answers, forms, received, produced)


def _matter_form(shared: _Shared, part: PackagePart) -> dict[str, Any]:
    """This part's matter's form from the merged answers, as checked at acceptance; should the matter's rules have
    changed since, the answers are passed on as they are mapped, and its unit judges them, rather than the part never
    starting."""
    if part.matter.code in shared.forms:
        return shared.forms[part.matter.code]
    return {mf: shared.answers[pf] for pf, mf in (part.item.field_map or {}).items() if pf in shared.answers}


def _part_start(
    package_application: PackageApplication,
    part: PackagePart,
    needs: Sequence[PackagePart],
    shared: _Shared,
    actor: Any,
) -> None:
    """The part becomes an application of its matter's unit: the package's applicant, form (mapped onto the matter's
    fields) and materials (each received merged material, file shared, under the matter's own material code), plus the
    result notice of every part it needed, attached."""
    version = part.matter.current_version
    if version is None or not version.is_published:
        raise InvalidTransition(_("The matter %(code)s has no published version.") % {"code": part.matter.code})
    inputs = []
    notices_passed: list[ApplicationNotice] = []
    received = dict(shared.received.get(part.matter.code, {}))
    produced = shared.produced.get(part.matter.code, {})
    as_materials: list[tuple[str, PackagePart, ApplicationNotice]] = []
    for need in _producers(part, needs, produced):
        if need.application is None:
            continue
        notice = _result_notice(need.application)
        materials = [code for code, producer in produced.items() if producer == need.matter.code]
        inputs.append(
            {
                "matter": need.matter.code,
                "application": need.application.number,
                "notice": notice.number if notice else "",
                **({"materials": materials} if materials else {}),
            }
        )
        if notice is None:
            continue
        if materials:
            # The result notice is that material, received: shared the way a handed-in material is.
            for code in materials:
                received[code] = _notice_file(notice)
                as_materials.append((code, need, notice))
        else:
            notices_passed.append(notice)
    application = application_part_open(
        actor=actor,
        version=version,
        channel=package_application.channel,
        applicant_name=package_application.applicant_name,
        applicant_phone=package_application.applicant_phone,
        applicant_id_number=package_application.applicant_id_number,
        applicant=package_application.applicant,
        form=_matter_form(shared, part),
        received=received,
        note=_("Part of package application %(n)s (%(p)s).")
        % {"n": package_application.number, "p": package_application.package_version.name},
        data={"package": package_application.number, "inputs": inputs},
    )
    for notice in notices_passed:
        _notice_attach(application, notice, actor)
    names = {m.code: m.name for m in version.materials.all()} if as_materials else {}
    for code, need, notice in as_materials:
        case_event_record(
            case=application,
            action="material-from-result",
            actor=actor,
            from_status=application.status,
            to_status=application.status,
            is_public=True,
            note=_("“%(material)s” is the result of “%(matter)s” (%(application)s, notice %(notice)s).")
            % {
                "material": names.get(code, code),
                "matter": need.matter.name,
                "application": need.application.number if need.application else "",
                "notice": notice.number,
            },
            data={"material": code, "matter": need.matter.code, "notice": notice.number},
        )
    # Saved by the caller with the other parts started in the same round (_parts_resolve).
    part.application, part.state = application, PartState.STARTED
    case_event_record(
        case=package_application,
        action="part-start",
        actor=actor,
        from_status=package_application.status,
        to_status=package_application.status,
        is_public=True,
        data={"matter": part.matter.code, "application": application.number, "inputs": inputs},
    )


def _producers(part: PackagePart, needs: Sequence[PackagePart], produced: dict[str, str]) -> list[PackagePart]:
    """The parts whose results this part receives: those it needs, plus any further part it depends on through
    them whose result stands for one of its materials (`from_result_of` may name a transitive dependency)."""
    found = list(needs)
    known = {need.matter.code for need in needs}
    wanted = set(produced.values()) - known
    if wanted:
        found += list(
            part.package_application.parts.select_related("matter", "application").filter(matter__code__in=wanted)
        )
    return found


def _notice_file(notice: ApplicationNotice) -> Attachment:
    """An unsaved attachment describing a result notice's stored file, for the applications' services to share."""
    with notice.file.open("rb") as handle:
        content = handle.read()
    return Attachment(
        file=notice.file.name,
        original_name=f"{notice.number}.pdf"[:200],
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _notice_attach(application: Application, notice: ApplicationNotice, actor: Any) -> Attachment:
    """A result notice of a part it needed (e.g. the 出生医学证明's), attached to a part: its stored file, shared."""
    with notice.file.open("rb") as handle:
        content = handle.read()
    return Attachment.objects.create(
        case=application,
        file=notice.file.name,
        original_name=f"{notice.number}.pdf"[:200],
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=_user(actor),
        uploaded_at=clock.now(),
    )


def _part_lines(
    package_application: PackageApplication, *, results: bool = False, parts: list[PackagePart] | None = None
) -> list[dict[str, str]]:
    """The parts as a notice lists them (`parts`: as the caller holds them, else read)."""
    lines = []
    for part in parts if parts is not None else _parts(package_application):
        state = package_part_state(part)
        application = part.application
        unit = application.primary_unit if application is not None else None
        if unit is None and part.matter.current_version is not None:
            unit = part.matter.current_version.unit
        line = {
            "matter": part.matter.name,
            "unit": unit.name if unit is not None else "",
            "number": application.number if application is not None else "",
            "state": notices.PART_WAITING if state == WAITING else notices.PART_ACCEPTED,
        }
        if results:
            approved = _outcome(part) is Outcome.APPROVED
            word = "approved" if approved else ("denied" if state == ApplicationStatus.CLOSED else state)
            notice = _result_notice(application) if application is not None else None
            line.update(
                result=notices.RESULT_WORDS.get(word, word),
                reason=_part_reason(part),
                notice=notice.number if notice is not None else "",
            )
        lines.append(line)
    return lines


def _status_derive(
    package_application: PackageApplication, actor: Any, *, parts: list[PackagePart] | None = None
) -> None:
    """Move the package to the status its parts' states give (states.package_status_derive); reaching `decided`
    issues the one result notice listing every part's result. `parts`: as the caller holds them, else read."""
    parts = parts if parts is not None else _parts(package_application)
    states = [package_part_state(part) for part in parts]
    target = package_status_derive(states, delivered=package_application.delivered_at is not None)
    if target == package_application.status or package_application.status not in (Status.HANDLING, Status.DECIDED):
        return
    if package_application.status == Status.HANDLING and target in (Status.DECIDED, Status.CLOSED):
        now = clock.now()
        decision_due_at = package_application.due_at
        package_application.decided_at = now
        package_application.decision_due_at = decision_due_at
        data: dict[str, Any] = {
            "parts": dict(zip([p.matter.code for p in parts], states, strict=True)),
            "decision_due_at": decision_due_at.isoformat() if decision_due_at is not None else None,
        }
        # The result notice states the promised total; from here on `due_at` is the delivery's deadline (as an
        # application's), so a package decided in time is not flagged overdue while its results wait at the window.
        # The decision's deadline is kept on this event (and is accepted_at + the promised total).
        _notice_issue(
            package_application,
            PackageNoticeKind.RESULT,
            actor,
            parts=_part_lines(package_application, results=True, parts=parts),
        )
        package_application.due_at = _due(now, DELIVERY_LIMIT_DAYS)
        _move(
            package_application,
            DERIVED_ACTIONS[Status.DECIDED],
            Status.DECIDED,
            actor=actor,
            note=_("Every part is decided."),
            data=data,
            fields=["decided_at", "decision_due_at", "due_at"],
        )
    if target == Status.CLOSED:
        _move(
            package_application,
            DERIVED_ACTIONS[Status.CLOSED],
            Status.CLOSED,
            actor=actor,
            note=_("Every part is closed."),
        )


def package_lock_for_part(number: str) -> None:
    """Lock the package an application is a part of, if any (registered as the applications' lock-first hook): a
    clerk's action on a part then takes package → part, the order package_deliver and the listener use, instead of
    part → package (which deadlocked against a delivery of the whole package). A no-op for other applications."""
    package_id = (
        PackagePart.objects.filter(application__number=number).values_list("package_application_id", flat=True).first()
    )
    if package_id is not None:
        PackageApplication.objects.select_for_update(of=("self", "case_ptr")).filter(pk=package_id).first()


def package_parts_advance(*, package_application_id: int, actor: Any) -> None:
    """A part's application reached a decision (or was delivered): start the parts that waited for it, cancel those
    that can never start, and derive the package's status. In the caller's transaction (the part's service's);
    called by the case-event listener (subscribers.py)."""
    if _is_advancing(package_application_id):
        return  # the package's own service is advancing it and derives its status when done
    package_application = _locked(package_application_id)
    if package_application.status not in (Status.HANDLING, Status.DECIDED):
        return
    with _advancing(package_application.pk):
        _parts_resolve(package_application, actor)
    _status_derive(package_application, actor)


# --- delivery and urging -----------------------------------------------------------------------------------------


@transaction.atomic
def package_deliver(
    *,
    package_application: PackageApplication | str,
    actor: Any,
    delivery: str = Delivery.WINDOW,
    note: str = "",
) -> PackageApplication:
    """送达, once, at the end: every decided part's result handed over (each part's application delivered) with the
    package's one result notice; the package closes."""
    note = _note(note)
    if delivery not in Delivery.values:
        message = _("Choose window, post or electronic.")
        raise ValidationFailed(message, fields={"delivery": [message]})
    package_application, row = _begin(package_application, actor, Action.DELIVER)
    delivered = []
    with _advancing(package_application.pk):
        for part in _parts(package_application):
            if part.application is not None and part.application.status in (
                ApplicationStatus.APPROVED,
                ApplicationStatus.DENIED,
            ):
                application_deliver(
                    application=part.application.number,
                    actor=actor,
                    delivery=delivery,
                    note=_("Delivered with package application %(n)s.") % {"n": package_application.number},
                )
                delivered.append(part.application.number)
    package_application.delivered_at, package_application.delivery = clock.now(), delivery
    return _move(
        package_application,
        row.action.value,
        Status.CLOSED,
        actor=actor,
        note=note,
        data={"delivery": delivery, "applications": delivered},
        fields=["delivered_at", "delivery"],
    )


@transaction.atomic
def package_part_urge(
    *, package_application: PackageApplication | str, actor: Any, matter: str, note: str = ""
) -> PackagePart:
    """催办 of one open part by the package's lead unit (its members only): recorded on the part's timeline (an
    `urge` event of its application, as supervision's) and on the package's, both audited. 409 for a part that is
    not open (waiting parts start by themselves when the part they need is approved)."""
    note = _note(note)
    package_application = _visible_locked(package_application, actor)
    if not package_can_urge(actor, package_application):
        raise PermissionDenied(_("Only the package's lead unit may urge its parts."))
    part = next((p for p in _parts(package_application) if p.matter.code == matter), None)
    if part is None:
        raise NotFound(_("This package application has no part for the matter %(m)s.") % {"m": str(matter)[:64]})
    application = part.application
    open_states = (
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.CORRECTION,
        ApplicationStatus.HANDLING,
        ApplicationStatus.SUSPENDED,
    )
    _guard(
        application is not None and application.status in open_states,
        _("Only a part being handled can be urged."),
    )
    assert application is not None
    data = {"package": package_application.number, "matter": part.matter.code}
    case_event_record(
        case=application,
        action="urge",
        actor=actor,
        from_status=application.status,
        to_status=application.status,
        note=note or _("Urged by the package's lead unit."),
        data=data,
    )
    case_event_record(
        case=package_application,
        action="part-urge",
        actor=actor,
        from_status=package_application.status,
        to_status=package_application.status,
        note=note,
        data={**data, "application": application.number},
    )
    return part


# The API and the pages dispatch actions by name to these services.
PACKAGE_ACTION_SERVICES: dict[Action, Callable[..., PackageApplication]] = {
    Action.ACCEPT: package_accept,
    Action.REQUEST_CORRECTION: package_request_correction,
    Action.SUPPLEMENT: package_supplement,
    Action.REFUSE: package_refuse,
    Action.DELIVER: package_deliver,
}
