"""The package pages' compound writes, each one transaction built from the package services (case_services.py), as
the applications' window services are built from theirs: the counter's registration with its decision, the online
application with its uploads, the online supplement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from govdesk.applications.models import Channel
from govdesk.applications.window_services import Decision
from govdesk.cases.attachments import CheckedFile
from govdesk.common.errors import ValidationFailed

from . import case_services
from .models import PackageApplication


def _attach_all(package_application: PackageApplication, actor: Any, files: Mapping[str, CheckedFile]) -> None:
    for code, file in files.items():
        case_services.package_material_attach(
            package_application=package_application.number, actor=actor, code=code, file=file
        )


@transaction.atomic
def package_register_at_window(
    *,
    actor: Any,
    data: dict[str, Any],
    scans: Mapping[str, CheckedFile],
    decision: str,
    reason: str = "",
    ip_address: str | None = None,
) -> PackageApplication:
    """The counter in one step: register the package with what the applicant brought (merged materials ticked, their
    scans), then accept (受理 and fan-out), ask for everything missing at once (one 一次性告知书) or refuse.

    One transaction: an impossible decision (accepting with a required material missing: 409) or any bad input
    (400) stores nothing, the registration included."""
    if decision not in Decision.ALL:
        message = _("Choose accept, ask for missing materials, or refuse.")
        raise ValidationFailed(message, fields={"decision": [message]})
    if decision == Decision.REFUSE and not reason.strip():
        message = _("Give the reason for not accepting.")
        raise ValidationFailed(message, fields={"reason": [message]})
    package_application = case_services.package_submit(
        actor=actor, data={**data, "channel": Channel.WINDOW}, ip_address=ip_address
    )
    _attach_all(package_application, actor, scans)
    number = package_application.number
    if decision == Decision.ACCEPT:
        case_services.package_accept(package_application=number, actor=actor)
    elif decision == Decision.CORRECTION:
        case_services.package_request_correction(package_application=number, actor=actor)
    else:
        case_services.package_refuse(package_application=number, actor=actor, reason=reason)
    return PackageApplication.objects.get(pk=package_application.pk)


@transaction.atomic
def package_submit_online(
    *, actor: Any, data: dict[str, Any], uploads: Mapping[str, CheckedFile], ip_address: str | None = None
) -> PackageApplication:
    """网上申报 of a package: the citizen's own; each uploaded file is that merged material received."""
    payload = {**data, "channel": Channel.ONLINE, "materials": list(uploads)}
    package_application = case_services.package_submit(actor=actor, data=payload, ip_address=ip_address)
    _attach_all(package_application, actor, uploads)
    return PackageApplication.objects.get(pk=package_application.pk)


@transaction.atomic
def package_supplement_online(
    *, actor: Any, package_application: PackageApplication | str, uploads: Mapping[str, CheckedFile]
) -> PackageApplication:
    """补正 online: the files of the merged materials the one correction notice asked for."""
    if not uploads:
        message = _("Upload the file of at least one missing material.")
        raise ValidationFailed(message, fields={"materials": [message]})
    number = package_application if isinstance(package_application, str) else package_application.number
    result = case_services.package_supplement(
        package_application=number, actor=actor, materials=list(uploads), files=uploads
    )
    return PackageApplication.objects.get(pk=result.pk)
