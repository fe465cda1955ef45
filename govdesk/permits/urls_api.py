from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.PermitListApi.as_view(), name="api-permits"),
]
