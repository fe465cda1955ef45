from django.urls import path

from . import views

app_name = "ledgers"
urlpatterns = [
    path("", views.ledger_index, name="index"),
    path("<str:kind>/", views.ledger_rows_page, name="rows"),
    path("<str:kind>/upload/", views.ledger_upload, name="upload"),
    path("<str:kind>/upload/confirm/", views.ledger_upload_confirm, name="upload_confirm"),
    path("<str:kind>/<int:pk>/", views.ledger_row_page, name="row"),
]
