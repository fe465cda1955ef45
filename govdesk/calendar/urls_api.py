from django.urls import path

from . import apis

urlpatterns = [
    path("deadline/", apis.DeadlineApi.as_view(), name="api-calendar-deadline"),
]
