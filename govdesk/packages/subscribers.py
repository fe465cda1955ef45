"""The package hears its parts: a case-event listener (`cases.services.case_event_listener_add`, registered in
apps.py) on the applications that are parts of a package.

When a part's application reaches a decision (approved, denied; refused at the window; or is delivered), the package
starts the parts that waited for it (passing its result on), cancels, with the reason, every part that needed it
and so can never start, transitively, and derives its own status (the one result notice when every part is
decided): all in the transaction of the part's own action, so a failure there undoes the decision too.
"""

from __future__ import annotations

from govdesk.applications.states import Status as ApplicationStatus
from govdesk.cases.models import Case, CaseEvent, CaseKind

from .case_services import package_parts_advance
from .models import PackagePart

# The application statuses that can change what the package does next.
SETTLING_STATUSES = frozenset(
    {ApplicationStatus.APPROVED, ApplicationStatus.DENIED, ApplicationStatus.REFUSED, ApplicationStatus.CLOSED}
)


def package_part_listener(case: Case, event: CaseEvent) -> None:
    if case.kind != CaseKind.APPLICATION or event.to_status not in SETTLING_STATUSES:
        return
    if event.from_status == event.to_status:
        return
    package_id = PackagePart.objects.filter(application_id=case.pk).values_list("package_application_id", flat=True)
    found = package_id.first()
    if found is None:
        return
    package_parts_advance(package_application_id=found, actor=event.actor)
