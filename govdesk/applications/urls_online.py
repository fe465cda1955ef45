from django.urls import path

from . import views_online

app_name = "online"
urlpatterns = [
    path("", views_online.apply_index, name="index"),
    path("track/", views_online.track, name="track"),
    path("claim/", views_online.claim, name="claim"),
    path("mine/<str:number>/", views_online.my_application, name="mine"),
    path("mine/<str:number>/supplement/", views_online.supplement, name="supplement"),
    path("mine/<str:number>/notices/<int:pk>/", views_online.my_notice, name="notice"),
    path("<str:code>/", views_online.apply_form, name="apply"),
]
