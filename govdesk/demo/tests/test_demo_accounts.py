"""The demo's one-window accounts and `demo_accounts`: the service hall, `clerk` and `applicant`, and a list in which
a tester finds the handler of every unit. Seeded once for the module without work orders (`--orders 0`), so it is
cheap; the rest of the seed is covered by test_seed_demo.py."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from govdesk.org.models import Role, Unit, UnitKind, User

PASSWORD = "Demo-Passw0rd-2026!"


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Units and accounts only, inside a transaction rolled back at the module's end."""
    out = StringIO()
    previous = os.environ.get("GOVDESK_DEMO_PASSWORD")
    os.environ["GOVDESK_DEMO_PASSWORD"] = PASSWORD
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            password_file = tmp_path_factory.mktemp("demo") / "pw"
            call_command("seed_demo", "--orders", "0", "--password-file", str(password_file), stdout=out)
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


def _listed() -> list[dict[str, Any]]:
    out = StringIO()
    call_command("demo_accounts", "--json", stdout=out)
    parsed: list[dict[str, Any]] = json.loads(out.getvalue())
    return parsed


# Before any test that seeds: the module's seed stays in place until the module ends.
@pytest.mark.django_db
def test_demo_accounts_on_an_empty_database_says_so() -> None:
    assert _listed() == []
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    assert "seed_demo" in out.getvalue()


def test_the_service_hall_is_a_department_of_the_government_that_takes_no_orders(seeded_db: str) -> None:
    hall = Unit.objects.get(code="LS-ZWFW")
    assert hall.name == "区政务服务中心"
    assert hall.kind == UnitKind.DEPARTMENT
    assert hall.accepts_orders is False
    assert hall.parent is not None and hall.parent.code == "LS" and hall.parent.kind == UnitKind.GOVERNMENT
    # It takes no orders, so it gets no handler of its own.
    assert not User.objects.filter(username="handler_zwfw").exists()


def test_clerk_and_applicant_have_their_roles_and_the_demo_password(seeded_db: str) -> None:
    clerk, applicant = User.objects.get(username="clerk"), User.objects.get(username="applicant")
    assert clerk.roles == {Role.WINDOW_CLERK.value}
    assert clerk.unit is not None and clerk.unit.code == "LS-ZWFW"
    assert applicant.roles == {Role.CITIZEN.value}
    assert applicant.unit is None
    for user in (clerk, applicant):
        assert user.check_password(PASSWORD)
        assert not user.is_superuser
        assert f"{user.username} " in seeded_db  # in the seed's printed list of accounts


def test_an_existing_service_hall_is_left_as_it_is(seeded_db: str, tmp_path: Any) -> None:
    Unit.objects.filter(code="LS-ZWFW").update(name="离石区政务服务中心", sort_order=7)
    call_command("seed_demo", "--orders", "0", "--password-file", str(tmp_path / "pw"), stdout=StringIO())
    hall = Unit.objects.get(code="LS-ZWFW")
    assert (hall.name, hall.sort_order) == ("离石区政务服务中心", 7)
    assert User.objects.get(username="clerk").unit == hall


def test_demo_accounts_json_lists_every_account_with_role_and_unit_code(seeded_db: str) -> None:
    listed = _listed()
    assert all(set(row) == {"username", "role", "unit"} for row in listed)
    by_name = {row["username"]: row for row in listed}
    assert by_name["clerk"] == {"username": "clerk", "role": "window_clerk", "unit": "LS-ZWFW"}
    assert by_name["applicant"] == {"username": "applicant", "role": "citizen", "unit": None}
    assert by_name["operator"]["unit"] == "LS-12345"
    assert by_name["sysadmin"]["unit"] is None
    # The handler of every unit that takes orders is in the list, under that unit's code.
    handled = {row["unit"] for row in listed if row["role"] == Role.HANDLER.value}
    takers = set(
        Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET], accepts_orders=True).values_list(
            "code", flat=True
        )
    )
    assert takers and takers <= handled
    # Every listed account exists with exactly that role and unit.
    for row in listed:
        user = User.objects.select_related("unit").get(username=row["username"])
        assert user.roles == {row["role"]}
        assert (user.unit.code if user.unit else None) == row["unit"]


def test_demo_accounts_lists_what_is_in_the_database_not_what_was_planned(seeded_db: str) -> None:
    User.objects.filter(username="applicant").delete()
    User.objects.filter(username="handler_a").update(unit=Unit.objects.get(code="LS-RS"))
    by_name = {row["username"]: row for row in _listed()}
    assert "applicant" not in by_name
    assert by_name["handler_a"]["unit"] == "LS-RS"


def test_demo_accounts_without_json_is_a_table(seeded_db: str) -> None:
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["username", "role", "unit"]
    clerk = next(line for line in lines if line.startswith("clerk "))
    assert "window_clerk" in clerk and "LS-ZWFW" in clerk and "区政务服务中心" in clerk
    assert PASSWORD not in out.getvalue()
