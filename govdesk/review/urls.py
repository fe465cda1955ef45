from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.review_index, name="index"),
    path("templates/<int:template_id>/", views.review_template_edit, name="template_edit"),
    path("<int:year>/", views.review_year, name="year"),
    path("<int:year>/figures/<str:code>/", views.review_figure, name="figure"),
    path("<int:year>/preview/<int:template_id>/", views.review_preview, name="preview"),
    path("<int:year>/<str:filename>", views.review_download, name="download"),
]
