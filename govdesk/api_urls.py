from django.urls import include, path

urlpatterns = [
    path("", include("govdesk.security.urls_api")),
    path("", include("govdesk.org.urls_api")),
    path("", include("govdesk.catalog.urls_api")),
    path("calendar/", include("govdesk.calendar.urls_api")),
    path("workorders/", include("govdesk.workorders.urls_api")),
    path("dispatch/", include("govdesk.dispatch.urls_api")),
    path("stats/", include("govdesk.stats.urls_api")),
    path("supervision/", include("govdesk.supervision.urls_api")),
    path("assessment/", include("govdesk.assessment.urls_api")),
    path("reports/", include("govdesk.reports.urls_api")),
]
