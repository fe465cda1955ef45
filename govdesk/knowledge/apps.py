from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "govdesk.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from govdesk.cases.models import CaseKind
        from govdesk.cases.services import case_kind_supervision_add
        from govdesk.workorders.hooks import action_service_provide
        from govdesk.workorders.states import Action

        from .models import StatusChoices
        from .services import knowledge_answer, knowledge_revision_urge_recorded, knowledge_revision_url
        from .states import UNIT_OWES_STATUSES

        # The supervision sweep urges and escalates a revision the unit still owes after its deadline (an expiry
        # review past the answer's last valid day, a new article past its ten working days), as any case.
        case_kind_supervision_add(
            CaseKind.KNOWLEDGE,
            urge_statuses=UNIT_OWES_STATUSES,
            escalate_statuses=UNIT_OWES_STATUSES,
            urge=knowledge_revision_urge_recorded,
            label=_("Knowledge article revision"),
            url=knowledge_revision_url,
            status_labels=dict(StatusChoices.choices),
        )
        # The work order's direct answer may cite an article: this app's service runs the "answer" action.
        action_service_provide(Action.ANSWER, knowledge_answer)
