"""Smart dispatch's pages. Its pieces of the work-order pages are template tags (`templatetags/dispatch_replies.py`);
this is the one form they post to, served under its old name `workorders:reply_check_review` (see `apps.py`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govdesk.common.errors import ApplicationError
from govdesk.common.pages import application_error_page, client_ip, next_url, staff_page
from govdesk.org.models import Role

from . import replycheck


@staff_page(Role.SUPERVISOR)
@require_POST
def reply_check_review(request: HttpRequest, pk: int) -> HttpResponse:
    """督办: a supervisor has reviewed a weak reply before the return visit (the service audits it)."""
    try:
        replycheck.reply_check_mark_reviewed(
            assessment_id=pk, actor=request.user, note=request.POST.get("note", ""), ip_address=client_ip(request)
        )
    except ApplicationError as exc:
        return application_error_page(request, exc)
    messages.success(request, _("The reply check is marked as reviewed."))
    return redirect(next_url(request, reverse("workorders:supervision")))
