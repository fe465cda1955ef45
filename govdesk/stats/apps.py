from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "govdesk.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from govdesk.cases.services import case_event_listener_add

        from .services import stats_case_event

        # Facts and rollups change in the same transaction as the order (see services.py); a fact is rebuilt from the
        # case's current state, so an action recording many events on a case refreshes it once (coalesce).
        case_event_listener_add(stats_case_event, coalesce=True)
