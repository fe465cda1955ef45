"""The registry hears every decision: a case-event listener (`cases.services.case_event_listener_add`, registered in
apps.py) that issues the permit of an approved application in the approval's own transaction, so there is never an
approval without its permit, nor a permit of an approval that was rolled back (平台之外无审批).

What is issued is asked of `hooks.permit_terms_for` (the projects app answers for a project's stage: its document,
the project, 告知承诺). The approving unit may give its own document number (`result_number` on the approve event's
data); a number the registry holds already fails the approval with a 400 and nothing is stored.
"""

from __future__ import annotations

from govdesk.applications.models import Application
from govdesk.applications.states import Status as ApplicationStatus
from govdesk.cases.models import Case, CaseEvent, CaseKind

from .hooks import permit_terms_for
from .models import Permit
from .services import permit_issue


def _project_owner(project_id: int) -> str:
    # The projects app sits above this one: its model is reached through the foreign key, never imported.
    project_model = Permit._meta.get_field("project").related_model
    owner = project_model._default_manager.filter(pk=project_id).values_list("owner", flat=True).first()  # type: ignore[union-attr]
    return str(owner or "")


def permit_on_approval(case: Case, event: CaseEvent) -> None:
    if case.kind != CaseKind.APPLICATION or event.to_status != ApplicationStatus.APPROVED:
        return
    if event.from_status == event.to_status:
        return
    application = (
        case
        if isinstance(case, Application)
        else Application.objects.select_related("matter", "matter_version__unit").get(pk=case.pk)
    )
    terms = permit_terms_for(application)
    if terms.kind is None:
        return
    holder = terms.holder_name
    if not holder and terms.project_id is not None:
        holder = _project_owner(terms.project_id)
    permit_issue(
        case=application,
        matter=application.matter,
        unit=application.primary_unit or application.matter_version.unit,
        holder_name=holder or application.applicant_name,
        kind=terms.kind,
        actor=event.actor,
        project_id=terms.project_id,
        number=str((event.data or {}).get("result_number") or ""),
        on_commitment=terms.on_commitment,
        verify_days=terms.verify_days,
    )
