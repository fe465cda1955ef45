from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.GovDeskLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("public/submit/", views.public_submit, name="public_submit"),
    path("public/track/", views.public_track, name="public_track"),
]
