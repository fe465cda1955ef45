from django.urls import path

from .apis import StatsOverviewApi

urlpatterns = [
    path("overview/", StatsOverviewApi.as_view(), name="stats-overview"),
]
