from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "govdesk.projects"
    label = "projects"
    verbose_name = _("Construction project approval")

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_save

        from govdesk.cases.services import case_event_listener_add
        from govdesk.packages.models import Package
        from govdesk.permits.hooks import permit_terms_provide

        from .models import FlowStage
        from .participation import on_flow_stage_saved, on_flow_stage_saving, on_package_saved, on_package_saving
        from .services import project_permit_terms
        from .subscribers import project_case_listener

        # A stage's package and its parts move the stage, the joint acceptance and the clocks.
        case_event_listener_add(project_case_listener)
        # A stage's approvals issue the flow's documents under the project (告知承诺, joint acceptance).
        permit_terms_provide(project_permit_terms)
        # A stage's lead unit changed: the units taking part in its projects follow (participation.py).
        pre_save.connect(on_package_saving, sender=Package, dispatch_uid="projects_participation_package")
        post_save.connect(on_package_saved, sender=Package, dispatch_uid="projects_participation_package")
        pre_save.connect(on_flow_stage_saving, sender=FlowStage, dispatch_uid="projects_participation_flow_stage")
        post_save.connect(on_flow_stage_saved, sender=FlowStage, dispatch_uid="projects_participation_flow_stage")
