from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.ProjectListApi.as_view(), name="api-projects"),
    path("<str:code>/", apis.ProjectDetailApi.as_view(), name="api-project"),
    path("<str:code>/stages/<int:no>/apply/", apis.ProjectStageApplyApi.as_view(), name="api-project-stage-apply"),
    path(
        "<str:code>/stages/<int:no>/joint-inspection/",
        apis.ProjectJointScheduleApi.as_view(),
        name="api-project-joint-inspection",
    ),
]
