"""The package application's API, answered at the applications' addresses (registered in apps.py through
`applications.hooks`): `POST /api/v1/applications/` with `"package": code`, and for a package's number `GET
/api/v1/applications/{number}/`, `POST …/{accept|request-correction|supplement|refuse|deliver}/`, `POST
…/parts/{matter}/urge/`, `POST …/materials/{code}/file/` and `GET …/notices/{id}/`.

Thin: each parses its input, calls ONE service or selector, and renders; services raise ApplicationError subclasses,
which the common exception handler turns into `{"code", "message"[, "fields"]}` with 400, 403, 404 or 409.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from govdesk.applications.hooks import CaseApi
from govdesk.applications.models import Channel
from govdesk.applications.permissions import STAFF_ROLE_CODES
from govdesk.applications.serializers import (
    ACTION_INPUTS,
    NUMBER_PATTERN,
    ApplicationTimelineEventSerializer,
    MaterialCodesField,
)
from govdesk.applications.states import Action as ApplicationAction
from govdesk.cases.attachments import attachment_check
from govdesk.common.errors import NotFound, PermissionDenied, ValidationFailed
from govdesk.common.masking import mask_id_number, mask_name, mask_phone
from govdesk.org.models import Role

from . import case_selectors, case_services
from .models import PackageApplication, PackagePart
from .permissions import package_can_see_all, package_refusal_is_not_found
from .states import Action

_NUMBER_RE = re.compile(NUMBER_PATTERN)
_URGE_RE = re.compile(r"^parts/(?P<matter>[^/]{1,64})/urge/?$")


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(allow_blank=True, trim_whitespace=False, **kwargs)


class PackageCreateInput(serializers.Serializer):
    package = serializers.CharField(max_length=64, help_text="The package's code in the catalogue.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    applicant_name = _text(max_length=200)
    applicant_phone = _text(max_length=40)
    applicant_id_number = _text(max_length=40)
    form = serializers.DictField(required=False, help_text="Answers to the merged form's fields, by field name.")
    materials = MaterialCodesField(required=False, help_text="Codes of the merged materials received.")


class PackagePartOutput(serializers.Serializer):
    """Documentation of a part in the package's answer (the body is built by `_part_data`)."""

    number = serializers.CharField(allow_null=True, help_text="The part's application number; null while waiting.")
    matter = serializers.CharField(help_text="The bundled matter's code.")
    matter_name = serializers.CharField()
    unit = serializers.CharField(allow_null=True, help_text="The implementing unit's code.")
    status = serializers.CharField(
        help_text="waiting (for a part it depends on), cancelled (a part it needs was not approved), or the "
        "application's status."
    )
    due_at = serializers.DateTimeField(allow_null=True)
    depends_on = serializers.ListField(child=serializers.CharField(), help_text="Matter codes this part waits for.")
    reason = serializers.CharField(allow_blank=True)


