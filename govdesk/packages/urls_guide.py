from django.urls import path

from . import views_guide

app_name = "package_guide"

urlpatterns = [
    path("", views_guide.guide_list, name="list"),
    path("<str:code>/", views_guide.guide_detail, name="detail"),
]
