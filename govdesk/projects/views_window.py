"""The 工程建设 window's project pages: the clerk finds a project (code or name), registers one for an owner who
comes to the counter, and applies for a stage for them with what they brought (ticked, scanned); the stage's package
application then waits on its package page, where the clerk checks and accepts it as any package.

The online pages with `window` set (views_online.py): the same forms and templates, the clerk acting for the owner."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from govdesk.common.pages import staff_page
from govdesk.org.models import Role

from . import selectors
from .views_online import project_find_for_actor, project_missing, register, render_detail, stage_apply

SEARCH_LIMIT = 30


@staff_page(Role.WINDOW_CLERK)
@require_GET
def project_counter(request: HttpRequest) -> HttpResponse:
    """The projects found by code or name (the newest when nothing is asked), and the way to register one."""
    q = request.GET.get("q", "")[:100].strip()
    found = list(selectors.project_list(user=request.user, filters={"q": q} if q else None)[:SEARCH_LIMIT])
    return render(request, "projects/online/index.html", {"projects": found, "window": True, "q": q})


@staff_page(Role.WINDOW_CLERK)
@require_http_methods(["GET", "POST"])
def project_register(request: HttpRequest) -> HttpResponseBase:
    return register(request, window=True)


@staff_page(Role.WINDOW_CLERK)
@require_GET
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    project = project_find_for_actor(request, code)
    if project is None:
        return project_missing(request, code)
    return render_detail(request, project, window=True)


@staff_page(Role.WINDOW_CLERK)
@require_http_methods(["GET", "POST"])
def project_stage_apply(request: HttpRequest, code: str, no: int) -> HttpResponseBase:
    return stage_apply(request, code, no, window=True)
