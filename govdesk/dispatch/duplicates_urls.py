from django.urls import path

from . import apis_duplicates

# Under /api/v1/dispatch/. The per-order route /api/v1/workorders/{number}/similar/ is in workorder_urls_api.py.
urlpatterns = [
    path("duplicates/", apis_duplicates.DuplicatesApi.as_view(), name="api-dispatch-duplicates"),
    path("hotspots/", apis_duplicates.HotspotsApi.as_view(), name="api-dispatch-hotspots"),
]
