from django.urls import path

from . import views_window

app_name = "project_window"
urlpatterns = [
    path("", views_window.project_counter, name="index"),
    path("register/", views_window.project_register, name="register"),
    path("<str:code>/", views_window.project_detail, name="detail"),
    path("<str:code>/stages/<int:no>/", views_window.project_stage_apply, name="stage"),
]
