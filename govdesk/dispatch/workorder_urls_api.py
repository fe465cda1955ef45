from django.urls import path

from . import apis_duplicates

# Under /api/v1/workorders/ (api_urls.py includes this before the work orders' own routes).
urlpatterns = [
    path("<str:number>/similar/", apis_duplicates.WorkOrderSimilarApi.as_view(), name="api-workorder-similar"),
]
