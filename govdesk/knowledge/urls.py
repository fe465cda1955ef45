"""The knowledge pages: staff under /knowledge/, citizens under /public/knowledge/ (one namespace, `knowledge`)."""

from django.urls import path

from . import views

app_name = "knowledge"
urlpatterns = [
    path("knowledge/", views.article_list, name="article_list"),
    path("knowledge/new/", views.article_new, name="article_new"),
    # Before <code>/: revision numbers (ZX…) and article codes (ZS…) never meet, but "revisions" is a word.
    path("knowledge/revisions/", views.revision_list, name="revision_list"),
    path("knowledge/revisions/<str:number>/", views.revision_detail, name="revision_detail"),
    path("knowledge/<str:code>/", views.article_detail, name="article_detail"),
    path("public/knowledge/", views.public_list, name="public_list"),
    path("public/knowledge/<str:code>/", views.public_detail, name="public_detail"),
]
