from typing import Any

from django.apps import AppConfig, apps
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "govdesk.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import receivers

        receivers.connect()
        post_migrate.connect(_sync_roles, dispatch_uid="org.sync_roles")


def _sync_roles(app_config: Any = None, **kwargs: Any) -> None:
    # Role groups are reference data every deployment needs. Their permissions exist only once every app's post-migrate
    # step has created them (and the administrator roles hold permissions of apps before and after this one), so
    # sync after the last app's. This receiver is connected before auth's (org comes first in INSTALLED_APPS), so the
    # last app's own permissions are created here first (idempotent: auth's receiver then finds them).
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if with_models and app_config is not with_models[-1]:
        return
    from django.contrib.auth.management import create_permissions

    from .services import role_groups_sync

    create_permissions(
        app_config, verbosity=0, using=kwargs.get("using", DEFAULT_DB_ALIAS), apps=kwargs.get("apps", apps)
    )

    role_groups_sync()
