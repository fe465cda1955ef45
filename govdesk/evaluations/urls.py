from django.urls import path

from . import views

app_name = "evaluations"
urlpatterns = [
    path("rate/pad/", views.pad, name="pad"),
    path("rate/case/<str:number>/", views.citizen_rate, name="citizen"),
    path("rate/<str:token>/", views.link_rate, name="link"),
    path("evaluations/", views.rates, name="rates"),
    path("evaluations/verify/", views.worklist, name="worklist"),
    path("evaluations/unit/", views.unit_inbox, name="unit"),
    path("evaluations/rectifications/<str:number>/", views.rectification_detail, name="rectification"),
    path(
        "evaluations/rectifications/<str:number>/<str:action>/",
        views.rectification_action,
        name="rectification_action",
    ),
]
