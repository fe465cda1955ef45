from django.urls import path

from . import views

app_name = "permits"

urlpatterns = [
    path("", views.registry, name="registry"),
    path("verify/", views.verify, name="verify"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
