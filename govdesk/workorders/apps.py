from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkordersConfig(AppConfig):
    name = "govdesk.workorders"
    label = "workorders"
    verbose_name = _("12345 work orders")
