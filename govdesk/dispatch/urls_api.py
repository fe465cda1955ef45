from django.urls import include, path

# Each part of smart dispatch routes its own endpoints under /api/v1/dispatch/.
urlpatterns = [
    path("", include("govdesk.dispatch.suggest_urls")),
    path("", include("govdesk.dispatch.duplicates_urls")),
    path("", include("govdesk.dispatch.replies_urls")),
]
