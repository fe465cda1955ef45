from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.WorkOrderListCreateApi.as_view(), name="api-workorders"),
    path("lookup/", apis.WorkOrderLookupApi.as_view(), name="api-workorder-lookup"),
    path("<str:number>/", apis.WorkOrderDetailApi.as_view(), name="api-workorder"),
    path("<str:number>/reveal/", apis.WorkOrderRevealApi.as_view(), name="api-workorder-reveal"),
    path("<str:number>/attachments/<int:pk>/", apis.WorkOrderAttachmentApi.as_view(), name="api-workorder-attachment"),
    *[
        path(f"<str:number>/{action.value}/", view.as_view(), name=f"api-workorder-{action.value}")
        for action, view in apis.ACTION_VIEWS.items()
    ],
    # Sub-resources of an order that the apps above serve (smart dispatch: similar/) are routed before this
    # include in api_urls.py, so this catch-all never hides them.
    path("<str:number>/<path:name>/", apis.UnknownActionApi.as_view(), name="api-workorder-unknown-action"),
]
