from django.urls import path

from . import views_online

app_name = "project_online"
urlpatterns = [
    path("", views_online.project_index, name="index"),
    path("register/", views_online.project_register, name="register"),
    path("<str:code>/", views_online.project_detail, name="detail"),
    path("<str:code>/stages/<int:no>/", views_online.project_stage_apply, name="stage"),
]
