from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    # The admin's own login form knows only passwords: everyone logs in through the two-factor login pages.
    path("admin/login/", RedirectView.as_view(pattern_name="web:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("govdesk.api_urls")),
    path("open311/", include("govdesk.open311.urls")),
    path("stats/", include("govdesk.stats.urls")),
    path("supervise/", include("govdesk.supervision.urls")),
    path("ledgers/", include("govdesk.ledgers.urls")),
    path("review/", include("govdesk.review.urls")),
    path("", include("govdesk.evaluations.urls")),
    path("assessment/", include("govdesk.assessment.urls")),
    path("reports/", include("govdesk.reports.urls")),
    path("matters/", include("govdesk.matters.urls")),
    path("permits/", include("govdesk.permits.urls")),
    path("packages/cases/", include("govdesk.packages.urls_staff")),
    path("projects/", include("govdesk.projects.urls_staff")),
    path("reporting/", include("govdesk.reporting.urls")),
    # knowledge/... for staff and public/knowledge/... for citizens, one namespace.
    path("", include("govdesk.knowledge.urls")),
    path("window/packages/", include("govdesk.packages.urls_window")),
    path("apply/packages/", include("govdesk.packages.urls_online")),
    path("window/projects/", include("govdesk.projects.urls_window")),
    path("apply/projects/", include("govdesk.projects.urls_online")),
    # The public guide's packages/<code>/ after packages/cases/ above.
    path("packages/", include("govdesk.packages.urls_guide")),
    path("applications/", include("govdesk.applications.urls")),
    path("window/", include("govdesk.applications.urls_window")),
    path("apply/", include("govdesk.applications.urls_online")),
    path("", include("govdesk.workorders.urls")),
    path("", include("govdesk.web.urls")),
]

handler400 = "govdesk.common.views.bad_request"
handler403 = "govdesk.common.views.permission_denied"
handler404 = "govdesk.common.views.page_not_found"
handler500 = "govdesk.common.views.server_error"
