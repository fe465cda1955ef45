from django.urls import path

from . import apis
from .states import CaseAction

# Under /api/v1/supervision/.
urlpatterns = [
    path("cases/", apis.CaseListApi.as_view(), name="api-supervision-cases"),
    path("cases/<int:pk>/", apis.CaseDetailApi.as_view(), name="api-supervision-case"),
    *[
        path(
            f"cases/<int:pk>/{action.value}/",
            apis.case_action_view(action),
            name=f"api-supervision-case-{action.value}",
        )
        for action in CaseAction
    ],
    path("urges/", apis.UrgeApi.as_view(), name="api-supervision-urges"),
    path("escalations/<int:pk>/handle/", apis.EscalationHandleApi.as_view(), name="api-supervision-escalation-handle"),
    path("worklist/", apis.WorklistApi.as_view(), name="api-supervision-worklist"),
    path("watch/", apis.WatchApi.as_view(), name="api-supervision-watch"),
]
