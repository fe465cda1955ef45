from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "govdesk.web"
    label = "web"
