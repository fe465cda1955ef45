from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("", views.application_list, name="list"),
    path("<str:number>/", views.application_detail, name="detail"),
    path("<str:number>/actions/<str:action>/", views.application_action, name="action"),
    path("<str:number>/notices/<int:pk>/", views.notice_download, name="notice"),
]
