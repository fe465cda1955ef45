from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("orders.xlsx", views.orders_xlsx, name="orders_xlsx"),
    path("applications.xlsx", views.applications_xlsx, name="applications_xlsx"),
    path("exports/", views.exports, name="exports"),
    path("exports/<str:job_pk>/download", views.export_download, name="export_download"),
    path("stats.xlsx", views.stats_xlsx, name="stats_xlsx"),
    path("assessment.xlsx", views.assessment_xlsx, name="assessment_xlsx"),
    path("monthly/<str:month>.xlsx", views.monthly_xlsx, name="monthly_xlsx"),
    path("monthly/<str:month>.pdf", views.monthly_pdf, name="monthly_pdf"),
]
