from django.urls import path

from . import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="api-me"),
    path("units/", apis.UnitListApi.as_view(), name="api-units"),
]
