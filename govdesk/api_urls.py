from django.urls import include, path

urlpatterns = [
    path("", include("govdesk.org.urls_api")),
    path("", include("govdesk.catalog.urls_api")),
    path("calendar/", include("govdesk.calendar.urls_api")),
    path("workorders/", include("govdesk.workorders.urls_api")),
    path("dispatch/", include("govdesk.dispatch.urls_api")),
]
