from django.urls import path

from . import apis

# Under /api/v1/.
urlpatterns = [
    path("evaluations/", apis.EvaluationListApi.as_view(), name="api-evaluations"),
    path("rectifications/", apis.RectificationListApi.as_view(), name="api-rectifications"),
    path("rectifications/<str:number>/", apis.RectificationDetailApi.as_view(), name="api-rectification"),
    *[
        path(f"rectifications/<str:number>/{action.value}/", view, name=f"api-rectification-{action.value}")
        for action, view in apis.ACTION_VIEWS.items()
    ],
]
