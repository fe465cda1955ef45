"""Personal data at rest: phone and ID numbers are ciphertext in every table, read back as plaintext by the models,
found again through their blind indexes, rotated by `pii_rekey`, and encrypted by the migration for older rows.

Every check reads the database with raw SQL, as someone with a copy of the database (or a backup) would."""

from __future__ import annotations

import base64
import json
from importlib import import_module
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, override_settings

from govdesk.catalog.models import Category
from govdesk.common import crypto
from govdesk.open311.models import Submission
from govdesk.open311.services import api_key_create
from govdesk.org.models import User
from govdesk.workorders import selectors, services
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.tests.factories import intake

PHONE = "13987650123"
ID_NUMBER = "11010519491231002X"
OTHER_PHONE = "+44 20 7946 0958"
EMAIL = "wang.xiaoming@example.com"
NEW_KEYS = "rot2:" + base64.b64encode(b"r" * 32).decode() + ",test1:dGVzdC1vbmx5LWZpZWxkLWtleS0xLW5vdC1zZWNyZXQ="


def raw_rows(table: str, *columns: str) -> list[tuple[Any, ...]]:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)}")  # noqa: S608 (test names)
        return list(cursor.fetchall())


def tables_holding(*needles: str) -> dict[str, list[str]]:
    """Every table (and column) of the database whose raw text contains one of `needles`: the whole database is
    read, so a copy anywhere (audit trail, timeline details, statistics, duplicates, queues) is found."""
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            description = connection.introspection.get_table_description(cursor, table)
            columns = [c.name for c in description]
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected names)
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = (
                        bytes(value).decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else str(value)
                    )
                    if any(needle in text for needle in needles):
                        found.setdefault(table, []).append(column)
    return found


def plain_forms(number: str) -> tuple[str, ...]:
    return (number, number.lower()) if number.isalnum() and not number.isdigit() else (number,)


NEEDLES = (*plain_forms(PHONE), *plain_forms(ID_NUMBER), "7946 0958", "79460958", EMAIL)


# --- the work order -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_order_registered_through_the_service_holds_no_plain_phone_or_id_anywhere(
    people: SimpleNamespace, categories: SimpleNamespace
) -> None:
    order = services.workorder_register(
        actor=people.operator,
        data=intake(categories.facilities, citizen_phone="139 8765 0123", citizen_id_number=ID_NUMBER.lower()),
    )
    ((phone, id_number, phone_index, id_index),) = raw_rows(
        "workorders_workorder", "citizen_phone", "citizen_id_number", "citizen_phone_index", "citizen_id_number_index"
    )
    assert crypto.key_id_of(phone) == "test1" and crypto.key_id_of(id_number) == "test1"
    assert phone_index == crypto.blind_index("phone", PHONE) and id_index == crypto.blind_index("id_number", ID_NUMBER)
    assert tables_holding(*NEEDLES) == {}
    # The model reads the plaintext back; masking works on it as before.
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.citizen_phone, fresh.citizen_id_number) == (PHONE, ID_NUMBER)


