from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "govdesk.catalog"
    label = "catalog"
    verbose_name = _("Catalogue and policies")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import models, selectors

        # Cache busting only: a saved or deleted row must not be served from this process's copy.
        for model, cache in (
            (models.Category, selectors.categories_cached),
            (models.RequestType, selectors.request_types_cached),
            (models.TimeLimitPolicy, selectors.policies_cached),
            (models.Category, selectors.policies_cached),
        ):
            post_save.connect(cache.invalidate, sender=model, weak=False)
            post_delete.connect(cache.invalidate, sender=model, weak=False)
