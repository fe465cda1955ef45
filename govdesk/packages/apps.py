from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PackagesConfig(AppConfig):
    name = "govdesk.packages"
    label = "packages"
    verbose_name = _("One thing, done once")

    def ready(self) -> None:
        from govdesk.applications.hooks import application_lock_first_provide, case_api_provide
        from govdesk.cases.models import Case, CaseKind
        from govdesk.cases.services import case_citizen_resolver_add, case_event_listener_add

        from .case_apis import PACKAGE_CASE_API
        from .case_services import package_lock_for_part
        from .models import PackageApplication
        from .subscribers import package_part_listener

        # A part's decision moves its package on (starts, cancels, derives the status).
        case_event_listener_add(package_part_listener)
        # A part's own services lock its package before the part (one lock order: package → part).
        application_lock_first_provide(package_lock_for_part)
        # `POST /api/v1/applications/` with "package", and a package's number under /api/v1/applications/.
        case_api_provide(PACKAGE_CASE_API)

        def applicant_of(case: Case) -> int | None:
            # A package registered at the window is created by the clerk; it serves its applicant (好差评).
            if isinstance(case, PackageApplication):
                return case.applicant_id
            return PackageApplication.objects.filter(pk=case.pk).values_list("applicant_id", flat=True).first()

        case_citizen_resolver_add(CaseKind.PACKAGE, applicant_of)
