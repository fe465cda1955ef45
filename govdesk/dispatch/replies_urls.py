from django.urls import path

from . import apis_replies

# Under /api/v1/dispatch/: the reply check.
urlpatterns = [
    path("replies/check/", apis_replies.ReplyCheckApi.as_view(), name="api-dispatch-reply-check"),
    path("replies/weak/", apis_replies.WeakRepliesApi.as_view(), name="api-dispatch-replies-weak"),
    path("replies/<int:pk>/review/", apis_replies.ReplyReviewApi.as_view(), name="api-dispatch-reply-review"),
]
