"""Shared fixtures: a small district, one account per role, the category tree, API clients."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework.test import APIClient

from govdesk.catalog.models import Category, DispatchRule
from govdesk.catalog.services import category_tree_import
from govdesk.org.models import Role, UnitKind
from govdesk.org.tests.factories import UnitFactory, UserFactory

SMALL_TREE = """level1,level2,level3
城乡建设,城市建设和市政管理,市政设施
城乡建设,城市建设和市政管理,园林绿化环卫
城乡建设,住房保障,住房保障
劳动和社会保障,劳动保障,拖欠工资
交通运输,公共交通,公交线路
"""


@pytest.fixture
def district(db: Any) -> SimpleNamespace:
    gov = UnitFactory(code="LS", name="离石区人民政府", kind=UnitKind.GOVERNMENT, accepts_orders=False)
    centre = UnitFactory(
        code="LS-12345", name="12345热线中心", kind=UnitKind.HOTLINE_CENTRE, parent=gov, accepts_orders=False
    )
    dept_a = UnitFactory(code="LS-ZJ", name="区住建局", kind=UnitKind.DEPARTMENT, parent=gov)
    dept_b = UnitFactory(code="LS-RS", name="区人社局", kind=UnitKind.DEPARTMENT, parent=gov)
    street = UnitFactory(
        code="LS-BH", name="滨河街道", kind=UnitKind.STREET, parent=gov, place_names="滨河北路\n永宁路"
    )
    community = UnitFactory(code="LS-BH-01", name="滨河社区", kind=UnitKind.COMMUNITY, parent=street)
    return SimpleNamespace(gov=gov, centre=centre, dept_a=dept_a, dept_b=dept_b, street=street, community=community)


@pytest.fixture
def people(district: SimpleNamespace) -> SimpleNamespace:
    def make(name: str, *roles: Role, unit: Any = None) -> Any:
        return UserFactory(username=name, roles=list(roles), unit=unit)

    return SimpleNamespace(
        operator=make("operator", Role.OPERATOR, unit=district.centre),
        dispatcher=make("dispatcher", Role.DISPATCHER, unit=district.centre),
        supervisor=make("supervisor", Role.SUPERVISOR, unit=district.centre),
        leader=make("leader", Role.LEADER, unit=district.gov),
        handler_a=make("handler_a", Role.HANDLER, unit=district.dept_a),
        handler_b=make("handler_b", Role.HANDLER, unit=district.dept_b),
        street_handler=make("street_handler", Role.HANDLER, unit=district.street),
        unit_admin_a=make("unit_admin_a", Role.UNIT_ADMIN, unit=district.dept_a),
        street_admin=make("street_admin", Role.UNIT_ADMIN, unit=district.street),
        community_handler=make("community_handler", Role.HANDLER, unit=district.community),
        citizen=make("citizen", Role.CITIZEN),
        other_citizen=make("other_citizen", Role.CITIZEN),
        sysadmin=make("sysadmin", Role.SYSADMIN),
        secadmin=make("secadmin", Role.SECADMIN),
        auditor=make("auditor", Role.AUDITOR),
    )


@pytest.fixture
def categories(db: Any, district: SimpleNamespace) -> SimpleNamespace:
    category_tree_import(text=SMALL_TREE, commit=True)
    by_path = {c.path: c for c in Category.objects.all()}
    DispatchRule.objects.create(category=by_path["城乡建设"], unit=district.dept_a)
    DispatchRule.objects.create(category=by_path["城乡建设/城市建设和市政管理"], unit=district.dept_a, by_place=True)
    DispatchRule.objects.create(category=by_path["劳动和社会保障"], unit=district.dept_b)
    return SimpleNamespace(
        facilities=by_path["城乡建设/城市建设和市政管理/市政设施"],
        greening=by_path["城乡建设/城市建设和市政管理/园林绿化环卫"],
        housing=by_path["城乡建设/住房保障/住房保障"],
        wages=by_path["劳动和社会保障/劳动保障/拖欠工资"],
        bus=by_path["交通运输/公共交通/公交线路"],
        branch=by_path["城乡建设/城市建设和市政管理"],
    )


@pytest.fixture
def api_client_for() -> Callable[[Any], APIClient]:
    def make(user: Any = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture(autouse=True)
def _forget_cached_reference_data() -> Any:
    """Rows a test rolled back must not be served to the next one from a per-process cache."""
    from govdesk.calendar.selectors import calendar_invalidate
    from govdesk.common.refcache import reference_caches_invalidate

    reference_caches_invalidate()
    calendar_invalidate()
    yield
    reference_caches_invalidate()
    calendar_invalidate()
