from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """API tokens and two-factor login: the layer above the accounts (org) that reacts to their changes."""

    name = "govdesk.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (connect the receivers, register the checks)
