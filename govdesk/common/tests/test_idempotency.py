"""Idempotent creation (`govdesk.common.idempotency`), driven through the work-order API: replay, conflict, bad keys,
scopes, multipart retries, concurrent retries, purge, and the stored answer encrypted at rest."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.client import encode_multipart
from django.utils import translation
from rest_framework.test import APIClient

from govdesk.common import clock, crypto
from govdesk.common.idempotency import idempotency_keys_purge, idempotent, request_fingerprint
from govdesk.common.models import IdempotencyKey
from govdesk.common.tasks import idempotency_purge_task
from govdesk.workorders.models import WorkOrder
from govdesk.workorders.tests.api_support import PDF_BYTES, counts, png_bytes
from govdesk.workorders.tests.factories import VALID_INTAKE

URL = "/api/v1/workorders/"


@pytest.fixture
def payload(categories: SimpleNamespace) -> dict[str, Any]:
    data = {k: v for k, v in VALID_INTAKE.items() if k != "channel"}
    return {**data, "category": categories.facilities.pk}


def _post(client: APIClient, payload: Any, key: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(URL, payload, format="json", **extra)


# --- replay and conflict ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_same_key_twice_registers_one_order_and_replays_the_answer(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    client = api_client_for(people.operator)
    before = counts()
    first = _post(client, payload, "order-7f3a")
    second = _post(client, payload, "order-7f3a")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.content == first.content
    assert second["Location"] == first["Location"] == f"/api/v1/workorders/{first.json()['number']}/"
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    # One order, one register event, one audit event: the replay wrote nothing.
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1, before[3])
    assert IdempotencyKey.objects.get().scope == f"user:{people.operator.pk}"


@pytest.mark.django_db
def test_json_with_other_key_order_and_spacing_is_the_same_request(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    client = api_client_for(people.operator)
    first = client.post(URL, json.dumps(payload), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    reordered = json.dumps(dict(reversed(list(payload.items()))), indent=2, ensure_ascii=True)
    second = client.post(URL, reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201 and second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert WorkOrder.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_conflict_and_creates_nothing(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    client = api_client_for(people.operator)
    assert _post(client, payload, "k-1").status_code == 201
    before = counts()
    response = _post(client, {**payload, "title": "另一件事"}, "k-1")
    assert response.status_code == 409
    # The API speaks the platform's language, Chinese by default.
    assert response.json() == {
        "code": "idempotency_key_reused",
        "message": "同一 Idempotency-Key 已用于内容不同的请求；新的请求请使用新的键。",
    }
    assert counts() == before


@pytest.mark.django_db
def test_without_the_header_each_post_registers_an_order(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    client = api_client_for(people.operator)
    first, second = _post(client, payload, None), _post(client, payload, None)
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] != second.json()["number"]
    assert WorkOrder.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "two words", "键", "a" * 256, "tab\there", "nul\x00"])
def test_a_malformed_key_is_refused_with_a_message_naming_the_header(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any, key: str
) -> None:
    before = counts()
    with translation.override("en"):
        response = _post(api_client_for(people.operator), payload, key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert "Idempotency-Key" in response.json()["message"]
    assert counts() == before
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_the_longest_allowed_key_of_all_visible_characters_works(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    key = ("".join(chr(c) for c in range(0x21, 0x7F)) * 3)[:255]
    client = api_client_for(people.operator)
    assert _post(client, payload, key).status_code == 201
    assert _post(client, payload, key)["Idempotent-Replayed"] == "true"
    assert WorkOrder.objects.count() == 1


@pytest.mark.django_db
def test_another_users_same_key_is_their_own(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    mine = _post(api_client_for(people.operator), payload, "shared-key")
    theirs = _post(api_client_for(people.dispatcher), payload, "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["number"] != theirs.json()["number"]
    assert WorkOrder.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_request_keeps_no_key_so_a_corrected_retry_may_reuse_it(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    client = api_client_for(people.operator)
    refused = _post(client, {**payload, "title": ""}, "k-fix")
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()
    corrected = _post(client, payload, "k-fix")
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected
    assert WorkOrder.objects.count() == 1


@pytest.mark.django_db
def test_a_forbidden_request_is_not_stored(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    response = _post(api_client_for(people.handler_a), payload, "k-role")
    assert response.status_code == 403
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_the_stored_answer_is_encrypted_at_rest(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    response = _post(api_client_for(people.operator), payload, "k-pii")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT body FROM {IdempotencyKey._meta.db_table}")  # noqa: S608 (our table)
        (stored,) = cursor.fetchone()
    assert crypto.is_encrypted(stored)
    assert "王小明" not in stored and response.json()["number"] not in stored
    assert json.loads(IdempotencyKey.objects.get().body) == response.json()


# --- multipart ----------------------------------------------------------------------------------------------------


def _multipart(payload: dict[str, Any], files: list[tuple[str, bytes]], *, boundary: str, reverse: bool) -> bytes:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fields: dict[str, Any] = {k: str(v) for k, v in payload.items()}
    if reverse:
        fields = dict(reversed(list(fields.items())))
    fields["attachments"] = [SimpleUploadedFile(name, data) for name, data in files]
    return encode_multipart(boundary, fields)


@pytest.mark.django_db
def test_a_multipart_retry_with_another_boundary_and_field_order_is_replayed(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    client = api_client_for(people.operator)
    files = [("现场照片.png", png_bytes()), ("证明.pdf", PDF_BYTES)]

    def send(boundary: str, *, reverse: bool, attachments: list[tuple[str, bytes]]) -> Any:
        body = _multipart(payload, attachments, boundary=boundary, reverse=reverse)
        content_type = f"multipart/form-data; boundary={boundary}"
        return client.post(URL, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY="k-multi")

    first = send("BoUnDaRyOnE", reverse=False, attachments=files)
    assert first.status_code == 201, first.json()
    second = send("another-boundary-2", reverse=True, attachments=files)
    assert second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert len(first.json()["attachments"]) == 2
    # Same names and sizes, other bytes: another request.
    other_png = png_bytes((9, 7))
    changed = send("third", reverse=False, attachments=[("现场照片.png", other_png), files[1]])
    assert changed.status_code == 409
    assert WorkOrder.objects.count() == 1


def test_the_fingerprint_covers_method_path_query_and_body() -> None:
    factory = RequestFactory()
    base = request_fingerprint(factory.post("/x/", {"a": "1"}))
    assert request_fingerprint(factory.post("/x/", {"a": "1"})) == base
    assert request_fingerprint(factory.post("/y/", {"a": "1"})) != base
    assert request_fingerprint(factory.post("/x/?v=2", {"a": "1"})) != base
    assert request_fingerprint(factory.post("/x/", {"a": "2"})) != base
    assert request_fingerprint(factory.put("/x/", "a=1", content_type="application/x-www-form-urlencoded")) != base
    # Invalid JSON is compared as sent.
    raw = request_fingerprint(factory.post("/x/", "{nope", content_type="application/json"))
    assert raw == request_fingerprint(factory.post("/x/", "{nope", content_type="application/json"))
    assert raw != request_fingerprint(factory.post("/x/", "{nope ", content_type="application/json"))


# --- a plain Django view --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_plain_view_replays_its_content_type_and_bytes() -> None:
    from django.http import HttpResponse

    calls: list[int] = []

    @idempotent()
    def view(request: Any) -> HttpResponse:
        calls.append(1)
        return HttpResponse(f"<made n='{len(calls)}'/>", content_type="text/xml; charset=utf-8", status=200)

    factory = RequestFactory()
    first = view(factory.post("/v/", {"a": "1"}, HTTP_IDEMPOTENCY_KEY="p1", REMOTE_ADDR="10.0.0.9"))
    second = view(factory.post("/v/", {"a": "1"}, HTTP_IDEMPOTENCY_KEY="p1", REMOTE_ADDR="10.0.0.9"))
    other_address = view(factory.post("/v/", {"a": "1"}, HTTP_IDEMPOTENCY_KEY="p1", REMOTE_ADDR="10.0.0.10"))
    assert calls == [1, 1]
    assert second.content == first.content == b"<made n='1'/>"
    assert second["Content-Type"] == "text/xml; charset=utf-8"
    assert second["Idempotent-Replayed"] == "true"
    assert other_address.content == b"<made n='2'/>"
    assert sorted(IdempotencyKey.objects.values_list("scope", flat=True)) == ["anon:10.0.0.10", "anon:10.0.0.9"]
    conflict = view(factory.post("/v/", {"a": "2"}, HTTP_IDEMPOTENCY_KEY="p1", REMOTE_ADDR="10.0.0.9"))
    assert conflict.status_code == 409 and json.loads(conflict.content)["code"] == "idempotency_key_reused"
    assert calls == [1, 1]


# --- concurrent retries -------------------------------------------------------------------------------------------

THREADS = 4


# serialized_rollback: the flush after a plain transactional test re-runs post_migrate, whose rows would collide
# with those a later serialized_rollback test (ops' backups) restores; this restores the migrations' rows itself.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_with_the_same_key_register_one_order(people: SimpleNamespace, categories: Any) -> None:
    payload = {**{k: v for k, v in VALID_INTAKE.items() if k != "channel"}, "category": categories.facilities.pk}
    answers: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work() -> None:
        try:
            client = APIClient()
            client.force_authenticate(user=people.operator)
            start.wait()
            response = _post(client, payload, "same-key-at-once")
            with lock:
                answers.append(response)
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request thread hung"
    assert errors == []
    assert [r.status_code for r in answers] == [201] * THREADS
    assert len({r.json()["number"] for r in answers}) == 1
    assert len({r.content for r in answers}) == 1
    assert sum("Idempotent-Replayed" not in r for r in answers) == 1
    assert WorkOrder.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    # The losers' rolled-back audit events left no hole in the hash chain (the command raises on a broken chain).
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "audit chain intact" in out.getvalue()


# --- purge --------------------------------------------------------------------------------------------------------


def _key(name: str, age: timedelta) -> IdempotencyKey:
    return IdempotencyKey.objects.create(
        scope="user:1",
        key=name,
        fingerprint="0" * 64,
        status_code=201,
        content_type="application/json",
        body="{}",
        created_at=clock.now() - age,
    )


@pytest.mark.django_db
def test_purge_deletes_the_keys_older_than_the_ttl() -> None:
    _key("old", timedelta(hours=25))
    _key("young", timedelta(hours=23))
    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]
    assert idempotency_keys_purge(now=clock.now() + timedelta(hours=2)) == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_the_ttl_is_a_setting_and_the_periodic_task_purges(settings: Any) -> None:
    _key("a", timedelta(hours=3))
    _key("b", timedelta(hours=1))
    with override_settings(GOVDESK={**settings.GOVDESK, "IDEMPOTENCY_KEY_TTL_HOURS": 2}):
        idempotency_purge_task.call_local()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["b"]


@pytest.mark.django_db
def test_after_the_purge_the_same_key_registers_again(
    people: SimpleNamespace, payload: dict[str, Any], api_client_for: Any
) -> None:
    client = api_client_for(people.operator)
    _post(client, payload, "k-old")
    IdempotencyKey.objects.update(created_at=clock.now() - timedelta(hours=30))
    assert idempotency_keys_purge() == 1
    again = _post(client, payload, "k-old")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert WorkOrder.objects.count() == 2


@pytest.mark.django_db
def test_pii_rekey_moves_the_stored_answers_to_the_new_key(settings: Any) -> None:
    _key("k", timedelta(hours=1))
    rotated = "rot9:" + base64.b64encode(b"rotated-key-for-idempotency-test").decode()
    with override_settings(GOVDESK_FIELD_KEYS=f"{rotated},{settings.GOVDESK_FIELD_KEYS}"):
        out = StringIO()
        call_command("pii_rekey", "--commit", stdout=out)
        assert "common.IdempotencyKey: 1 rows, 1 values re-encrypted" in out.getvalue()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT body FROM {IdempotencyKey._meta.db_table}")  # noqa: S608 (our table)
            (stored,) = cursor.fetchone()
        assert crypto.key_id_of(stored) == "rot9"
        assert IdempotencyKey.objects.get().body == "{}"