class PackageApplicationOutput(serializers.Serializer):
    """Documentation of a package application's body (`POST /applications/` 201 with `"package"`, and `GET
    /applications/{number}/` for a package's number); built by `package_application_data`, not by this class."""

    number = serializers.CharField()
    kind = serializers.CharField(help_text='Always "package".')
    package = serializers.CharField(help_text="The package's code.")
    package_name = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.CharField(help_text="submitted, correction, refused, handling, decided or closed.")
    status_display = serializers.CharField()
    lead_unit = serializers.CharField(help_text="The lead unit's code.")
    channel = serializers.CharField()
    applicant_name = serializers.CharField()
    applicant_phone = serializers.CharField(help_text="Masked.")
    applicant_id_number = serializers.CharField(help_text="Masked.")
    promised_limit_days = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    delivery = serializers.CharField(allow_blank=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    form = serializers.DictField(help_text="The merged form's answers (empty for a part's own unit).")
    materials = serializers.ListField(child=serializers.DictField(), help_text="The merged checklist.")
    missing_materials = serializers.ListField(child=serializers.CharField())
    parts = PackagePartOutput(many=True, help_text="One per bundled matter, from the acceptance on; empty before.")
    notices = serializers.ListField(child=serializers.DictField())
    allowed_actions = serializers.ListField(child=serializers.CharField())
    can_urge = serializers.BooleanField()
    timeline = serializers.ListField(child=serializers.DictField())


class PackageUrgeInput(serializers.Serializer):
    note = _text(required=False)


def _not_found(number: str) -> NotFound:
    return NotFound(_("No package application with number %(n)s.") % {"n": number[:40]})


def _visible(user: Any, number: str) -> PackageApplication:
    """The package if the caller may see it; 404 if there is none; 403 if it exists but is not theirs, except for a
    citizen, who gets the same 404."""
    if not _NUMBER_RE.match(number):
        raise _not_found(number)
    found = case_selectors.package_application_get(user=user, number=number)
    if found is not None:
        return found
    if not package_refusal_is_not_found(user) and PackageApplication.objects.filter(number=number).exists():
        raise PermissionDenied(_("You cannot see this package application."))
    raise _not_found(number)


def _part_data(part: PackagePart) -> dict[str, Any]:
    application = part.application
    unit = application.primary_unit if application is not None else None
    if unit is None:
        version = part.matter.current_version
        unit = version.unit if version is not None else part.matter.unit
    return {
        "number": application.number if application is not None else None,
        "matter": part.matter.code,
        "matter_name": part.matter.name,
        "unit": unit.code if unit is not None else None,
        "status": case_services.package_part_state(part),
        "due_at": application.due_at if application is not None else None,
        "depends_on": list(part.item.depends_on or []),
        "reason": part.reason or (application.decision_reason if application is not None else ""),
    }


def package_application_data(request: Request, package_application: PackageApplication) -> dict[str, Any]:
    """The package as its viewer may see it: a part's own unit sees the summary (parts, status, notices' list), not
    the form's answers or the materials; phone and ID numbers are always masked."""
    user: Any = request.user
    whole = package_can_see_all(user, package_application)
    staff = bool(user.has_role(*STAFF_ROLE_CODES))
    version = package_application.package_version
    receipts = list(case_selectors.package_application_materials(package_application=package_application))
    parts = [
        _part_data(part)
        for part in case_selectors.package_application_parts(package_application=package_application).select_related(
            "matter__current_version__unit"
        )
    ]
    public_only = not staff
    events = case_selectors.package_application_timeline(
        package_application=package_application, public_only=public_only
    )
    own = staff or package_application.applicant_id == user.pk
    return {
        "number": package_application.number,
        "kind": "package",
        "package": package_application.package.code,
        "package_name": version.name,
        "version": version.version,
        "status": package_application.status,
        "status_display": case_selectors.package_status_label(package_application.status),
        "lead_unit": version.lead_unit.code,
        "channel": package_application.channel,
        "applicant_name": package_application.applicant_name if own else mask_name(package_application.applicant_name),
        "applicant_phone": mask_phone(package_application.applicant_phone),
        "applicant_id_number": mask_id_number(package_application.applicant_id_number),
        "promised_limit_days": version.promised_limit_days,
        "created_at": package_application.created_at,
        "accepted_at": package_application.accepted_at,
        "due_at": package_application.due_at,
        "decided_at": package_application.decided_at,
        "delivered_at": package_application.delivered_at,
        "delivery": package_application.delivery,
        "closed_at": package_application.closed_at,
        "form": dict(package_application.form or {}) if whole else {},
        "materials": [
            {
                "code": m.code,
                "name": m.name,
                "required": m.required,
                "received": m.received,
                "defect": m.defect,
                "has_file": m.attachment_id is not None,
            }
            for m in receipts
        ]
        if whole
        else [],
        "missing_materials": case_selectors.package_missing_codes(receipts) if whole else [],
        "parts": parts,
        "notices": [
            {
                "kind": notice.kind,
                "number": notice.number,
                "issued_at": notice.issued_at,
                "url": request.build_absolute_uri(
                    reverse("api-application-notice", kwargs={"number": package_application.number, "pk": notice.pk})
                ),
            }
            for notice in case_selectors.package_application_notices(package_application=package_application)
        ],
        "allowed_actions": [
            a.value
            for a in case_selectors.package_application_actions(user=user, package_application=package_application)
        ],
        "can_urge": case_selectors.package_application_can_urge(user=user, package_application=package_application),
        "timeline": ApplicationTimelineEventSerializer(events, many=True, context={"public_only": public_only}).data,
    }


def package_create(request: Request) -> Response:
    user: Any = request.user
    if not user.has_role(Role.WINDOW_CLERK, Role.CITIZEN):
        raise PermissionDenied(_("Your role does not allow registering applications."))
    form = PackageCreateInput(data=request.data)
    form.is_valid(raise_exception=True)
    created = case_services.package_submit(
        actor=user, data=dict(form.validated_data), ip_address=request.META.get("REMOTE_ADDR") or None
    )
    body = package_application_data(request, created)
    return Response(body, status=201, headers={"Location": f"/api/v1/applications/{created.number}/"})


def package_detail(request: Request, number: str) -> Response:
    return Response(package_application_data(request, _visible(request.user, number)))


def package_action(request: Request, number: str, name: str) -> Response:
    """An action on the package (its name as in the applications' URLs) or `parts/{matter}/urge`."""
    if not _NUMBER_RE.match(number):
        raise _not_found(number)
    urge = _URGE_RE.match(name)
    if urge is not None:
        form: serializers.Serializer = PackageUrgeInput(data=request.data)
        form.is_valid(raise_exception=True)
        case_services.package_part_urge(
            package_application=number, actor=request.user, matter=urge["matter"], **form.validated_data
        )
        return package_detail(request, number)
    try:
        action = Action(name)
    except ValueError:
        raise NotFound(_("Unknown action “%(a)s”.") % {"a": name[:40]}) from None
    form = ACTION_INPUTS[ApplicationAction(action.value)](data=request.data)
    form.is_valid(raise_exception=True)
    case_services.PACKAGE_ACTION_SERVICES[action](package_application=number, actor=request.user, **form.validated_data)
    return package_detail(request, number)


def package_notice(request: Request, number: str, pk: int) -> FileResponse:
    package_application = _visible(request.user, number)
    notice = case_selectors.package_application_notices(package_application=package_application).filter(pk=pk).first()
    if notice is None:
        raise NotFound(_("This package application has no such notice."))
    try:
        handle = notice.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file of this notice is missing.")) from None
    response = FileResponse(
        handle,
        as_attachment=False,
        filename=f"{notice.kind}-{package_application.number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def package_material_file(request: Request, number: str, code: str) -> Response:
    if not _NUMBER_RE.match(number):
        raise _not_found(number)
    upload = request.FILES.get("file")
    if upload is None:
        message = _("Choose a file.")
        raise ValidationFailed(message, fields={"file": [message]})
    limit = cast(int, settings.GOVDESK["ATTACHMENT_MAX_BYTES"])
    checked = attachment_check(name=upload.name or "file", data=upload.read(limit + 1))
    receipt = case_services.package_material_attach(
        package_application=number, actor=request.user, code=code[:32], file=checked
    )
    return Response(
        {"code": receipt.code, "name": receipt.name, "received": receipt.received, "has_file": True}, status=201
    )


PACKAGE_CASE_API = CaseApi(
    key="package",
    owns=case_services.package_number_owns,
    create=package_create,
    detail=package_detail,
    action=package_action,
    notice=package_notice,
    material_file=package_material_file,
    create_input=PackageCreateInput,
    created_output=PackageApplicationOutput,
)
