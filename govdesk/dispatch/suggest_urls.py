from django.urls import path

from . import apis

# Under /api/v1/dispatch/.
urlpatterns = [
    path("suggest/", apis.SuggestApi.as_view(), name="api-dispatch-suggest"),
]
