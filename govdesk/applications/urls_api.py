from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.ApplicationListCreateApi.as_view(), name="api-applications"),
    path("<str:number>/", apis.ApplicationDetailApi.as_view(), name="api-application"),
    path("<str:number>/reveal/", apis.ApplicationRevealApi.as_view(), name="api-application-reveal"),
    path("<str:number>/notices/<int:pk>/", apis.ApplicationNoticeApi.as_view(), name="api-application-notice"),
    path(
        "<str:number>/materials/<str:code>/file/",
        apis.ApplicationMaterialFileApi.as_view(),
        name="api-application-material-file",
    ),
    *[
        path(f"<str:number>/{action.value}/", view.as_view(), name=f"api-application-{action.value}")
        for action, view in apis.ACTION_VIEWS.items()
    ],
    path("<str:number>/<path:name>/", apis.UnknownActionApi.as_view(), name="api-application-unknown-action"),
]
