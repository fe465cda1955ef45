from django.urls import path

from . import views

app_name = "matters"

urlpatterns = [
    path("", views.guide_list, name="guide_list"),
    path("<str:code>/", views.guide_detail, name="guide_detail"),
]
