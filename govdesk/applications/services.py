"""Every write to an application. One service per action: lock, check the table and guards, write, record, return.

Each public service runs in one transaction that also appends the timeline and audit events and writes the notice
the action issues (受理通知书, 一次性告知书, 不予受理通知书, the result), so a failure anywhere, the PDF
included, leaves nothing half-written. Permission failures raise PermissionDenied (403); actions the current
status does not allow raise InvalidTransition (409); bad input raises ValidationFailed (400).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append
from govdesk.calendar.core import deadline_add_working_days
from govdesk.calendar.selectors import calendar_get, calendar_years_without_data
from govdesk.cases.attachments import CheckedFile
from govdesk.cases.models import Attachment, CaseEvent, CaseKind, SuspensionKind
from govdesk.cases.services import (
    case_attachments_add,
    case_event_record,
    case_suspension_end,
    case_suspension_start,
    case_units_assign,
)
from govdesk.common import clock
from govdesk.common.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from govdesk.common.inputs import FieldErrors, text_field, text_input
from govdesk.common.services import counter_next
from govdesk.common.validators import (
    normalize_phone,
    validate_id_number,
    validate_phone,
)
from govdesk.matters.models import MatterVersion
from govdesk.matters.selectors import matter_get
from govdesk.matters.services import matter_form_validate
from govdesk.org.models import Role

from . import notices
from .hooks import application_lock_first
from .models import Application, ApplicationMaterial, ApplicationNotice, Channel, Delivery, NoticeKind
from .permissions import (
    application_can_reveal,
    application_can_view,
    application_check_actor,
    application_check_role,
    application_refusal_is_not_found,
)
from .states import OPEN_STATUSES, Action, Status, Transition, transition_for

NOTE_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 100
# A matter's checklist is a few dozen materials at most; the cap bounds a request's work before any lookup.
MATERIALS_MAX = 100
# 行政许可法 第44条: the licence is issued and delivered within 10 (working, 第82条) days of the decision.
DELIVERY_LIMIT_DAYS = 10
NUMBER_PREFIX = "BJ"  # 办件: keeps application numbers apart from the work orders' all-digit ones


# --- input checks -------------------------------------------------------------------------------------------------


RESULT_NUMBER_MAX_LENGTH = 64


def _result_number(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        message = _("The document number must be text.")
        raise ValidationFailed(message, fields={"result_number": [message]})
    number = value.strip()
    if len(number) > RESULT_NUMBER_MAX_LENGTH:
        message = _("The document number may have at most %(n)d characters.") % {"n": RESULT_NUMBER_MAX_LENGTH}
        raise ValidationFailed(message, fields={"result_number": [message]})
    return number


def _note(value: Any, field: str = "note", *, required: bool = False) -> str:
    return text_input(value, field, required=required, max_length=NOTE_MAX_LENGTH, name_in_message=True)


def _codes(errors: FieldErrors, field: str, value: Any, known: Sequence[str]) -> list[str]:
    """Material codes: a list of known codes, each once."""
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
            field, _("This matter has no material with the code %(c)s.") % {"c": "、".join(c[:32] for c in unknown)}
        )
    twice = [c for c in dict.fromkeys(codes) if codes.count(c) > 1]
    if twice:
        errors.add(field, _("Material %(c)s is listed twice.") % {"c": "、".join(c[:32] for c in twice)})
    return codes


@dataclass(frozen=True)
class Submission:
    version: MatterVersion
    channel: str
    applicant_name: str
    applicant_phone: str
    applicant_id_number: str
    form: dict[str, Any]
    materials: list[str]


def application_submission_clean(data: dict[str, Any]) -> Submission:
    """Check a submission from any channel; raise ValidationFailed listing every problem at once."""
    errors = FieldErrors(name_in_message=True)
    channel = data.get("channel")
    if channel not in Channel.values:
        errors.add("channel", _("Choose window or online."))
    code = data.get("matter")
    version: MatterVersion | None = None
    if not isinstance(code, str) or not code.strip() or len(code) > 64:
        errors.add("matter", _("Give the code of a matter in the catalogue."))
    else:
        try:
            version = matter_get(code.strip())
        except NotFound as exc:
            errors.add("matter", exc.message)
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
    materials: list[str] = []
    if version is not None:
        try:
            form = matter_form_validate(version=version, data=data.get("form") or {})
        except ValidationFailed as exc:
            # The form's own fields, named as the client sent them: `form.<field>`.
            for field, messages in (exc.fields or {"form": [exc.message]}).items():
                for message in messages:
                    errors.add(f"form.{field}" if field != "form" else field, message)
        known = [m.code for m in version.materials.all()]
        materials = _codes(errors, "materials", data.get("materials"), known)
    errors.raise_if_any()
    assert version is not None
    return Submission(version, str(channel), name, phone, id_number, form, materials)


# --- the transition skeleton --------------------------------------------------------------------------------------


def _not_found(number: str) -> NotFound:
    return NotFound(_("No application with number %(n)s.") % {"n": number[:40]})


def _locked(application: Application | str) -> Application:
    number = application if isinstance(application, str) else application.number
    application_lock_first(number)  # the rows above an application (its package) first: see hooks.py
    locked = (
        Application.objects.select_for_update(of=("self", "case_ptr"))
        .select_related("matter_version", "matter_version__unit", "matter")
        .filter(number=number)
        .first()
    )
    if locked is None:
        raise _not_found(number)
    return locked


def _visible_locked(application: Application | str, actor: Any) -> Application:
    locked = _locked(application)
    if not application_can_view(actor, locked):
        if application_refusal_is_not_found(actor):
            raise _not_found(locked.number)
        raise PermissionDenied(_("You cannot see this application."))
    return locked


def _begin(application: Application | str, actor: Any, action: Action) -> tuple[Application, Transition]:
    """Lock and check, in this order: role and visibility (403, 404 for citizens), status (409), scope (403)."""
    application_check_role(actor, action)
    locked = _visible_locked(application, actor)
    row = transition_for(locked.status, action)
    if row is None:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the application is “%(status)s”.")
            % {"action": action.value, "status": locked.get_status_display()}
        )
    application_check_actor(actor, locked, row)
    return locked, row


def _guard(ok: bool, message: str) -> None:
    if not ok:
        raise InvalidTransition(message)


def _move(
    application: Application,
    row: Transition,
    target: Status,
    *,
    actor: Any,
    note: str = "",
    data: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
    ip_address: str | None = None,
) -> Application:
    """Write the new status and the changed fields, then record the event (public: the applicant follows every
    step). The table must allow `target`."""
    assert target in row.targets, f"{row.action} from {row.source} cannot lead to {target}"
    from_status = application.status
    application.status = target
    application.is_open = target in OPEN_STATUSES
    application.updated_at = clock.now()
    changed = {"status", "is_open", "updated_at", *fields}
    if not application.is_open:
        application.closed_at = application.closed_at or application.updated_at
        application.is_due_soon = application.is_sign_overdue = application.is_overdue = False
        changed |= {"closed_at", "is_due_soon", "is_sign_overdue", "is_overdue"}
    application.save(update_fields=sorted(changed))
    case_event_record(
        case=application,
        action=row.action.value,
        actor=actor,
        from_status=from_status,
        to_status=target,
        note=note,
        is_public=True,
        data=data,
        ip_address=ip_address,
    )
    return application


def _missing(application: Application) -> list[ApplicationMaterial]:
    return list(application.materials.filter(required=True, received=False).order_by("order", "id"))


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _notice_issue(
    application: Application,
    kind: NoticeKind,
    actor: Any,
    *,
    materials: list[dict[str, str]],
    reason: str = "",
    approved: bool | None = None,
) -> ApplicationNotice:
    """Number, render and store a notice in its action's transaction, after the action's other writes (a decision's
    just before its event, which the decision's listeners hear): if rendering fails the action rolls back with it."""
    now = clock.now()
    year = timezone.localtime(now).year
    sequence = counter_next(key=f"application-notice:{kind.value}:{year}")
    number = f"{notices.NUMBER_WORDS[kind.value]}〔{year}〕{sequence:06d}号"
    user = _user(actor)
    version = application.matter_version
    content = notices.NoticeContent(
        kind=kind.value,
        number=number,
        issued_at=now,
        issuer=(user.display_name or user.username) if user is not None else "",
        unit_name=version.unit.name,
        materials=materials,
        reason=reason,
        approved=approved,
        due_at=application.decision_due_at or application.due_at,
        limit_days=version.promised_limit_days,
    )
    pdf = notices.notice_pdf(application=application, content=content)
    notice = ApplicationNotice(application=application, kind=kind, number=number, issued_at=now, issued_by=user)
    notice.file.save(f"{application.number}-{kind.value}-{sequence:06d}.pdf", ContentFile(pdf), save=False)
    notice.save()
    return notice


# --- intake -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """A new application with what submitting it wrote (its checklist and its one timeline event), so a caller can
    answer without reading it all back: a new application has no suspension and no notice yet."""

    application: Application
    materials: list[ApplicationMaterial]
    event: CaseEvent


def application_submit(*, actor: Any, data: dict[str, Any], ip_address: str | None = None) -> Application:
    """提交: a window clerk registers an application brought to the counter (channel window), or a citizen files
    one online (channel online, on their own account). The materials listed are those received."""
    return application_submit_recorded(actor=actor, data=data, ip_address=ip_address).application


def application_submit_recorded(*, actor: Any, data: dict[str, Any], ip_address: str | None = None) -> Submitted:
    """`application_submit`, also returning the checklist rows and the timeline event it wrote."""
    if not actor.has_role(Role.WINDOW_CLERK, Role.CITIZEN):
        raise PermissionDenied(_("Your role does not allow registering applications."))
    submission = application_submission_clean(data)
    allowed = Channel.WINDOW if actor.has_role(Role.WINDOW_CLERK) else Channel.ONLINE
    if submission.channel != allowed:
        message = _("Use the channel “%(c)s”.") % {"c": allowed.value}
        raise ValidationFailed(message, fields={"channel": [message]})
    clerk = allowed is Channel.WINDOW
    with transaction.atomic():
        return _create(
            submission,
            actor=actor,
            applicant=None if clerk else actor,
            received=dict.fromkeys(submission.materials),
            checked=clerk,
            ip_address=ip_address,
        )


def _create(
    submission: Submission,
    *,
    actor: Any,
    applicant: Any,
    received: Mapping[str, Attachment | None],
    checked: bool,
    data: Mapping[str, Any] | None = None,
    note: str = "",
    ip_address: str | None = None,
) -> Submitted:
    """Write a new application, its checklist (`received`: code → the material's file, if any) and its submit
    event. `checked`: the received materials were checked by `actor` (at the counter)."""
    version = submission.version
    now = clock.now()
    day = timezone.localtime(now).strftime("%Y%m%d")
    number = f"{NUMBER_PREFIX}{day}{counter_next(key=f'application:{day}'):06d}"
    application = Application(
        kind=CaseKind.APPLICATION,
        number=number,
        status=Status.SUBMITTED,
        is_open=True,
        title=version.name[:200],
        created_at=now,
        updated_at=now,
        created_by=actor,
        matter=version.matter,
        matter_version=version,
        channel=submission.channel,
        applicant_name=submission.applicant_name,
        applicant_phone=submission.applicant_phone,
        applicant_id_number=submission.applicant_id_number,
        applicant=applicant,
        form=submission.form,
        primary_unit=version.unit,  # written with the row; case_units_assign records the assignment
    )
    application.save(force_insert=True)
    case_units_assign(case=application, primary=version.unit)
    materials = ApplicationMaterial.objects.bulk_create(
        ApplicationMaterial(
            application=application,
            code=m.code,
            name=m.name,
            required=m.required,
            received=m.code in received,
            # Checked at the counter by the clerk; an online upload is checked when the clerk accepts.
            checked_by=actor if checked and m.code in received else None,
            checked_at=now if checked and m.code in received else None,
            attachment=_attachment_share(received.get(m.code), application, actor),
            order=position,
        )
        for position, m in enumerate(version.materials.all())
    )
    event = case_event_record(
        case=application,
        action="submit",
        actor=actor,
        to_status=Status.SUBMITTED,
        is_public=True,
        note=note or _("Submitted via %(channel)s.") % {"channel": application.get_channel_display()},
        data={
            "channel": application.channel,
            "matter": version.matter.code,
            "version": version.version,
            **(data or {}),
        },
        ip_address=ip_address,
    )
    return Submitted(application=application, materials=materials, event=event)


def _attachment_share(source: Attachment | None, application: Application, actor: Any) -> Attachment | None:
    """`source` (a file of another case) as an attachment of `application` too: the same stored file (named by its
    content hash), so a material handed in once is attached to every case that needs it."""
    if source is None:
        return None
    return Attachment.objects.create(
        case=application,
        file=source.file.name,
        original_name=source.original_name,
        content_type=source.content_type,
        size=source.size,
        sha256=source.sha256,
        uploaded_by=_user(actor),
        uploaded_at=clock.now(),
    )


def application_part_open(
    *,
    actor: Any,
    version: MatterVersion,
    channel: str,
    applicant_name: str,
    applicant_phone: str,
    applicant_id_number: str,
    applicant: Any,
    form: dict[str, Any],
    received: Mapping[str, Attachment | None],
    inputs: Sequence[Attachment] = (),
    note: str = "",
    data: Mapping[str, Any] | None = None,
) -> Application:
    """An application opened as one part of a larger case (a package's part), in the caller's transaction.

    The caller's own service already checked who acts, the form (`form` is this matter's, cleaned) and the materials
    (`received`: material code → its file, shared with this application), and notified the acceptance with its own
    notice. So the application is registered and, when every required material is in, accepted at once without a
    受理通知书 of its own (its clock starts now; a 即办件 is approved on the spot); otherwise it stays at the window,
    where the clerk treats it as any application. `inputs`: files passed on from other parts (their results),
    attached to this application; `data` is kept on its submit event (e.g. which package it belongs to)."""
    submission = Submission(
        version, channel, applicant_name, applicant_phone, applicant_id_number, dict(form), list(received)
    )
    submitted = _create(
        submission, actor=actor, applicant=applicant, received=received, checked=True, data=data, note=note
    )
    application = submitted.application
    for source in inputs:
        _attachment_share(source, application, actor)
    row = transition_for(Status.SUBMITTED, Action.ACCEPT)
    assert row is not None
    if any(m.required and not m.received for m in submitted.materials):
        return application
    # The checklist just written is passed on rather than read back (a package's fan-out opens many parts).
    return _accept(application, row, actor=actor, note="", acceptance_notice=False, materials=submitted.materials)


# --- at the window ------------------------------------------------------------------------------------------------


def _due(start: Any, days: int) -> Any:
    deadline = deadline_add_working_days(start, days, calendar_get())
    calendar_years_without_data(list(deadline.years_without_data))
    return deadline.due_at


def _decided(application: Application, reason: str) -> list[str]:
    """Record the decision; from now on `due_at` is the delivery's deadline (the decision's is kept)."""
    now = clock.now()
    application.decided_at, application.decision_reason = now, reason
    application.decision_due_at = application.due_at
    application.due_at = _due(now, DELIVERY_LIMIT_DAYS)
    return ["decided_at", "decision_reason", "decision_due_at", "due_at"]


@transaction.atomic
def application_accept(*, application: Application | str, actor: Any, note: str = "") -> Application:
    """受理: every required material is in. The promised limit starts now (a 即办件 is decided on the spot)."""
    note = _note(note)
    application, row = _begin(application, actor, Action.ACCEPT)
    return _accept(application, row, actor=actor, note=note)


def _accept(
    application: Application,
    row: Transition,
    *,
    actor: Any,
    note: str,
    acceptance_notice: bool = True,
    materials: Sequence[ApplicationMaterial] | None = None,
) -> Application:
    """The acceptance itself, once the caller checked who may accept. `acceptance_notice=False`: the acceptance is
    notified by a notice of the case this application is part of (a package's one 受理通知书). `materials`: the
    application's whole checklist, when the caller has just written it (else it is read)."""
    checklist = list(materials) if materials is not None else None
    missing = (
        [m for m in checklist if m.required and not m.received] if checklist is not None else _missing(application)
    )
    _guard(
        not missing,
        _("Required materials are missing: %(m)s. Ask for them (request-correction) instead.")
        % {"m": "、".join(m.name for m in missing)},
    )
    now = clock.now()
    version = application.matter_version
    application.accepted_at = now
    application.dispatched_at = now
    application.due_at = _due(now, version.promised_limit_days)
    if checklist is None or any(m.received and m.checked_by_id is None for m in checklist):
        application.materials.filter(received=True, checked_by__isnull=True).update(checked_by=actor, checked_at=now)
    fields = ["accepted_at", "dispatched_at", "due_at"]

    def received() -> list[dict[str, str]]:
        rows = checklist if checklist is not None else application.materials.filter(received=True)
        return [{"code": m.code, "name": m.name, "problem": ""} for m in rows if m.received]

    if version.instant:
        # 即办件: the clerk accepts and decides at the counter; the result is ready at once.
        decided = _decided(application, note)
        _move(
            application,
            row,
            Status.APPROVED,
            actor=actor,
            note=note or _("Handled on the spot."),
            data={"instant": True},
            fields=[*fields, *decided],
        )
        if acceptance_notice:
            _notice_issue(application, NoticeKind.ACCEPTANCE, actor, materials=received())
        _notice_issue(application, NoticeKind.RESULT, actor, materials=[], reason=note, approved=True)
        return application
    _move(
        application,
        row,
        Status.HANDLING,
        actor=actor,
        note=note,
        data={"due_at": application.due_at.isoformat(), "limit_days": version.promised_limit_days},
        fields=fields,
    )
    if acceptance_notice:
        _notice_issue(application, NoticeKind.ACCEPTANCE, actor, materials=received())
    return application


def material_defects_clean(value: Any, known: Sequence[str], *, unknown: str | None = None) -> dict[str, str]:
    """`defects` of a 一次性告知 (material code → what is wrong), checked against the codes of the checklist; `unknown`
    is the message for a code not on it (with `%(c)s`), the matter's by default. Packages check theirs with it too."""
    errors = FieldErrors(name_in_message=True)
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MATERIALS_MAX:
        errors.add("defects", _("Must map material codes to what is wrong with them."))
        errors.raise_if_any()
    defects: dict[str, str] = {}
    for code, problem in value.items():
        if code not in known:
            message = unknown or _("This matter has no material with the code %(c)s.")
            errors.add("defects", message % {"c": str(code)[:32]})
            continue
        defects[code] = text_field(errors, f"defects.{code}", problem, required=True, max_length=200)
    errors.raise_if_any()
    return defects


@transaction.atomic
def application_request_correction(
    *, application: Application | str, actor: Any, defects: dict[str, str] | None = None, note: str = ""
) -> Application:
    """一次性告知: one notice listing everything to supply: every required material not received and every received
    one found defective (`defects`: code → what is wrong). The clock starts only when all of it is in."""
    note = _note(note)
    application, row = _begin(application, actor, Action.REQUEST_CORRECTION)
    materials = {m.code: m for m in application.materials.all()}
    found = material_defects_clean(defects, list(materials))
    now = clock.now()
    for code, problem in found.items():
        material = materials[code]
        material.received, material.defect, material.checked_by, material.checked_at = False, problem, actor, now
        material.save(update_fields=["received", "defect", "checked_by", "checked_at"])
    to_supply = [m for m in materials.values() if not m.received and (m.required or m.code in found)]
    _guard(bool(to_supply), _("All required materials are in: accept the application instead."))
    listed = [
        {"code": m.code, "name": m.name, "problem": m.defect or notices.NOT_SUBMITTED}
        for m in sorted(to_supply, key=lambda m: (m.order, m.pk))
    ]
    _move(
        application,
        row,
        Status.CORRECTION,
        actor=actor,
        note=note,
        data={"materials": [m["code"] for m in listed]},
    )
    _notice_issue(application, NoticeKind.CORRECTION, actor, materials=listed, reason=note)
    return application


@transaction.atomic
def application_supplement(
    *,
    application: Application | str,
    actor: Any,
    materials: Sequence[str],
    note: str = "",
    files: Mapping[str, CheckedFile] | None = None,
) -> Application:
    """补正: materials handed in later. After a correction notice, the application goes back to the window once
    every required material is in (the acceptance, and so the clock, starts from there).

    `files`: the new file of some of those materials (code → file). A material the correction notice found defective
    gets its new file in place of the old one, which stays an attachment of the case, named in the timeline; its
    defect is cleared and it counts as received again."""
    note = _note(note)
    application, row = _begin(application, actor, Action.SUPPLEMENT)
    rows = {m.code: m for m in application.materials.select_related("attachment")}
    errors = FieldErrors(name_in_message=True)
    codes = _codes(errors, "materials", materials, list(rows))
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
        material = rows[code]
        material.received, material.defect = True, ""
        material.checked_by, material.checked_at = (actor, now) if clerk else (None, None)
        material.save(update_fields=["received", "defect", "checked_by", "checked_at"])
    for code, file in (files or {}).items():
        _material_file_store(application, rows[code], file, actor)
    complete = not any(m.required and not m.received for m in rows.values())
    target = Status.SUBMITTED if application.status == Status.SUBMITTED or complete else Status.CORRECTION
    data: dict[str, Any] = {"materials": codes, "complete": complete}
    if defects:
        data["defects_cleared"] = defects  # what the notice said was wrong, kept with the step that cured it
    return _move(application, row, target, actor=actor, note=note, data=data)


@transaction.atomic
def application_refuse(*, application: Application | str, actor: Any, reason: str) -> Application:
    """不予受理: with the reasons, and the applicant's right to reconsideration (60 days) and litigation (6 months)."""
    reason = _note(reason, "reason", required=True)
    application, row = _begin(application, actor, Action.REFUSE)
    application.decision_reason = reason
    _move(application, row, Status.REFUSED, actor=actor, note=reason, fields=["decision_reason"])
    _notice_issue(application, NoticeKind.REFUSAL, actor, materials=[], reason=reason)
    return application


# --- the implementing unit ----------------------------------------------------------------------------------------


@transaction.atomic
def application_suspend(
    *, application: Application | str, actor: Any, reason: str, kind: str = SuspensionKind.OTHER
) -> Application:
    """中止: a hearing, testing or expert review; its time is not counted in the limit (行政许可法 第45条)."""
    reason = _note(reason, "reason", required=True)
    if kind not in SuspensionKind.values:
        message = _("Choose hearing, testing, expert_review or other.")
        raise ValidationFailed(message, fields={"kind": [message]})
    application, row = _begin(application, actor, Action.SUSPEND)
    case_suspension_start(case=application, kind=kind, reason=reason, actor=actor)
    return _move(application, row, Status.SUSPENDED, actor=actor, note=reason, data={"kind": kind}, fields=["due_at"])


@transaction.atomic
def application_resume(*, application: Application | str, actor: Any, note: str = "") -> Application:
    """恢复: the clock runs again; the deadline moves by the working days the suspension lasted."""
    note = _note(note)
    application, row = _begin(application, actor, Action.RESUME)
    suspension = case_suspension_end(case=application, actor=actor)
    data: dict[str, Any] = {"working_days": suspension.working_days, "kind": suspension.kind}
    if application.due_at is not None:
        data["due_at"] = application.due_at.isoformat()
    return _move(application, row, Status.HANDLING, actor=actor, note=note, data=data, fields=["due_at"])


@transaction.atomic
def application_approve(
    *, application: Application | str, actor: Any, note: str = "", result_number: str = ""
) -> Application:
    """准予: the unit's decision; the result notice goes to the window for delivery. `result_number`: the unit's own
    document number (文号) for the permit the approval issues (the permit registry refuses one it already holds, and
    the approval with it); blank: the registry numbers it."""
    note = _note(note)
    number = _result_number(result_number)
    application, row = _begin(application, actor, Action.APPROVE)
    decided = _decided(application, note)
    # The notice before the event: the decision's listeners (a package passing the result on) find it.
    _notice_issue(application, NoticeKind.RESULT, actor, materials=[], reason=note, approved=True)
    # The registry (a listener of the event, in this transaction) reads the number from the event's data.
    data = {"result_number": number} if number else None
    return _move(application, row, Status.APPROVED, actor=actor, note=note, data=data, fields=decided)


@transaction.atomic
def application_deny(*, application: Application | str, actor: Any, reason: str) -> Application:
    """不予准许: with the reasons and the applicant's remedies (行政许可法 第38条第二款)."""
    reason = _note(reason, "reason", required=True)
    application, row = _begin(application, actor, Action.DENY)
    decided = _decided(application, reason)
    _notice_issue(application, NoticeKind.RESULT, actor, materials=[], reason=reason, approved=False)
    return _move(application, row, Status.DENIED, actor=actor, note=reason, fields=decided)


@transaction.atomic
def application_deliver(
    *, application: Application | str, actor: Any, delivery: str = Delivery.WINDOW, note: str = ""
) -> Application:
    """送达: the result handed over at the window, posted or sent electronically; the application closes."""
    note = _note(note)
    if delivery not in Delivery.values:
        message = _("Choose window, post or electronic.")
        raise ValidationFailed(message, fields={"delivery": [message]})
    application, row = _begin(application, actor, Action.DELIVER)
    application.delivered_at, application.delivery = clock.now(), delivery
    return _move(
        application,
        row,
        Status.CLOSED,
        actor=actor,
        note=note,
        data={"delivery": delivery},
        fields=["delivered_at", "delivery"],
    )


# --- material files -----------------------------------------------------------------------------------------------


@transaction.atomic
def application_material_attach(
    *, application: Application | str, actor: Any, code: str, file: CheckedFile
) -> ApplicationMaterial:
    """The scan or upload of one material (a copy scanned at the window, a file uploaded online): one per material,
    while the application is at the window (before acceptance)."""
    if not actor.has_role(Role.WINDOW_CLERK, Role.CITIZEN):
        raise PermissionDenied(_("Your role does not allow adding materials."))
    application = _visible_locked(application, actor)
    if not (actor.has_role(Role.WINDOW_CLERK) or application.applicant_id == actor.pk):
        raise PermissionDenied(_("You cannot add materials to this application."))
    material = application.materials.select_for_update().filter(code=code).first()
    if material is None:
        message = _("This matter has no material with the code %(c)s.") % {"c": code[:32]}
        raise ValidationFailed(message, fields={"code": [message]})
    _guard(
        application.status in (Status.SUBMITTED, Status.CORRECTION),
        _("Materials are added before the application is accepted."),
    )
    if material.attachment_id is not None:
        message = _("A file for “%(m)s” was already uploaded.") % {"m": material.name}
        if material.defect:
            message = _("“%(m)s” was found defective: send its new file with the supplement.") % {"m": material.name}
        raise ValidationFailed(message, fields={"file": [message]})
    return _material_file_store(application, material, file, actor)


def _material_file_store(
    application: Application, material: ApplicationMaterial, file: CheckedFile, actor: Any
) -> ApplicationMaterial:
    """Store a material's file. A file it replaces is never deleted: it stays an attachment of the case, and the
    timeline event names it, so the history shows what was handed in first and why it was sent back."""
    previous = material.attachment if material.attachment_id is not None else None
    (attachment,) = case_attachments_add(case=application, files=[file], actor=actor)
    material.attachment = attachment
    material.save(update_fields=["attachment"])
    data: dict[str, Any] = {"material": material.code, "attachment": attachment.pk}
    if previous is not None:
        data.update(replaced_attachment=previous.pk, replaced_name=previous.original_name)
    case_event_record(
        case=application,
        action="material-file-replace" if previous is not None else "material-file",
        actor=actor,
        from_status=application.status,
        to_status=application.status,
        is_public=True,
        data=data,
    )
    return material


# --- personal data ------------------------------------------------------------------------------------------------

REVEALABLE_FIELDS = ("applicant_phone", "applicant_id_number")


def application_pii_reveal(
    *, application: Application | str, actor: Any, field: str, ip_address: str | None = None
) -> str:
    """One unmasked personal field; every successful or refused attempt is audited."""
    if field not in REVEALABLE_FIELDS:
        raise ValidationFailed(_("This field cannot be revealed."), fields={"field": [_("Unknown field.")]})
    number = application if isinstance(application, str) else application.number
    found = Application.objects.filter(number=number).first()
    if found is None:
        raise _not_found(number)
    allowed = application_can_reveal(actor, found)
    with transaction.atomic():
        audit_append(
            action="pii.view",
            actor=_user(actor),
            object_type=CaseKind.APPLICATION,
            object_id=found.number,
            note=field,
            success=allowed,
            ip_address=ip_address,
        )
    if not allowed:
        if application_refusal_is_not_found(actor) and not application_can_view(actor, found):
            raise _not_found(number)
        raise PermissionDenied(_("Your role may not see this personal data unmasked."))
    return str(getattr(found, field))


# The API and the UI dispatch actions by name to these services.
ACTION_SERVICES: dict[Action, Callable[..., Application]] = {
    Action.ACCEPT: application_accept,
    Action.REQUEST_CORRECTION: application_request_correction,
    Action.SUPPLEMENT: application_supplement,
    Action.REFUSE: application_refuse,
    Action.SUSPEND: application_suspend,
    Action.RESUME: application_resume,
    Action.APPROVE: application_approve,
    Action.DENY: application_deny,
    Action.DELIVER: application_deliver,
}
