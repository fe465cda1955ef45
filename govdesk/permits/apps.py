from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PermitsConfig(AppConfig):
    name = "govdesk.permits"
    label = "permits"
    verbose_name = _("Permit registry")

    def ready(self) -> None:
        from govdesk.cases.services import case_event_listener_add

        from .subscribers import permit_on_approval

        # An approval issues its permit in its own transaction (平台之外无审批).
        case_event_listener_add(permit_on_approval)
