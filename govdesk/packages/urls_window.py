from django.urls import path

from . import views_window

app_name = "package_window"
urlpatterns = [
    path("", views_window.package_counter, name="counter"),
    path("lookup/", views_window.package_lookup, name="lookup"),
    path("register/<str:code>/", views_window.package_register, name="register"),
]
