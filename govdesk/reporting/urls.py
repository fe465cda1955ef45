from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.reporting_index, name="index"),
    path("tasks/new/", views.reporting_task_new, name="task_new"),
    path("<str:number>/", views.reporting_report, name="report"),
    path("<str:number>/template.xlsx", views.reporting_report_workbook, name="report_workbook"),
]
