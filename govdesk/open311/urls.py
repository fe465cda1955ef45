"""GeoReport v2 under /open311/v2/: every resource by format suffix (`.xml` or `.json`)."""

from django.urls import path, re_path

from . import views

app_name = "open311"

FMT = r"\.(?P<fmt>[^/.]+)"

urlpatterns = [
    path("v2/openapi.json", views.openapi, name="openapi"),
    re_path(rf"^v2/discovery{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^v2/services{FMT}$", views.service_list, name="services"),
    re_path(rf"^v2/services/(?P<service_code>[^/]+?){FMT}$", views.service_definition, name="service-definition"),
    re_path(rf"^v2/requests{FMT}$", views.requests, name="requests"),
    re_path(rf"^v2/requests/(?P<service_request_id>[^/]+?){FMT}$", views.request_detail, name="request"),
    re_path(rf"^v2/tokens/(?P<token>[^/]+?){FMT}$", views.token, name="token"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
