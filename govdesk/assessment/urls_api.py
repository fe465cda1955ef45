from django.urls import path

from .apis import AssessmentRankingApi, AssessmentTrendApi

urlpatterns = [
    path("ranking/", AssessmentRankingApi.as_view(), name="assessment-ranking"),
    path("trend/", AssessmentTrendApi.as_view(), name="assessment-trend"),
]
