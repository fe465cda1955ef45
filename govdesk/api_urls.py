from django.urls import include, path

urlpatterns = [
    path("", include("govdesk.security.urls_api")),
    path("", include("govdesk.org.urls_api")),
    path("", include("govdesk.catalog.urls_api")),
    path("matters/", include("govdesk.matters.urls_api")),
    path("packages/", include("govdesk.packages.urls_api")),
    path("permits/", include("govdesk.permits.urls_api")),
    path("project-types/", include("govdesk.projects.urls_api_types")),
    path("projects/", include("govdesk.projects.urls_api")),
    path("calendar/", include("govdesk.calendar.urls_api")),
    # Smart dispatch's sub-resources of an order (similar orders) first: the work orders' catch-all comes last.
    path("workorders/", include("govdesk.dispatch.workorder_urls_api")),
    path("workorders/", include("govdesk.workorders.urls_api")),
    path("applications/", include("govdesk.applications.urls_api")),
    path("dispatch/", include("govdesk.dispatch.urls_api")),
    path("stats/", include("govdesk.stats.urls_api")),
    path("supervision/", include("govdesk.supervision.urls_api")),
    path("", include("govdesk.evaluations.urls_api")),
    path("assessment/", include("govdesk.assessment.urls_api")),
    path("reports/", include("govdesk.reports.urls_api")),
    path("knowledge/", include("govdesk.knowledge.urls_api")),
]
