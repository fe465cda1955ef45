from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "govdesk.reporting"
    label = "reporting"
    verbose_name = _("Unit reporting")

    def ready(self) -> None:
        from django.urls import reverse

        from govdesk.cases.models import CaseKind
        from govdesk.cases.services import case_kind_supervision_add

        from .models import StatusChoices
        from .services import report_urge_recorded
        from .states import UNIT_OWES_STATUSES

        # The supervision sweep urges and escalates a report the unit still owes after its deadline, as any case; the
        # supervisors' worklist lists it, linking to the report's page, and they may urge it by hand.
        case_kind_supervision_add(
            CaseKind.REPORT,
            urge_statuses=UNIT_OWES_STATUSES,
            escalate_statuses=UNIT_OWES_STATUSES,
            urge=report_urge_recorded,
            label=_("Reporting task"),
            url=lambda case: reverse("reporting:report", args=[case.number]),
            status_labels=dict(StatusChoices.choices),
        )
