"""`seed_demo` on the test database: accounts and roles, every status, a real history, an intact audit chain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_chain_verify
from govdesk.cases.models import CaseEvent, ExtensionRequest
from govdesk.catalog.models import DispatchRule
from govdesk.catalog.selectors import street_for_address
from govdesk.common.validators import validate_id_number, validate_phone
from govdesk.demo.people import fake_id_number
from govdesk.org.models import Role, Unit, UnitKind, User
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.states import OPEN_STATUSES, Status

PASSWORD = "Demo-Passw0rd-2026!"
ROLES = {
    "operator": Role.OPERATOR,
    "dispatcher": Role.DISPATCHER,
    "supervisor": Role.SUPERVISOR,
    "handler_a": Role.HANDLER,
    "handler_b": Role.HANDLER,
    "citizen": Role.CITIZEN,
    "sysadmin": Role.SYSADMIN,
    "secadmin": Role.SECADMIN,
    "auditor": Role.AUDITOR,
}


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Seed once for the module, inside a transaction that is rolled back at its end (each test adds a savepoint)."""
    out = StringIO()
    previous = os.environ.get("GOVDESK_DEMO_PASSWORD")
    os.environ["GOVDESK_DEMO_PASSWORD"] = PASSWORD
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            password_file = tmp_path_factory.mktemp("demo") / "pw"
            # Applications and ratings have their own module (test_demo_hall.py), packages test_demo_packages.py.
            options = ["--orders", "60", "--applications", "0", "--ratings", "0", "--packages", "0", "--projects", "0"]
            call_command("seed_demo", *options, "--password-file", str(password_file), stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)
    finally:
        if previous is None:
            os.environ.pop("GOVDESK_DEMO_PASSWORD", None)
        else:
            os.environ["GOVDESK_DEMO_PASSWORD"] = previous


@pytest.fixture
def seeded_db(seeded: str, db: Any) -> str:
    return seeded


def test_accounts_one_per_role_with_the_demo_password(seeded_db: str) -> None:
    for username, role in ROLES.items():
        user = User.objects.get(username=username)
        assert user.roles == {role.value}, username
        assert user.check_password(PASSWORD)
        assert not user.is_superuser
        assert f"{username} " in seeded_db  # printed with the password
    assert PASSWORD in seeded_db
    a, b = User.objects.get(username="handler_a"), User.objects.get(username="handler_b")
    assert a.unit is not None and b.unit is not None
    assert a.unit != b.unit
    assert {a.unit.kind, b.unit.kind} == {UnitKind.DEPARTMENT}


def test_the_three_administrators_are_separate(seeded_db: str) -> None:
    sysadmin, secadmin, auditor = (User.objects.get(username=n) for n in ("sysadmin", "secadmin", "auditor"))
    assert sysadmin.is_staff and secadmin.is_staff and auditor.is_staff
    assert sysadmin.has_perm("catalog.change_category") and sysadmin.has_perm("org.change_unit")
    assert not sysadmin.has_perm("org.change_user") and not sysadmin.has_perm("audit.view_auditevent")
    assert secadmin.has_perm("org.change_user") and secadmin.has_perm("auth.view_group")
    assert not secadmin.has_perm("auth.change_group")  # role groups' permissions are defined in code
    assert not secadmin.has_perm("catalog.change_category") and not secadmin.has_perm("audit.view_auditevent")
    assert auditor.get_all_permissions() == {"audit.view_auditevent"}
    assert not User.objects.filter(is_superuser=True).exists()


def test_district_and_catalogue(seeded_db: str) -> None:
    assert Unit.objects.get(code="LS").kind == UnitKind.GOVERNMENT
    assert Unit.objects.filter(kind=UnitKind.STREET).count() == 12
    assert Unit.objects.filter(kind=UnitKind.COMMUNITY, parent__code="LS-BH").exists()
    binhe = street_for_address("离石区滨河北路18号")
    assert binhe is not None and binhe.code == "LS-BH"
    local = DispatchRule.objects.get(category__path="城乡建设/城市建设和市政管理")
    assert local.by_place and local.unit.code == "LS-CG"
    # Every level-1 category of the tree has a responsible unit.
    assert DispatchRule.objects.filter(category__level=1).count() == 15


def test_every_status_and_situation_is_present(seeded_db: str) -> None:
    orders = WorkOrder.objects.all()
    assert orders.count() == 60
    assert set(orders.values_list("status", flat=True)) == {s.value for s in Status}
    closed = orders.filter(status=Status.CLOSED)
    assert closed.exclude(answer="").exists(), "closed by a direct answer"
    assert closed.filter(visit_resolved=True).exists(), "closed after the return visit"
    assert orders.filter(reopen_count__gt=0).exists()
    assert orders.filter(urge_count__gt=0).exists()
    assert ExtensionRequest.objects.exists()
    assert CaseEvent.objects.filter(action="supervise").exists()
    assert CaseEvent.objects.filter(action="close-with-master").exists() or orders.filter(status=Status.MERGED).exists()


def test_orders_are_valid_and_their_histories_real(seeded_db: str) -> None:
    for order in WorkOrder.objects.select_related("category"):
        assert not order.category.children.exists(), "filed under a leaf"
        assert order.title and order.content and len(order.content) <= 4000
        validate_phone(order.citizen_phone)
        if order.citizen_id_number:
            validate_id_number(order.citizen_id_number)
        assert street_for_address(order.address) is not None, order.address
        events = list(order.events.order_by("id"))
        assert events[0].action == "register" and events[0].occurred_at == order.created_at
        times = [e.occurred_at for e in events]
        assert times == sorted(times)
        assert order.number.startswith(timezone.localtime(order.created_at).strftime("%Y%m%d"))
        assert order.is_open == (order.status in OPEN_STATUSES)
        if order.status in (Status.CLOSED, Status.CANCELLED):
            assert order.closed_at is not None


def test_audit_chain_is_intact_and_in_time_order(seeded_db: str) -> None:
    report = audit_chain_verify()
    assert report.ok, report.reason
    assert report.checked == AuditEvent.objects.count() > 60
    times = list(AuditEvent.objects.order_by("id").values_list("occurred_at", flat=True))
    assert times == sorted(times)


def test_second_run_adds_no_orders_without_force(seeded_db: str, tmp_path: Path) -> None:
    out = StringIO()
    call_command("seed_demo", "--orders", "5", "--password-file", str(tmp_path / "pw"), stdout=out)
    assert WorkOrder.objects.count() == 60
    assert "already present" in out.getvalue()
    assert audit_chain_verify().ok


@pytest.mark.parametrize("seed", range(50))
def test_fake_id_numbers_pass_the_gb11643_check(seed: int) -> None:
    import random

    validate_id_number(fake_id_number(random.Random(seed)))
