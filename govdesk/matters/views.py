"""Public guide pages (办事指南): the catalogue and one page per matter, no login, printable."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from govdesk.common.errors import NotFound

from . import selectors
from .models import MatterMaterial, MatterType

GUIDE_PAGE_SIZE = 30


@require_GET
def guide_list(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:50]
    unit_code = (request.GET.get("unit") or "").strip()[:32]
    matters = selectors.matter_list(q=query, unit_code=unit_code).select_related("current_version__unit")
    page = Paginator(matters, GUIDE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "matters/guide_list.html",
        {"page": page, "q": query, "unit": unit_code},
    )


@require_GET
def guide_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        version = selectors.matter_get(code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    materials = MatterMaterial.objects.filter(version=version).order_by("order", "code")
    return render(
        request,
        "matters/guide_detail.html",
        {
            "version": version,
            "matter": version.matter,
            "materials": materials,
            "type_label": MatterType(version.type).label,
        },
    )
