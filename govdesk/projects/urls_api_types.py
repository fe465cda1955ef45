from django.urls import path

from . import apis_types

urlpatterns = [
    path("", apis_types.ProjectTypeListApi.as_view(), name="api-project-types"),
    path("<str:code>/", apis_types.ProjectTypeDetailApi.as_view(), name="api-project-type"),
]
