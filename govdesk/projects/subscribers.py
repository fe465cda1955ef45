"""The projects hear their stages' package applications and parts: a case-event listener
(`cases.services.case_event_listener_add`, registered in apps.py), in the transaction of the action that caused the
event, so a failure here undoes that action too.

Package events (packages.case_services): `accept` starts the stage's clock; the derived `decide`/`close` (every part
has its outcome) or `refuse` (不予受理) settle the stage (done or not passed), which opens the next stages and
completes the project after the last. Part events (applications.services): a part's registration (its submit event
names its package) marks a 告知承诺 matter, approved on commitment when the part is accepted; a decision may settle the
joint acceptance; a suspension or its end moves the stage's deadline.
"""

from __future__ import annotations

from govdesk.applications.models import Application
from govdesk.applications.states import Status as ApplicationStatus
from govdesk.cases.models import Case, CaseEvent, CaseKind
from govdesk.packages.models import PackageApplication
from govdesk.packages.states import Status as PackageStatus

from . import services

PART_DECISIONS = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.DENIED, ApplicationStatus.REFUSED})


def _package(case: Case) -> PackageApplication | None:
    if isinstance(case, PackageApplication):
        return case
    return PackageApplication.objects.filter(pk=case.pk).first()


def _application(case: Case) -> Application | None:
    if isinstance(case, Application):
        return case
    return Application.objects.select_related("matter", "matter_version__unit").filter(pk=case.pk).first()


def _on_package(case: Case, event: CaseEvent) -> None:
    if event.from_status == event.to_status:
        return
    package_application = _package(case)
    if package_application is None:
        return
    if event.from_status == PackageStatus.SUBMITTED and event.to_status in (
        PackageStatus.HANDLING,
        PackageStatus.DECIDED,
    ):
        services.project_on_package_accepted(package_application=package_application, actor=event.actor)
    if event.to_status == PackageStatus.REFUSED:
        services.project_on_package_settled(package_application=package_application, actor=event.actor, refused=True)
    elif event.to_status in (PackageStatus.DECIDED, PackageStatus.CLOSED):
        services.project_on_package_settled(package_application=package_application, actor=event.actor)


def _on_part(case: Case, event: CaseEvent) -> None:
    package_number = (event.data or {}).get("package") if event.action == "submit" else None
    if package_number and isinstance(case, Application):
        services.project_on_part_submitted(application=case, package_number=str(package_number))
        return
    if event.from_status == event.to_status:
        return
    if event.from_status == ApplicationStatus.SUBMITTED and event.to_status == ApplicationStatus.HANDLING:
        if isinstance(case, Application):
            services.project_on_part_accepted(application=case)
        return
    clock_moved = ApplicationStatus.SUSPENDED in (event.from_status, event.to_status)
    decided = event.to_status in PART_DECISIONS
    if not (clock_moved or decided):
        return
    application = _application(case)
    if application is None:
        return
    if clock_moved:
        services.project_on_part_clock(application=application)
    if decided:
        services.project_on_part_decided(application=application, actor=event.actor)


def project_case_listener(case: Case, event: CaseEvent) -> None:
    if case.kind == CaseKind.PACKAGE:
        _on_package(case, event)
    elif case.kind == CaseKind.APPLICATION:
        _on_part(case, event)
