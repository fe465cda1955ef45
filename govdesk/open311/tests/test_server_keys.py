"""API keys: hashed at rest, shown once, revocable; the command, the admin and the audit trail."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from govdesk.audit.models import AuditEvent
from govdesk.common.errors import NotFound, ValidationFailed
from govdesk.open311.models import ApiKey
from govdesk.open311.selectors import api_key_authenticate
from govdesk.open311.services import api_key_create, api_key_ensure, api_key_revoke

pytestmark = pytest.mark.django_db


def test_the_key_is_stored_only_as_its_sha256_with_a_prefix_for_display() -> None:
    key, raw = api_key_create(name="城管通")
    assert len(raw) >= 32
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert key.prefix == raw[:8]
    assert not ApiKey.objects.filter(key_hash=raw).exists()
    assert api_key_authenticate(raw) == key
    assert api_key_authenticate(raw + "x") is None
    assert api_key_authenticate("") is None


def test_creating_and_revoking_are_audited_and_a_revoked_key_no_longer_authenticates() -> None:
    _key, raw = api_key_create(name="app")
    api_key_revoke(name="app")
    assert api_key_authenticate(raw) is None
    actions = list(AuditEvent.objects.filter(object_type="open311_key").values_list("action", flat=True))
    assert actions == ["open311.key-create", "open311.key-revoke"]
    with pytest.raises(NotFound):
        api_key_revoke(name="nobody")


@pytest.mark.parametrize("name", ["", "   ", "a\x00b", "x" * 101])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationFailed):
        api_key_create(name=name)


def test_names_and_keys_are_unique() -> None:
    api_key_create(name="app", raw_key="same-key-123")
    with pytest.raises(ValidationFailed):
        api_key_create(name="app")
    with pytest.raises(ValidationFailed):
        api_key_create(name="other", raw_key="same-key-123")
    with pytest.raises(ValidationFailed):
        api_key_create(name="short", raw_key="short")


def test_ensure_is_idempotent_and_replaces_a_changed_demo_key() -> None:
    first = api_key_ensure(name="demo", raw_key="demo-key-one")
    assert api_key_ensure(name="demo", raw_key="demo-key-one").pk == first.pk
    api_key_ensure(name="demo", raw_key="demo-key-two")
    assert api_key_authenticate("demo-key-one") is None
    assert api_key_authenticate("demo-key-two").pk == first.pk  # type: ignore[union-attr]
    assert ApiKey.objects.count() == 1


def test_the_command_creates_lists_and_revokes() -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("open311_key", "create", "FixMyStreet", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert api_key_authenticate(raw) is not None
    assert raw not in err.getvalue()
    listing = io.StringIO()
    call_command("open311_key", "list", stdout=listing)
    assert "FixMyStreet" in listing.getvalue() and raw[:8] in listing.getvalue() and raw not in listing.getvalue()
    call_command("open311_key", "revoke", "FixMyStreet", stdout=io.StringIO())
    assert api_key_authenticate(raw) is None
    with pytest.raises(CommandError):
        call_command("open311_key", "revoke", "nobody", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("open311_key", "create", "x", "--unit", "NOPE", stdout=io.StringIO())


def test_the_admin_shows_a_new_key_once(people: Any) -> None:
    from govdesk.org.tests.factories import login_verified

    # The system administrator configures integrations; there is no superuser (org migration 0002).
    client = Client()
    login_verified(client, people.sysadmin)
    response = client.post("/admin/open311/apikey/add/", {"name": "街道APP"}, follow=True)
    assert response.status_code == 200
    key = ApiKey.objects.get(name="街道APP")
    shown = [str(m) for m in response.context["messages"]]
    assert any(key.prefix in m for m in shown)
    page = client.get(f"/admin/open311/apikey/{key.pk}/change/").content.decode()
    assert key.key_hash not in page
    assert AuditEvent.objects.filter(action="open311.key-create", object_id="街道APP").exists()


def test_the_demo_makes_services_public_with_questions_and_registers_its_key() -> None:
    from govdesk.catalog.models import Category
    from govdesk.demo.open311 import demo_open311_ensure
    from govdesk.open311.selectors import service_list

    parent = None
    for level, name in enumerate(["城乡建设", "城市建设和市政管理", "城市公共设施"], start=1):
        path = "/".join([*(parent.path.split("/") if parent else []), name])
        parent = Category.objects.create(parent=parent, name=name, level=level, path=path)
    assert demo_open311_ensure("demo-key-from-env") == (1, True)
    assert demo_open311_ensure("demo-key-from-env") == (1, True), "idempotent"
    (service,) = service_list()
    assert service.has_attributes  # type: ignore[attr-defined]
    assert set(service.attributes.values_list("code", flat=True)) == {"problem", "count"}
    assert api_key_authenticate("demo-key-from-env").name == "demo"  # type: ignore[union-attr]
