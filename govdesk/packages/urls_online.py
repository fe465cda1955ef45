from django.urls import path

from . import views_online

app_name = "package_online"
urlpatterns = [
    path("", views_online.package_index, name="index"),
    path("mine/<str:number>/", views_online.package_progress, name="mine"),
    path("mine/<str:number>/supplement/", views_online.package_supplement, name="supplement"),
    path("mine/<str:number>/notices/<int:pk>/", views_online.package_notice, name="notice"),
    path("<str:code>/", views_online.package_apply, name="apply"),
]
