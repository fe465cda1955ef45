from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "govdesk.dispatch"
    label = "dispatch"
    verbose_name = _("Smart dispatch")

    def ready(self) -> None:
        from django.urls import path

        from govdesk.cases.services import case_event_listener_add
        from govdesk.workorders.hooks import page_urls_add

        from . import views
        from .subscribers import dispatch_case_event

        # Duplicate signatures in the order's transaction; suggestion, correction and reply check after commit.
        case_event_listener_add(dispatch_case_event)
        # The supervisor's "reviewed" on a weak reply, from the work-order supervision page (its name is kept).
        page_urls_add(
            path("supervision/replies/<int:pk>/reviewed/", views.reply_check_review, name="reply_check_review")
        )