@pytest.mark.django_db
def test_an_order_registered_through_the_api_holds_no_plain_phone_or_id_and_the_api_masks_them(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    client = api_client_for(people.operator)
    body = {**intake(categories.facilities.pk, citizen_phone=PHONE, citizen_id_number=ID_NUMBER), "channel": "phone"}
    response = client.post("/api/v1/workorders/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["citizen_phone"] == "139****0123"
    assert tables_holding(*NEEDLES) == {}
    # Revealing is audited by field name only: the audit row holds no number either.
    number = response.json()["number"]
    revealed = client.post(f"/api/v1/workorders/{number}/reveal/", {"field": "citizen_phone"}, format="json")
    assert revealed.status_code == 200 and PHONE in revealed.content.decode()
    assert tables_holding(*NEEDLES) == {}


@pytest.mark.django_db
def test_the_caller_history_finds_earlier_orders_by_phone_written_any_way(
    people: SimpleNamespace, categories: SimpleNamespace, api_client_for: Any
) -> None:
    first = services.workorder_register(actor=people.operator, data=intake(categories.facilities, citizen_phone=PHONE))
    services.workorder_register(actor=people.operator, data=intake(categories.facilities, citizen_phone="13900001111"))
    for written in (PHONE, "139 8765 0123", "+86 139 8765 0123", "139-8765-0123"):
        assert [o.number for o in selectors.workorder_by_phone(user=people.operator, phone=written)] == [first.number]
        response = api_client_for(people.operator).post("/api/v1/workorders/lookup/", {"phone": written}, format="json")
        assert response.status_code == 200 and [r["number"] for r in response.json()] == [first.number]
    # The deprecated GET still answers, for existing clients.
    response = api_client_for(people.operator).get("/api/v1/workorders/lookup/", {"phone": PHONE})
    assert [r["number"] for r in response.json()] == [first.number]
    # The query compares the indexed blind-index column, never the ciphertext.
    sql = str(selectors.workorder_by_phone(user=people.operator, phone=PHONE).query)
    assert "citizen_phone_index" in sql and crypto.blind_index("phone", PHONE) in sql and PHONE not in sql
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "workorders_workorder").values()
    assert any(c["index"] and c["columns"] == ["citizen_phone_index"] for c in constraints)


@pytest.mark.django_db
def test_an_encrypted_field_refuses_value_comparisons_and_searches() -> None:
    # Any of these would compare with random ciphertext and silently find nothing: they fail loudly instead.
    for lookup in ({"citizen_phone": PHONE}, {"citizen_phone__icontains": "8765"}, {"citizen_id_number__gt": "1"}):
        with pytest.raises(FieldError):
            list(WorkOrder.objects.filter(**lookup))
    # "Has no phone" still works: an empty value is stored empty.
    assert list(WorkOrder.objects.filter(citizen_phone="")) == []
    assert list(WorkOrder.objects.filter(citizen_phone__isnull=True)) == []


@pytest.mark.django_db
def test_a_tampered_row_is_an_error_not_a_wrong_number(people: SimpleNamespace, categories: SimpleNamespace) -> None:
    order = services.workorder_register(actor=people.operator, data=intake(categories.facilities, citizen_phone=PHONE))
    ((stored,),) = raw_rows("workorders_workorder", "citizen_phone")
    tampered = stored[:-3] + ("A" if stored[-3] != "A" else "B") + stored[-2:]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workorders_workorder SET citizen_phone = %s WHERE case_ptr_id = %s", [tampered, order.pk]
        )
    with pytest.raises(crypto.DecryptionError):
        WorkOrder.objects.get(pk=order.pk)


# --- accounts and Open311 -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_users_phone_is_encrypted(district: SimpleNamespace) -> None:
    user = User.objects.create_user(username="phone_owner", password="x", phone=PHONE)
    ((stored,),) = [r[1:] for r in raw_rows("org_user", "id", "phone") if r[0] == user.pk]
    assert crypto.is_encrypted(stored) and PHONE not in stored
    assert User.objects.get(pk=user.pk).phone == PHONE


@pytest.fixture
def open311_client(categories: SimpleNamespace) -> SimpleNamespace:
    Category.objects.filter(pk=categories.facilities.pk).update(public=True)
    _key, raw = api_key_create(name="测试客户端")
    return SimpleNamespace(key=raw, client=Client(), service=str(categories.facilities.pk))


def open311_post(open311: SimpleNamespace, **data: str) -> Any:
    body = {"api_key": open311.key, "service_code": open311.service, "address_string": "永宁路", **data}
    return open311.client.post("/open311/v2/requests.json", body)


