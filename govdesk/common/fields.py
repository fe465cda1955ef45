"""Model fields for personal data at rest (see `crypto`): encrypted text and JSON, and the blind index beside them.

An encrypted column holds ciphertext only, so the database can neither compare, sort nor search it: the only lookups
allowed are `isnull` and equality with "" ("has no phone"). An exact search goes through the blind index column
(`BlindIndexField`), which the model keeps in step with its source field on every save.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldError
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.lookups import Exact, IsNull, Lookup

from . import crypto

MIGRATION_BATCH_SIZE = 500


class _EmptyOnlyExact(Exact):
    """`field=""` still works (a stored "" is ""); any other value would be compared with random ciphertext."""

    def get_prep_lookup(self) -> Any:
        if self.rhs == "":
            return ""
        raise FieldError(f"{self.lhs.output_field.name} is encrypted: look it up by its blind index, not by value.")


class EncryptedFieldMixin:
    """Encrypts on the way into the database and decrypts on the way out; the Python value is the plaintext."""

    def get_lookup(self, lookup_name: str) -> type[Lookup] | None:
        return {"exact": _EmptyOnlyExact, "isnull": IsNull}.get(lookup_name)

    def encrypt_for_db(self, value: Any) -> str:
        return crypto.encrypt(value)

    def decrypt_from_db(self, value: str) -> Any:
        return crypto.decrypt(value)


class _EncryptedStringMixin(EncryptedFieldMixin):
    """A string stored encrypted; "" and None stay as they are (an empty value needs no secrecy, and stays findable)."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)  # type: ignore[misc]  # the field class after the mixin has it
        if value is None or value == "":
            return value
        return self.encrypt_for_db(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return self.decrypt_from_db(value)


class EncryptedCharField(_EncryptedStringMixin, models.CharField):
    """A CharField whose `max_length` is the plaintext's (forms, validation); the column is sized for the ciphertext."""

    def db_type_parameters(self, connection: Any) -> Any:
        params = dict(super().db_type_parameters(connection).items())
        params["max_length"] = crypto.encrypted_length(self.max_length or 0)
        return params


class EncryptedTextField(_EncryptedStringMixin, models.TextField):
    """Text of any length stored encrypted; "" stays ""."""


class EncryptedJSONField(EncryptedFieldMixin, models.TextField):
    """A JSON value (dict or list) stored encrypted as text; an empty value is stored as "" and read as {}."""

    # What the model attribute holds, for django-stubs (a TextField would be str).
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == {} or value == []:
            return ""
        return self.encrypt_for_db(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(self.decrypt_from_db(value))

    def value_to_string(self, obj: Any) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, default=str)


class BlindIndexField(models.CharField):
    """HMAC of another field's normalised value (`crypto.blind_index`), recomputed on every save of the row.

    Keep `source` in `update_fields` together with this field when saving only some fields."""

    def __init__(self, *args: Any, source: str, kind: str, **kwargs: Any) -> None:
        if kind not in crypto.NORMALIZERS:
            raise ValueError(f"unknown blind index kind {kind!r}")
        self.source, self.kind = source, kind
        kwargs.setdefault("max_length", crypto.BLIND_INDEX_LENGTH)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"], kwargs["kind"] = self.source, self.kind
        return name, path, args, kwargs

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = crypto.blind_index(self.kind, str(getattr(model_instance, self.source) or ""))
        setattr(model_instance, self.attname, value)
        return value

    def index_of(self, value: str) -> str:
        return crypto.blind_index(self.kind, value)


def blind_index_of(model: type[models.Model], field_name: str, value: str) -> str:
    """The value to compare `model.<field_name>` (a BlindIndexField) with, for an exact lookup of `value`."""
    field = model._meta.get_field(field_name)
    assert isinstance(field, BlindIndexField), f"{field_name} is not a blind index"
    return field.index_of(value)


# --- data migrations ----------------------------------------------------------------------------------------------


def _batches(
    cursor: Any, table: str, pk: str, columns: list[str], qn: Any, *, size: int = MIGRATION_BATCH_SIZE
) -> Iterable[list[tuple[Any, ...]]]:
    """The rows' raw column values (no field conversion), in primary-key order, `size` at a time."""
    last: Any = None
    select = f"SELECT {qn(pk)}, {', '.join(qn(c) for c in columns)} FROM {qn(table)}"  # noqa: S608 (names are ours)
    while True:
        where = f" WHERE {qn(pk)} > %s" if last is not None else ""
        cursor.execute(f"{select}{where} ORDER BY {qn(pk)} LIMIT {int(size)}", [last] if where else [])
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _column(model: type[models.Model], name: str | None) -> str:
    """The column of a concrete field (the primary key's for None)."""
    field = model._meta.pk if name is None else model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return str(field.column)


def _update_row(
    cursor: Any, qn: Any, table: str, pk: str, pk_value: Any, sets: dict[str, Any], guard: dict[str, Any] | None = None
) -> None:
    """UPDATE one row's columns; with `guard`, only if those columns still hold the given values (compare-and-set)."""
    assignments = ", ".join(f"{qn(c)} = %s" for c in sets)
    conditions = "".join(f" AND {qn(c)} = %s" for c in guard or {})
    sql = f"UPDATE {qn(table)} SET {assignments} WHERE {qn(pk)} = %s{conditions}"  # noqa: S608 (names are ours)
    cursor.execute(sql, [*sets.values(), pk_value, *(guard or {}).values()])


def encrypt_existing_rows(
    schema_editor: Any,
    model: type[models.Model],
    fields: Iterable[str],
    indexes: dict[str, tuple[str, str]] | None = None,
    *,
    json_fields: Iterable[str] = (),
) -> int:
    """Encrypt the plaintext left in `fields` of `model`'s table and fill its blind indexes, in batches, with SQL
    (a historical model's encrypted field could not read the plaintext). `indexes`: index column field → (source
    field, kind). Values already encrypted are left alone, so running it twice changes nothing. Returns rows changed.
    `json_fields` were JSON columns: their "{}" and "[]" become "" (empty), the rest is encrypted as it is."""
    indexes = indexes or {}
    json_names = set(json_fields)
    names = list(dict.fromkeys([*fields, *json_names, *(source for source, _ in indexes.values())]))
    columns = [_column(model, n) for n in names]
    index_columns = {_column(model, n): spec for n, spec in indexes.items()}
    qn = schema_editor.connection.ops.quote_name
    table, pk = model._meta.db_table, _column(model, None)
    changed = 0
    with schema_editor.connection.cursor() as cursor:
        for rows in _batches(cursor, table, pk, columns, qn):
            updates: list[tuple[Any, dict[str, Any]]] = []
            for row in rows:
                values = dict(zip(names, row[1:], strict=True))
                plain = {
                    n: (crypto.decrypt(v) if crypto.is_encrypted(v or "") else (v or "")) for n, v in values.items()
                }
                sets: dict[str, Any] = {}
                for name in [*fields, *json_names]:
                    stored = values[name] or ""
                    if isinstance(stored, (dict, list)):  # a JSON column some drivers decode themselves
                        stored = json.dumps(stored, ensure_ascii=False, sort_keys=True)
                    if name in json_names and stored.strip() in ("{}", "[]", "null", ""):
                        new = ""
                    elif stored and not crypto.is_encrypted(stored):
                        new = crypto.encrypt(stored)
                    else:
                        continue
                    if new != values[name]:
                        sets[_column(model, name)] = new
                for column, (source, kind) in index_columns.items():
                    sets[column] = crypto.blind_index(kind, str(plain[source]))
                if sets:
                    updates.append((row[0], sets))
            for pk_value, sets in updates:
                _update_row(cursor, qn, table, pk, pk_value, sets)
            changed += len(updates)
    return changed


def decrypt_existing_rows(
    schema_editor: Any, model: type[models.Model], fields: Iterable[str], *, json_fields: Iterable[str] = ()
) -> int:
    """The reverse of `encrypt_existing_rows` (migrating back): plaintext again, JSON columns "{}" when empty."""
    json_names = set(json_fields)
    names = [*fields, *json_names]
    columns = [_column(model, n) for n in names]
    qn = schema_editor.connection.ops.quote_name
    table, pk = model._meta.db_table, _column(model, None)
    changed = 0
    with schema_editor.connection.cursor() as cursor:
        for rows in _batches(cursor, table, pk, columns, qn):
            for row in rows:
                sets = {}
                for name, column, stored in zip(names, columns, row[1:], strict=True):
                    if name in json_names and not stored:
                        sets[column] = "{}"
                    elif isinstance(stored, str) and crypto.is_encrypted(stored):
                        sets[column] = crypto.decrypt(stored)
                if sets:
                    _update_row(cursor, qn, table, pk, row[0], sets)
                    changed += 1
    return changed


# --- key rotation -------------------------------------------------------------------------------------------------


@dataclass
class RekeyCount:
    """One table's rows read, values re-encrypted under the current key, and blind indexes recomputed."""

    model: str
    total: int
    rows: int = 0
    reencrypted: int = 0
    reindexed: int = 0


def encrypted_models() -> list[tuple[type[models.Model], list[Any], list[BlindIndexField]]]:
    """Every installed model with encrypted fields or blind indexes in its own table (no app named here)."""
    found = []
    for model in apps.get_models():
        own = model._meta.local_concrete_fields
        encrypted = [f for f in own if isinstance(f, EncryptedFieldMixin)]
        indexes = [f for f in own if isinstance(f, BlindIndexField)]
        if encrypted or indexes:
            found.append((model, encrypted, indexes))
    return found


def personal_data_rekey(
    *,
    commit: bool,
    blind_indexes: bool = False,
    batch: int = MIGRATION_BATCH_SIZE,
    progress: Callable[[RekeyCount], None] | None = None,
) -> list[RekeyCount]:
    """Re-encrypt every encrypted value that is not under the current key (the first of GOVDESK_FIELD_KEYS) and,
    with `blind_indexes`, recompute every blind index under the current GOVDESK_BLIND_INDEX_KEY. Only counts unless
    `commit`. Idempotent: values already current are not touched, so an interrupted run is simply started again.

    One transaction per batch; each row is updated only if it still holds the value read (compare-and-set), so a row
    the application changed meanwhile (already under the current keys) is never overwritten with an older value."""
    current = crypto.field_keys().current_id
    results = []
    connection = connections[DEFAULT_DB_ALIAS]
    qn = connection.ops.quote_name
    for model, encrypted, indexes in encrypted_models():
        count = RekeyCount(model=model._meta.label, total=model._base_manager.count())
        sources = [_column(model, f.source) for f in indexes] if blind_indexes else []
        own = [*(f.column for f in encrypted), *sources, *(f.column for f in (indexes if blind_indexes else []))]
        columns = [str(c) for c in dict.fromkeys(own)]
        table, pk = model._meta.db_table, _column(model, None)
        with connection.cursor() as cursor:
            for rows in _batches(cursor, table, pk, columns, qn, size=batch):
                with transaction.atomic():
                    for row in rows:
                        stored = dict(zip(columns, row[1:], strict=True))
                        sets: dict[str, str] = {}
                        for field in encrypted:
                            value = stored[str(field.column)] or ""
                            if value and crypto.key_id_of(value) != current:
                                plain = crypto.decrypt(value) if crypto.is_encrypted(value) else value
                                sets[str(field.column)] = crypto.encrypt(plain)
                                count.reencrypted += 1
                        for index, source in zip(indexes, sources, strict=False):
                            value = stored[source] or ""
                            plain = crypto.decrypt(value) if crypto.is_encrypted(value) else value
                            fresh = crypto.blind_index(index.kind, plain)
                            if fresh != (stored[str(index.column)] or ""):
                                sets[str(index.column)] = fresh
                                count.reindexed += 1
                        if sets and commit:
                            # Compare-and-set on every column read, so a concurrent write wins.
                            guard = {c: v for c, v in stored.items() if v is not None}
                            _update_row(cursor, qn, table, pk, row[0], sets, guard)
                count.rows += len(rows)
                if progress:
                    progress(count)
        results.append(count)
    return results
