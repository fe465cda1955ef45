"""Permits issued the way the platform issues them: an application approved through the applications' services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.apps import apps

from govdesk.applications import services as application_services
from govdesk.applications.models import Application
from govdesk.applications.states import Status
from govdesk.applications.tests.factories import make_application
from govdesk.common import clock
from govdesk.permits import hooks
from govdesk.permits.models import Permit


def handling(hall: SimpleNamespace, people: SimpleNamespace, **overrides: Any) -> Application:
    return make_application(hall, people, Status.HANDLING, **overrides)


def approved_permit(
    hall: SimpleNamespace, people: SimpleNamespace, *, result_number: str = "", **overrides: Any
) -> Permit:
    application = handling(hall, people, **overrides)
    application_services.application_approve(
        application=application.number, actor=people.handler_a, result_number=result_number
    )
    return Permit.objects.get(case_id=application.pk)


def project(code: str = "2026-141102-47-01-000123", owner: str = "吕梁城建开发有限公司") -> Any:
    """A project row made directly (the projects app is above this one: reached through the app registry)."""
    project_type = apps.get_model("projects", "ProjectType").objects.get_or_create(
        code="small", defaults={"name": "小型低风险社会投资项目", "total_limit_days": 15}
    )[0]
    return apps.get_model("projects", "Project").objects.create(
        code=code,
        name="滨河物流仓库",
        type=project_type,
        owner=owner,
        contact_name="王工",
        investment=Decimal("800.00"),
        location="滨河北路18号",
        registered_at=clock.now(),
    )


@contextmanager
def terms_provider(fn: hooks.PermitTermsProvider) -> Iterator[None]:
    """Register `fn` for the test only (the real providers, if any, are kept and restored)."""
    saved = list(hooks._PROVIDERS)
    hooks._PROVIDERS[:] = [fn]
    try:
        yield
    finally:
        hooks._PROVIDERS[:] = saved
