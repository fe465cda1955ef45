"""URLs of govdesk.settings.bench: the product's, plus the bare endpoint of bench/bare.py (never in the product)."""

from django.urls import include, path

from bench.bare import BareInsertApi

urlpatterns = [
    path("bench/bare/", BareInsertApi.as_view(), name="bench-bare"),
    path("", include("govdesk.urls")),
]

handler400 = "govdesk.common.views.bad_request"
handler403 = "govdesk.common.views.permission_denied"
handler404 = "govdesk.common.views.page_not_found"
handler500 = "govdesk.common.views.server_error"
