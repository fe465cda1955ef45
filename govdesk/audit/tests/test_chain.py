"""The hash-chained audit trail: intact after real work, and every kind of tampering found and named."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from govdesk.audit.admin import AuditEventAdmin
from govdesk.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from govdesk.audit.services import audit_append, audit_chain_verify
from govdesk.org.models import Role
from govdesk.org.tests.factories import UserFactory, login_verified
from govdesk.workorders import services
from govdesk.workorders.states import Status
from govdesk.workorders.tests.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def lifecycle(people: Any, district: Any, categories: Any) -> list[AuditEvent]:
    """A closed order, a cancelled one and a refused look at personal data: a dozen real events."""
    order = make_order(people, district, categories.facilities, Status.CLOSED)
    make_order(people, district, categories.housing, Status.CANCELLED)
    services.workorder_pii_reveal(order=order, actor=people.operator, field="citizen_phone", ip_address="10.1.2.3")
    with pytest.raises(services.PermissionDenied):
        services.workorder_pii_reveal(order=order, actor=people.handler_b, field="citizen_phone")
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) >= 8
    return events


def test_chain_is_intact_after_a_lifecycle(lifecycle: list[AuditEvent]) -> None:
    report = audit_chain_verify()
    assert report.ok and report.broken_event_id is None
    assert report.checked == len(lifecycle)
    assert lifecycle[0].prev_hash == GENESIS_HASH
    for earlier, later in itertools.pairwise(lifecycle):
        assert later.prev_hash == earlier.hash
    head = AuditHead.objects.get(pk=1)
    assert (head.last_hash, head.count) == (lifecycle[-1].hash, len(lifecycle))
    actions = [e.action for e in lifecycle]
    assert actions[:6] == [
        "workorder.register",
        "workorder.dispatch",
        "workorder.sign",
        "workorder.reply",
        "workorder.visit",
        "workorder.register",
    ]
    assert [e.success for e in lifecycle if e.action == "pii.view"] == [True, False]


def test_an_empty_trail_verifies() -> None:
    report = audit_chain_verify()
    assert report.ok and report.checked == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("note", "已篡改"), ("to_state", "cancelled"), ("actor_username", "nobody"), ("success", False)],
)
def test_an_altered_event_is_named(field: str, value: Any, lifecycle: list[AuditEvent]) -> None:
    victim = lifecycle[3]
    AuditEvent.objects.filter(pk=victim.pk).update(**{field: value})
    report = audit_chain_verify()
    assert not report.ok
    assert report.broken_event_id == victim.pk
    assert report.checked == 3
    assert "altered" in report.reason


def test_a_rewritten_hash_breaks_the_next_link(lifecycle: list[AuditEvent]) -> None:
    # A forger who alters a row and recomputes its hash still breaks the link to the next event.
    from govdesk.audit.services import audit_hash

    victim = AuditEvent.objects.get(pk=lifecycle[2].pk)
    victim.note = "伪造"
    forged = audit_hash(victim.prev_hash, victim.chained_fields())
    AuditEvent.objects.filter(pk=victim.pk).update(note="伪造", hash=forged)
    report = audit_chain_verify()
    assert report.broken_event_id == lifecycle[3].pk
    assert "removed or altered" in report.reason


def test_a_removed_middle_event_names_the_next_one(lifecycle: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=lifecycle[4].pk).delete()
    report = audit_chain_verify()
    assert not report.ok
    assert report.broken_event_id == lifecycle[5].pk
    assert report.checked == 4


def test_a_removed_first_event_is_found(lifecycle: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=lifecycle[0].pk).delete()
    assert audit_chain_verify().broken_event_id == lifecycle[1].pk


def test_a_removed_last_event_is_found(lifecycle: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=lifecycle[-1].pk).delete()
    report = audit_chain_verify()
    assert not report.ok
    assert report.broken_event_id is not None and report.broken_event_id > lifecycle[-2].pk
    assert "end of the chain" in report.reason


def test_a_removed_tail_of_several_events_is_found(lifecycle: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk__gte=lifecycle[-3].pk).delete()
    assert not audit_chain_verify().ok


def test_verify_works_across_batches(lifecycle: list[AuditEvent]) -> None:
    assert audit_chain_verify(batch_size=2).ok
    AuditEvent.objects.filter(pk=lifecycle[5].pk).update(note="x")
    assert audit_chain_verify(batch_size=2).broken_event_id == lifecycle[5].pk


@pytest.mark.parametrize("ip", ["2001:DB8:0:0:0:0:0:1", "::FFFF:10.0.0.1", "10.0.0.1", None])
def test_addresses_survive_the_database_round_trip(ip: str | None) -> None:
    # The database normalises IPv6 addresses; the chain must hash what it stores, or verify reports a false break.
    audit_append(action="login", note="x", ip_address=ip)
    audit_append(action="logout", note="y")
    assert audit_chain_verify().ok


def test_audit_verify_command(lifecycle: list[AuditEvent], capsys: Any) -> None:
    call_command("audit_verify")
    assert f"audit chain intact: {len(lifecycle)} events verified" in capsys.readouterr().out
    victim = lifecycle[2]
    AuditEvent.objects.filter(pk=victim.pk).update(note="改")
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify")
    assert f"#{victim.pk}" in str(excinfo.value)


def test_the_admin_is_read_only_even_for_the_audit_administrator(lifecycle: list[AuditEvent], client: Any) -> None:
    # Nobody is a superuser (org migration 0002); the auditor is the one account that reads the trail.
    root: Any = UserFactory(username="root", roles=[Role.AUDITOR])
    request = RequestFactory().get("/admin/")
    request.user = root
    model_admin = AuditEventAdmin(AuditEvent, admin.site)
    event = lifecycle[0]
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)

    login_verified(client, root)
    url = f"/admin/audit/auditevent/{event.pk}/"
    assert client.get(f"{url}change/").status_code == 200  # viewing is allowed
    assert client.post(f"{url}change/", {"note": "改"}).status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert client.post("/admin/audit/auditevent/add/", {"action": "x"}).status_code == 403
    bulk = client.post(
        "/admin/audit/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302, 403)
    assert AuditEvent.objects.filter(pk=event.pk, note=event.note).exists()
    assert audit_chain_verify().ok
