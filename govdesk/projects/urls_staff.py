from django.urls import path

from . import views_staff

app_name = "project_staff"
urlpatterns = [
    path("", views_staff.project_portfolio, name="portfolio"),
    path("<str:code>/", views_staff.project_detail, name="detail"),
    path("<str:code>/stages/<int:no>/joint/", views_staff.project_joint_schedule, name="joint_schedule"),
]
