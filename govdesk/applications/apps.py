from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "govdesk.applications"
    label = "applications"
    verbose_name = _("Applications")

    def ready(self) -> None:
        from govdesk.cases.models import Case, CaseKind
        from govdesk.cases.services import case_citizen_resolver_add

        from .models import Application

        def applicant_of(case: Case) -> int | None:
            # An application registered at the window is created by the clerk; it serves its applicant.
            if isinstance(case, Application):
                return case.applicant_id
            return Application.objects.filter(pk=case.pk).values_list("applicant_id", flat=True).first()

        case_citizen_resolver_add(CaseKind.APPLICATION, applicant_of)
