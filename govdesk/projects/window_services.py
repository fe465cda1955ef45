"""The project pages' compound writes, each one transaction built from the project and package services (as the
packages' window services are built from theirs): a stage applied for with the files handed in now, online or at the
counter. Any bad input or impossible move (a stage not open: 409) stores nothing, the uploads included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from govdesk.cases.attachments import CheckedFile
from govdesk.packages import case_services as package_services
from govdesk.packages.models import PackageApplication

from . import services
from .models import Project


@transaction.atomic
def project_stage_apply_with_files(
    *,
    actor: Any,
    project: Project | str,
    no: int,
    data: dict[str, Any],
    files: Mapping[str, CheckedFile],
    ip_address: str | None = None,
) -> PackageApplication:
    """申报 of stage `no` with `data` (applicant, form, materials handed in) and the files of the materials handed in
    now (each file is that merged material received, ticked or not); documents of earlier stages are added by
    `project_stage_apply`."""
    materials = sorted({*(data.get("materials") or []), *files})
    package_application = services.project_stage_apply(
        actor=actor, project=project, no=no, data={**data, "materials": materials}, ip_address=ip_address
    )
    for code, file in files.items():
        package_services.package_material_attach(
            package_application=package_application.number, actor=actor, code=code, file=file
        )
    return PackageApplication.objects.get(pk=package_application.pk)
