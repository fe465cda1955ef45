from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "govdesk.common"
    label = "common"
