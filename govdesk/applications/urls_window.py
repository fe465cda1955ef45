from django.urls import path

from . import views_window

app_name = "window"
urlpatterns = [
    path("", views_window.counter, name="counter"),
    path("ticket/", views_window.ticket_kiosk, name="kiosk"),
    path("display/", views_window.call_display, name="display"),
    path("display/data/", views_window.call_display_data, name="display_data"),
    path("tickets/<str:action>/", views_window.ticket_action, name="ticket_action"),
    path("matters/", views_window.matter_lookup, name="matter_lookup"),
    path("register/<str:code>/", views_window.register, name="register"),
    path("applications/<str:number>/materials/", views_window.materials_supplement, name="materials"),
]
