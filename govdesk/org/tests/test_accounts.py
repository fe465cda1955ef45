from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from govdesk.audit.models import AuditEvent
from govdesk.common.errors import ValidationFailed
from govdesk.org.models import Role, User
from govdesk.org.services import role_groups_sync, user_create

pytestmark = pytest.mark.django_db
STRONG = "Lishi-Hotline-2026"


def test_every_role_has_a_group_after_migrate() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_the_three_administrators_hold_disjoint_powers() -> None:
    role_groups_sync()
    perms = {
        role: set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        for role in (Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR)
    }
    assert "change_category" in perms[Role.SYSADMIN] and "change_user" not in perms[Role.SYSADMIN]
    assert "change_user" in perms[Role.SECADMIN] and "view_auditevent" not in perms[Role.SECADMIN]
    assert perms[Role.AUDITOR] == {"view_auditevent"}
    assert not perms[Role.SYSADMIN] & perms[Role.SECADMIN]


def test_user_create_audits_and_grants_admin_site_only_to_admin_roles() -> None:
    admin = user_create(username="sec1", password=STRONG, roles=[Role.SECADMIN])
    handler = user_create(username="h1", password=STRONG, roles=[Role.HANDLER])
    assert admin.is_staff and not admin.is_superuser and not handler.is_staff
    assert AuditEvent.objects.filter(action="account.create", object_id="sec1").exists()


@pytest.mark.parametrize(
    ("password", "roles"),
    [("short1A!", [Role.HANDLER]), ("alllowercaseletters", [Role.HANDLER]), (STRONG, [Role.SECADMIN, Role.AUDITOR])],
)
def test_user_create_refuses_weak_passwords_and_combined_admin_roles(password: str, roles: list[str]) -> None:
    with pytest.raises(ValidationFailed):
        user_create(username="x", password=password, roles=roles)
    assert not User.objects.filter(username="x").exists()


def test_account_create_command(monkeypatch: Any) -> None:
    monkeypatch.setenv("GOVDESK_NEW_PASSWORD", STRONG)
    call_command("account_create", "audit1", "--role", "auditor")
    assert User.objects.get(username="audit1").has_role(Role.AUDITOR)
    with pytest.raises(CommandError):
        call_command("account_create", "audit1", "--role", "auditor")
