from django.urls import path

from . import apis

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view(), name="api-token"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="api-logout"),
]
