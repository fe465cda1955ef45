from django.urls import path

from . import views_staff

app_name = "package_staff"
urlpatterns = [
    path("", views_staff.package_case_list, name="list"),
    path("<str:number>/", views_staff.package_case_detail, name="detail"),
    path("<str:number>/actions/<str:action>/", views_staff.package_case_action, name="action"),
    path("<str:number>/parts/<str:matter>/urge/", views_staff.package_part_urge, name="urge"),
    path("<str:number>/notices/<int:pk>/", views_staff.package_notice_download, name="notice"),
]
