from django.urls import path

from . import hooks, views

app_name = "workorders"
urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/history/", views.console_history, name="console_history"),
    path("dispatch/", views.dispatch_queue, name="dispatch_queue"),
    path("inbox/", views.inbox, name="inbox"),
    path("supervision/", views.supervision, name="supervision"),
    path("visits/", views.visits, name="visits"),
    path("orders/", views.order_list, name="list"),
    path("orders/<str:number>/", views.order_detail, name="detail"),
    path("orders/<str:number>/actions/<str:action>/", views.order_action, name="action"),
    path("orders/<str:number>/reveal/", views.order_reveal, name="reveal"),
    path("orders/<str:number>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    # Pieces of these pages that the apps above own (smart dispatch: "reply_check_review"), from their ready().
    *hooks.PAGE_URLS,
]
