from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("unit/", views.unit_cases, name="unit"),
    path("cases/open/", views.case_open, name="case_open"),
    path("urge/", views.case_urge, name="case_urge"),
    path("cases/<int:pk>/<str:action>/", views.case_action, name="case_action"),
    path("escalations/<int:pk>/handle/", views.escalation_handle, name="escalation_handle"),
]
