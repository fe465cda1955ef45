from django.contrib.auth.views import LogoutView
from django.urls import path

from . import login, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", login.GovDeskLoginView.as_view(), name="login"),
    path("login/verify/", login.login_otp, name="login_otp"),
    path("login/enrol/", login.login_enrol, name="login_enrol"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("public/submit/", views.public_submit, name="public_submit"),
    path("public/track/", views.public_track, name="public_track"),
]
