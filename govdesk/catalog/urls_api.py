from django.urls import path

from . import apis

urlpatterns = [
    path("categories/", apis.CategoryListApi.as_view(), name="api-categories"),
    path("request-types/", apis.RequestTypeListApi.as_view(), name="api-request-types"),
]
