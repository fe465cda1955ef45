from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.PackageListApi.as_view(), name="api-packages"),
    path("<str:code>/", apis.PackageDetailApi.as_view(), name="api-package"),
]
