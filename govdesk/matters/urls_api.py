from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.MatterListApi.as_view(), name="api-matters"),
    path("<str:code>/", apis.MatterDetailApi.as_view(), name="api-matter"),
]