@pytest.mark.django_db
def test_open311_phone_and_email_are_encrypted(open311_client: SimpleNamespace) -> None:
    # A mainland number goes to the order; another one stays with the submission, encrypted like the e-mail.
    assert open311_post(open311_client, phone=PHONE, email=EMAIL).status_code == 200
    assert open311_post(open311_client, phone=OTHER_PHONE, email=EMAIL).status_code == 200
    assert tables_holding(*NEEDLES) == {}
    phones = sorted(s.phone for s in Submission.objects.all())
    assert phones == ["", OTHER_PHONE] and {s.email for s in Submission.objects.all()} == {EMAIL}


@pytest.mark.django_db
def test_an_open311_batch_intake_waits_encrypted_and_is_registered_from_it(
    open311_client: SimpleNamespace, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.GOVDESK = {**settings.GOVDESK, "OPEN311_BATCH_SERVICES": ["*"]}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = open311_post(open311_client, phone=PHONE, first_name="小明", last_name="王")
    assert response.status_code == 200
    ((pending,),) = raw_rows("open311_submission", "pending_intake")
    assert crypto.is_encrypted(pending) and "小明" not in pending
    assert tables_holding(*NEEDLES) == {}
    assert Submission.objects.get().pending_intake["citizen_phone"] == PHONE
    for callback in callbacks:
        callback()
    assert raw_rows("open311_submission", "pending_intake") == [("",)]
    assert WorkOrder.objects.get().citizen_phone == PHONE


# --- rotation -----------------------------------------------------------------------------------------------------


def rekey(*args: str) -> str:
    out = StringIO()
    call_command("pii_rekey", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_rekey_moves_every_row_to_the_new_key_and_is_idempotent(
    people: SimpleNamespace, categories: SimpleNamespace, open311_client: SimpleNamespace
) -> None:
    orders = [
        services.workorder_register(
            actor=people.operator, data=intake(categories.facilities, citizen_phone=f"1390000{i:04d}")
        )
        for i in range(3)
    ]
    User.objects.create_user(username="phone_owner", password="x", phone=PHONE)
    open311_post(open311_client, phone=OTHER_PHONE, email=EMAIL)
    with override_settings(GOVDESK_FIELD_KEYS=NEW_KEYS):
        # The old key still decrypts: the application works before the rekey has run.
        assert WorkOrder.objects.get(pk=orders[0].pk).citizen_phone == "13900000000"
        dry = rekey("--batch", "2")
        # Three orders with phone and ID, and the Open311 order without either (its number stays on the submission).
        assert "workorders.WorkOrder: 4 rows, 6 values to re-encrypt" in dry and "nothing written" in dry
        assert {crypto.key_id_of(p) for (p,) in raw_rows("workorders_workorder", "citizen_phone") if p} == {"test1"}
        done = rekey("--commit", "--batch", "2")
        assert "workorders.WorkOrder: 4 rows, 6 values re-encrypted" in done
        assert "org.User:" in done and "open311.Submission:" in done
        stored = [
            *(v for row in raw_rows("workorders_workorder", "citizen_phone", "citizen_id_number") for v in row),
            *(p for (p,) in raw_rows("org_user", "phone") if p),
            *(v for row in raw_rows("open311_submission", "phone", "email") for v in row),
        ]
        assert len([v for v in stored if v]) == 9 and {crypto.key_id_of(v) for v in stored if v} == {"rot2"}
        assert "0 values re-encrypted" in rekey("--commit") and "6 values" not in rekey("--commit")
    # With only the new key configured, everything still reads.
    with override_settings(GOVDESK_FIELD_KEYS=NEW_KEYS.split(",")[0]):
        assert sorted(o.citizen_phone for o in WorkOrder.objects.all()) == ["", *(f"1390000{i:04d}" for i in range(3))]
        assert User.objects.get(username="phone_owner").phone == PHONE
        assert Submission.objects.get().email == EMAIL


@pytest.mark.django_db
def test_a_new_blind_index_key_needs_the_indexes_recomputed(
    people: SimpleNamespace, categories: SimpleNamespace
) -> None:
    order = services.workorder_register(actor=people.operator, data=intake(categories.facilities, citizen_phone=PHONE))
    new_index_key = base64.b64encode(b"a-new-blind-index-key-32-bytes!!").decode()
    with override_settings(GOVDESK_BLIND_INDEX_KEY=new_index_key):
        assert list(selectors.workorder_by_phone(user=people.operator, phone=PHONE)) == []
        # The order's phone index and its ID number's index.
        assert "workorders.WorkOrder: 1 rows, 0 values to re-encrypt, 2 indexes to recompute" in rekey(
            "--blind-indexes"
        )
        rekey("--blind-indexes", "--commit")
        assert [o.pk for o in selectors.workorder_by_phone(user=people.operator, phone=PHONE)] == [order.pk]
        assert "0 indexes to recompute" in rekey("--blind-indexes")


# --- the data migration -------------------------------------------------------------------------------------------

BEFORE = [
    ("workorders", "0002_open311_fields"),
    ("open311", "0002_submission_other_phone"),
]


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_rows_written_before_it(
    people: SimpleNamespace, categories: SimpleNamespace, open311_client: SimpleNamespace
) -> None:
    # An earlier transactional test may have flushed the catalogue migration's request types (tests/browser/conftest).
    import_module("govdesk.catalog.migrations.0003_default_types_and_policies").forwards(apps, None)
    order = services.workorder_register(actor=people.operator, data=intake(categories.facilities, citizen_phone=PHONE))
    open311_post(open311_client, phone=OTHER_PHONE, email=EMAIL)
    user = User.objects.create_user(username="phone_owner", password="x", phone="13900002222")
    org_before = _org_parent()
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([*BEFORE, org_before])
        # Migrating back decrypted the rows (no direction loses data) ...
        assert sorted(raw_rows("workorders_workorder", "citizen_phone")) == [("",), (PHONE,)]
        assert (OTHER_PHONE, EMAIL) in raw_rows("open311_submission", "phone", "email")
        assert ("13900002222",) in raw_rows("org_user", "phone")
        # ... and rows written by the old code hold plaintext, as on a server before this release.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE workorders_workorder SET citizen_id_number = %s", [ID_NUMBER])
            cursor.execute(
                "UPDATE open311_submission SET pending_intake = %s",
                [json.dumps({"citizen_phone": PHONE, "category": categories.facilities.pk})],
            )
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    ((phone, id_number, phone_index, id_index),) = [
        row[1:]
        for row in raw_rows(
            "workorders_workorder",
            "case_ptr_id",
            "citizen_phone",
            "citizen_id_number",
            "citizen_phone_index",
            "citizen_id_number_index",
        )
        if row[0] == order.pk
    ]
    assert crypto.is_encrypted(phone) and crypto.is_encrypted(id_number)
    assert (phone_index, id_index) == (crypto.blind_index("phone", PHONE), crypto.blind_index("id_number", ID_NUMBER))
    ((other_phone, email, pending),) = raw_rows("open311_submission", "phone", "email", "pending_intake")
    assert crypto.is_encrypted(other_phone) and crypto.is_encrypted(email) and crypto.is_encrypted(pending)
    assert tables_holding(*NEEDLES, "13900002222") == {}
    fresh = WorkOrder.objects.get(pk=order.pk)
    assert (fresh.citizen_phone, fresh.citizen_id_number) == (PHONE, ID_NUMBER)
    assert User.objects.get(pk=user.pk).phone == "13900002222"
    assert Submission.objects.get().pending_intake["citizen_phone"] == PHONE
    assert [o.pk for o in selectors.workorder_by_phone(user=people.operator, phone="139 8765 0123")] == [order.pk]


def _org_parent() -> tuple[str, str]:
    """The org migration before the phone's encryption (its parent in the graph)."""
    graph = MigrationExecutor(connection).loader.graph
    (parent,) = graph.node_map[("org", "0003_user_phone_encrypted")].parents
    return parent.key
