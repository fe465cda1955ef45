from django.contrib import admin

from govdesk.common.admin import ReadOnlyAdmin

from .models import Article, ArticleVersion


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    """Articles change only through the services (revisions, publication, withdrawal: timeline and audit)."""

    list_display = ("code", "unit", "current", "is_withdrawn", "use_count", "updated_at")
    list_filter = ("is_withdrawn",)
    search_fields = ("code",)


@admin.register(ArticleVersion)
class ArticleVersionAdmin(ReadOnlyAdmin):
    """Published versions, append-only."""

    list_display = ("article", "number", "title", "valid_from", "valid_to", "published_at", "published_by")
    search_fields = ("article__code", "title")
