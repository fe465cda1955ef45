from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.KnowledgeSearchApi.as_view(), name="api-knowledge-search"),
]
