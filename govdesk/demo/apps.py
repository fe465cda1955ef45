from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "govdesk.demo"
    label = "demo"
    verbose_name = "Demo data"
