from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "govdesk.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from govdesk.workorders.hooks import action_service_provide
        from govdesk.workorders.states import Action

        from .services import supervision_supervise_action

        # The order's 督办 action opens a supervision case (or adds the note to the open one).
        action_service_provide(Action.SUPERVISE, supervision_supervise_action)
