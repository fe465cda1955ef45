"""Writes to the ledgers: rows cleaned against their kind, upserted by natural key, versioned and audited.

Every write goes through `ledger_rows_write`: one transaction, nothing written when any row is refused, a new
version (and a LedgerRowVersion) only for a row whose data changed, one audit event per write that changed anything.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _

from govdesk.audit.services import audit_append, audit_batch
from govdesk.common import clock
from govdesk.common.errors import NotFound, ValidationFailed
from govdesk.org.models import Unit

from .kinds import Column, LedgerKind, ledger_kind_get
from .models import Indicator, LedgerRowVersion, MajorProject, MajorProjectProgress, Programme

# Rows are looked up and created in chunks: SQLite limits a statement's parameters.
CHUNK = 500


@dataclass(frozen=True)
class RowError:
    """A problem of one row: `row` is 1-based in the batch, `field` the model field, `message` the whole sentence
    (naming the row and the column header), `header`/`problem` its parts (an xlsx reader names its own sheet row)."""

    row: int
    field: str
    message: str
    header: str = ""
    problem: str = ""


@dataclass
class CleanResult:
    rows: list[dict[str, Any]]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    row_ids: list[int] = field(default_factory=list)


class LedgerValidationFailed(ValidationFailed):
    """Rows refused: `errors` are the RowErrors, `fields` the same keyed "<row>.<field>" for API answers."""

    def __init__(self, errors: list[RowError]) -> None:
        fields: dict[str, list[str]] = {}
        for error in errors:
            fields.setdefault(f"{error.row}.{error.field}", []).append(error.message)
        first = errors[0].message if errors else ""
        super().__init__(
            _("%(count)d problem(s) in the rows; nothing was saved. %(first)s")
            % {"count": len(errors), "first": first},
            fields=fields,
        )
        self.errors = errors


def _kind(kind: LedgerKind | str) -> LedgerKind:
    return kind if isinstance(kind, LedgerKind) else ledger_kind_get(kind)


def _model_field(kind: LedgerKind, name: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", kind.model._meta.get_field(name))


def _manager(kind: LedgerKind) -> Any:
    return kind.model._default_manager


def _row_error(row: int, kind: LedgerKind, field_name: str, problem: str) -> RowError:
    header = kind.header(field_name)
    message = _("Row %(row)d, “%(header)s”: %(problem)s") % {"row": row, "header": header, "problem": problem}
    return RowError(row=row, field=field_name, message=message, header=header, problem=problem)


# Coercion of raw cells ------------------------------------------------------------------------------------------

_EMPTY = object()
_INTEGER = re.compile(r"^[+-]?\d+$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_TRUE = {"是", "true", "1", "yes", "y", "√", "✓", "t"}
_FALSE = {"否", "false", "0", "no", "n", "×", "f"}


def _raw_value(raw: dict[str, Any], column: Column) -> Any:
    """A row's value for a column, by field name (forms, JSON) or by header (xlsx); _EMPTY when blank."""
    value = raw.get(column.field, _EMPTY) if column.field in raw else raw.get(column.header, _EMPTY)
    if value is None or value is _EMPTY:
        return _EMPTY
    if isinstance(value, str):
        value = value.strip().replace("\u3000", "")
        if not value:
            return _EMPTY
    return value


def _number_text(value: str) -> str:
    # Thousands separators and full-width digits are how people type numbers into spreadsheets.
    return value.replace(",", "").replace("，", "").translate(str.maketrans("０１２３４５６７８９．－", "0123456789.-"))


class _Problem(Exception):
    pass


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Problem(_("enter a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        if value == int(value):
            return int(value)
        raise _Problem(_("enter a whole number."))
    text = _number_text(str(value))
    if _INTEGER.match(text):
        return int(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Problem(_("enter a whole number.")) from None
    if number.is_finite() and number == number.to_integral_value():
        return int(number)
    raise _Problem(_("enter a whole number."))


def _as_decimal(value: Any, places: int) -> Decimal:
    if isinstance(value, bool):
        raise _Problem(_("enter a number."))
    from_float = isinstance(value, float)
    if isinstance(value, Decimal | int | float):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(_number_text(str(value)))
        except InvalidOperation:
            raise _Problem(_("enter a number.")) from None
    if not number.is_finite():
        raise _Problem(_("enter a number."))
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum)
    if rounded != number:
        # A spreadsheet's binary float (0.1 + 0.2) is what the person typed, give or take the float's noise.
        if from_float and abs(rounded - number) < Decimal("1e-9"):
            return rounded
        raise _Problem(_("keep at most %(places)d decimal places.") % {"places": places})
    return number


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date, no moment)
        except ValueError:
            continue
    raise _Problem(_("enter a date like 2022-03-15."))


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Problem(_("enter 是 or 否."))


def _choice_labels(label: Any) -> set[str]:
    labels = {str(label)}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            labels.add(str(label))
    return labels


def _as_choice(value: Any, column: Column) -> str:
    text = str(value).strip()
    for choice, _label in column.choices:
        if text in (choice, column.word(choice)):
            return choice
    for choice, label in column.choices:
        if text in _choice_labels(label):
            return choice
    allowed = "、".join(column.word(choice) for choice, _label in column.choices)
    raise _Problem(_("choose one of: %(allowed)s.") % {"allowed": allowed})


@dataclass
class _Refs:
    """Units, definitions and projects named by the batch, looked up once."""

    year: int
    units: dict[str, Unit] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    programmes: dict[str, Programme] = field(default_factory=dict)
    projects: dict[str, MajorProject] = field(default_factory=dict)

    @classmethod
    def load(cls, kind: LedgerKind, year: int) -> _Refs:
        refs = cls(year=year)
        types = {column.type for column in kind.columns}
        ref_names = {column.ref for column in kind.columns if column.type == "ref"}
        if "unit" in types:
            for unit in Unit.objects.all():
                refs.units.setdefault(unit.code, unit)
                refs.units.setdefault(unit.name, unit)
        if "indicator" in ref_names:
            for indicator in Indicator.objects.all():
                refs.indicators.setdefault(indicator.code, indicator)
                refs.indicators.setdefault(indicator.name, indicator)
        if "programme" in ref_names:
            for programme in Programme.objects.all():
                refs.programmes.setdefault(programme.code, programme)
                refs.programmes.setdefault(programme.name, programme)
        if "project" in ref_names:
            refs.projects = {p.name: p for p in MajorProject.objects.filter(year=year, is_void=False)}
        return refs

    def resolve(self, column: Column, value: Any) -> Any:
        text = str(value).strip()
        if column.type == "unit":
            found: Any = self.units.get(text)
            if found is None:
                raise _Problem(_("there is no unit with the code or name %(text)s.") % {"text": text})
            return found
        tables: dict[str, dict[str, Any]] = {
            "indicator": self.indicators,
            "programme": self.programmes,
            "project": self.projects,
        }
        found = tables[column.ref].get(text)
        if found is None:
            if column.ref == "project":
                raise _Problem(
                    _("there is no major project called %(text)s in %(year)d.") % {"text": text, "year": self.year}
                )
            if column.ref == "indicator":
                raise _Problem(_("there is no indicator with the code or name %(text)s.") % {"text": text})
            raise _Problem(_("there is no programme with the code or name %(text)s.") % {"text": text})
        return found


def _coerce(column: Column, value: Any, refs: _Refs) -> Any:
    if column.type == "text":
        if isinstance(value, float) and value == int(value):
            value = int(value)  # a village named by its number, read back from a spreadsheet as 3.0
        text = str(value).strip()
        if column.max_length is not None and len(text) > column.max_length:
            raise _Problem(_("at most %(count)d characters.") % {"count": column.max_length})
        return text
    if column.type == "int":
        number: Any = _as_int(value)
    elif column.type == "decimal":
        number = _as_decimal(value, column.decimal_places)
    elif column.type == "date":
        return _as_date(value)
    elif column.type == "bool":
        return _as_bool(value)
    elif column.type == "choice":
        return _as_choice(value, column)
    else:
        return refs.resolve(column, value)
    if column.min is not None and number < column.min:
        raise _Problem(_("cannot be less than %(min)s.") % {"min": column.min})
    if column.max is not None and number > column.max:
        raise _Problem(_("cannot be more than %(max)s.") % {"max": column.max})
    return number


def _blank_value(kind: LedgerKind, column: Column) -> Any:
    model_field = _model_field(kind, column.field)
    if model_field.null:
        return None
    if model_field.has_default():
        return model_field.get_default()
    return ""


# Cleaning -------------------------------------------------------------------------------------------------------


def _field_value_for_key(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _row_key(kind: LedgerKind, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(_field_value_for_key(row.get(name)) for name in kind.key)


def _instance_key(kind: LedgerKind, obj: models.Model) -> tuple[Any, ...]:
    values = []
    for name in kind.key:
        model_field = _model_field(kind, name)
        values.append(getattr(obj, model_field.attname))
    return tuple(values)


def _existing_rows(kind: LedgerKind, rows: Sequence[dict[str, Any]], *, lock: bool) -> dict[tuple[Any, ...], Any]:
    """The stored rows (void ones too) with the keys of `rows`, by key."""
    found: dict[tuple[Any, ...], Any] = {}
    manager = _manager(kind)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        filters: dict[str, Any] = {}
        for name in kind.key:
            attname = _model_field(kind, name).attname
            filters[f"{attname}__in"] = {_field_value_for_key(row.get(name)) for row in chunk}
        queryset = manager.filter(**filters)
        if lock:
            queryset = queryset.select_for_update()
        for obj in queryset:
            found[_instance_key(kind, obj)] = obj
    return found


def _clean(
    kind: LedgerKind,
    raws: Sequence[dict[str, Any]],
    *,
    year: int,
    month: int | None,
    unit: Unit | None,
    lock: bool,
) -> tuple[list[dict[str, Any]], list[RowError], dict[tuple[Any, ...], Any]]:
    if not kind.monthly:
        month = None  # an annual ledger's rows carry no month of the batch (a road's is its completion's)
    refs = _Refs.load(kind, year)
    errors: list[RowError] = []
    cleaned_rows: list[dict[str, Any]] = []
    valid: list[bool] = []
    for index, raw in enumerate(raws, start=1):
        row: dict[str, Any] = {"year": year}
        row_errors: list[RowError] = []
        for column in kind.columns:
            value = _raw_value(raw, column) if isinstance(raw, dict) else _EMPTY
            if column.field == "month":
                row["month"], problem = _clean_month(column, value, month)
                if problem:
                    row_errors.append(_row_error(index, kind, "month", problem))
                continue
            if value is _EMPTY:
                if column.required:
                    row_errors.append(_row_error(index, kind, column.field, _("this column is required.")))
                row[column.field] = _blank_value(kind, column)
                row[f"_{column.field}_blank"] = True
                continue
            try:
                row[column.field] = _coerce(column, value, refs)
            except _Problem as refused:
                row[column.field] = None
                row_errors.append(_row_error(index, kind, column.field, str(refused)))
        if not row_errors:
            for rule in kind.rules:
                for field_name, problem_text in rule(row, year, month):
                    row_errors.append(_row_error(index, kind, field_name, problem_text))
        errors.extend(row_errors)
        cleaned_rows.append(row)
        valid.append(not row_errors)

    # Duplicates of the natural key within the batch: the later row is refused, naming the first.
    seen: dict[tuple[Any, ...], int] = {}
    key_columns = [name for name in kind.key if name not in ("year", "month")] or list(kind.key)
    key_headers = "、".join(kind.header(name) for name in kind.key if name != "year")
    for index, row in enumerate(cleaned_rows, start=1):
        if not valid[index - 1]:
            continue
        key = _row_key(kind, row)
        if key in seen:
            repeated = _("repeats row %(other)d (same %(key)s).") % {"other": seen[key], "key": key_headers}
            errors.append(_row_error(index, kind, key_columns[0], repeated))
            valid[index - 1] = False
        else:
            seen[key] = index

    good = [row for row, ok in zip(cleaned_rows, valid, strict=True) if ok]
    existing = _existing_rows(kind, good, lock=lock) if good else {}
    if unit is not None:
        for index, row in enumerate(cleaned_rows, start=1):
            stored = existing.get(_row_key(kind, row)) if valid[index - 1] else None
            if stored is not None and stored.reporting_unit_id not in (None, unit.pk):
                theirs = _("this row was reported by another unit (%(unit)s).") % {"unit": stored.reporting_unit}
                errors.append(_row_error(index, kind, key_columns[0], theirs))
                valid[index - 1] = False
    if kind.code == "projects":
        errors.extend(_projects_against_progress(kind, cleaned_rows, valid, existing))
    elif kind.code == "project_progress":
        errors.extend(_progress_against_projects(kind, cleaned_rows, valid))
    errors.sort(key=lambda error: error.row)
    return cleaned_rows, errors, existing


def _clean_month(column: Column, value: Any, month: int | None) -> tuple[Any, str]:
    annual_allowed = column.min == 0
    if value is _EMPTY:
        if month is not None:
            return month, ""
        if annual_allowed:
            return 0, ""  # an indicator's blank month is its annual value
        return None, _("this column is required.")
    try:
        number = _as_int(value)
    except _Problem as problem:
        return None, str(problem)
    if not (column.min or 0) <= number <= 12:
        return None, _("enter a month from %(min)d to 12.") % {"min": column.min or 0}
    if month is not None and number != month:
        return None, _("this template is for month %(month)d.") % {"month": month}
    return number, ""


def _projects_against_progress(
    kind: LedgerKind, rows: list[dict[str, Any]], valid: list[bool], existing: dict[tuple[Any, ...], Any]
) -> list[RowError]:
    """A project with monthly progress completes this year what its progress adds up to: a blank annual_completed
    is filled with that sum, a different one refused."""
    ids = {
        existing[_row_key(kind, row)].pk: (index, row)
        for index, (row, ok) in enumerate(zip(rows, valid, strict=True), start=1)
        if ok and _row_key(kind, row) in existing
    }
    if not ids:
        return []
    sums = dict(
        MajorProjectProgress.objects.filter(project_id__in=ids, is_void=False)
        .values_list("project_id")
        .annotate(total=Sum("month_completed"))
        .values_list("project_id", "total")
    )
    errors = []
    for project_id, total in sums.items():
        index, row = ids[project_id]
        if row.get("_annual_completed_blank"):
            row["annual_completed"] = total
        if row["annual_completed"] != total:
            problem = _("must equal the sum of the monthly progress, %(total)s.") % {"total": total}
            errors.append(_row_error(index, kind, "annual_completed", problem))
        elif total > row["total_investment"]:
            errors.append(_row_error(index, kind, "annual_completed", _("cannot exceed the total investment.")))
    return errors


def _progress_against_projects(kind: LedgerKind, rows: list[dict[str, Any]], valid: list[bool]) -> list[RowError]:
    """A project's progress this year cannot add up to more than its total investment."""
    batch: dict[int, dict[int, Decimal]] = {}
    for row, ok in zip(rows, valid, strict=True):
        if ok:
            batch.setdefault(row["project"].pk, {})[row["month"]] = row["month_completed"]
    if not batch:
        return []
    stored: dict[int, Decimal] = {}
    for project_id, month, amount in MajorProjectProgress.objects.filter(
        project_id__in=batch, is_void=False
    ).values_list("project_id", "month", "month_completed"):
        if month not in batch[project_id]:
            stored[project_id] = stored.get(project_id, Decimal(0)) + amount
    errors = []
    reported: set[int] = set()
    for index, (row, ok) in enumerate(zip(rows, valid, strict=True), start=1):
        if not ok or row["project"].pk in reported:
            continue
        project = row["project"]
        total = stored.get(project.pk, Decimal(0)) + sum(batch[project.pk].values(), Decimal(0))
        if total > project.total_investment:
            reported.add(project.pk)
            problem = _(
                "the year's progress adds up to %(total)s, more than the project's total investment %(investment)s."
            ) % {"total": total, "investment": project.total_investment}
            errors.append(_row_error(index, kind, "month_completed", problem))
    return errors


def ledger_rows_clean(
    kind: LedgerKind | str,
    rows: list[dict[str, Any]],
    *,
    year: int,
    month: int | None = None,
    unit: Unit | None = None,
) -> CleanResult:
    """Coerce and check a batch of raw rows (form strings, xlsx cells, numbers) for the period: types, ranges,
    choices, required columns, duplicate keys within the batch, the kind's cross-field rules and references. Writes
    nothing. Rows are keyed by field name or by column header."""
    ledger = _kind(kind)
    period_errors = _period_problems(ledger, year, month)
    if period_errors:
        raise ValidationFailed(period_errors)
    cleaned, errors, _existing = _clean(ledger, rows, year=year, month=month, unit=unit, lock=False)
    return CleanResult(rows=[_public(row) for row in cleaned], errors=errors)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if not name.startswith("_")}


def _period_problems(kind: LedgerKind, year: int, month: int | None) -> str:
    if not isinstance(year, int) or not 1949 <= year <= 2999:
        return _("The year %(year)s is not a year a ledger can be kept for.") % {"year": year}
    if month is not None:
        # Month 0 is a whole year: only where a row may stand for one (an indicator's annual value).
        lowest = 0 if kind.has_month_column and kind.column("month").min == 0 else 1
        if not isinstance(month, int) or not lowest <= month <= 12:
            return _("The month %(month)s is not a month from 1 to 12.") % {"month": month}
    return ""


# Writing --------------------------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def _data_fields(kind: LedgerKind) -> list[str]:
    names = ["year"]
    if any(f.name == "month" for f in kind.model._meta.get_fields()):
        names.append("month")
    names.extend(column.field for column in kind.columns if column.field not in names)
    return names


def _normalized(kind: LedgerKind, name: str, value: Any) -> Any:
    """A value as the database gives it back (decimals at the field's places), so that equal data compares equal."""
    model_field = _model_field(kind, name)
    if isinstance(model_field, models.DecimalField) and value is not None:
        return Decimal(value).quantize(Decimal(1).scaleb(-model_field.decimal_places))
    return value


def _row_data(kind: LedgerKind, row: dict[str, Any], *, is_void: bool = False) -> dict[str, Any]:
    data = {name: _json_value(_normalized(kind, name, row.get(name))) for name in _data_fields(kind)}
    data["is_void"] = is_void
    return data


def _instance_data(kind: LedgerKind, obj: Any) -> dict[str, Any]:
    data = {}
    for name in _data_fields(kind):
        model_field = _model_field(kind, name)
        data[name] = _json_value(_normalized(kind, name, getattr(obj, model_field.attname)))
    data["is_void"] = obj.is_void
    return data


def _assign(kind: LedgerKind, obj: Any, row: dict[str, Any]) -> None:
    for name in _data_fields(kind):
        setattr(obj, name, row.get(name))


def _version_append(kind: LedgerKind, obj: Any, *, data: dict[str, Any], actor: Any, note: str = "") -> None:
    LedgerRowVersion.objects.create(
        kind=kind.code,
        row_id=obj.pk,
        version=obj.version,
        data=data,
        source=obj.source,
        changed_at=obj.updated_at,
        changed_by=_user_or_none(actor),
        note=note,
    )


def _user_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def ledger_rows_write(
    *,
    kind: LedgerKind | str,
    rows: list[dict[str, Any]],
    actor: Any,
    source: str,
    year: int,
    month: int | None = None,
    unit: Unit | None = None,
    notes: dict[int, str] | None = None,
) -> WriteResult:
    """Clean the rows and upsert them by natural key, in one transaction; raise LedgerValidationFailed (nothing
    written) when any row is refused. A row whose data did not change is left alone (no version, no audit); a
    changed row gets version + 1 and a LedgerRowVersion carrying `notes[row]` (1-based). One audit event
    `ledger.write` per write that changed anything. `unit` is the reporting unit (None: the office's own import)."""
    ledger = _kind(kind)
    problem = _period_problems(ledger, year, month)
    if problem:
        raise ValidationFailed(problem)
    try:
        return _rows_write(
            ledger, rows, actor=actor, source=source, year=year, month=month, unit=unit, notes=notes or {}
        )
    except IntegrityError:
        # Another write stored one of these keys between our look-up and our insert: nothing of ours was kept.
        raise ValidationFailed(
            _("Someone else wrote rows of this ledger at the same moment; nothing was saved. Try again.")
        ) from None


def _rows_write(
    ledger: LedgerKind,
    rows: list[dict[str, Any]],
    *,
    actor: Any,
    source: str,
    year: int,
    month: int | None,
    unit: Unit | None,
    notes: dict[int, str],
) -> WriteResult:
    result = WriteResult()
    with transaction.atomic(), audit_batch():
        cleaned, errors, existing = _clean(ledger, rows, year=year, month=month, unit=unit, lock=True)
        if errors:
            raise LedgerValidationFailed(errors)
        moment = clock.now()
        user = _user_or_none(actor)
        new_objects: list[tuple[int, Any, dict[str, Any]]] = []
        changed_projects: set[int] = set()
        for index, row in enumerate(cleaned, start=1):
            data = _row_data(ledger, row)
            obj = existing.get(_row_key(ledger, row))
            if obj is None:
                obj = ledger.model(reporting_unit=unit, version=1, source=source, updated_at=moment, updated_by=user)
                _assign(ledger, obj, row)
                new_objects.append((index, obj, data))
                continue
            if _instance_data(ledger, obj) == data:
                result.unchanged += 1
                result.row_ids.append(obj.pk)
                continue
            _assign(ledger, obj, row)
            obj.is_void = False
            obj.version += 1
            obj.source = source
            obj.updated_at = moment
            obj.updated_by = user
            if unit is not None:
                obj.reporting_unit = unit
            obj.save()
            _version_append(ledger, obj, data=data, actor=user, note=notes.get(index, ""))
            result.updated += 1
            result.row_ids.append(obj.pk)
            if ledger.code == "project_progress":
                changed_projects.add(obj.project_id)
        for start in range(0, len(new_objects), CHUNK):
            chunk = new_objects[start : start + CHUNK]
            _manager(ledger).bulk_create([obj for _index, obj, _data in chunk])
            LedgerRowVersion.objects.bulk_create(
                [
                    LedgerRowVersion(
                        kind=ledger.code,
                        row_id=obj.pk,
                        version=1,
                        data=data,
                        source=source,
                        changed_at=moment,
                        changed_by=user,
                        note=notes.get(index, ""),
                    )
                    for index, obj, data in chunk
                ]
            )
            result.created += len(chunk)
            result.row_ids.extend(obj.pk for _index, obj, _data in chunk)
            if ledger.code == "project_progress":
                changed_projects.update(obj.project_id for _index, obj, _data in chunk)
        if result.created or result.updated:
            projects_note = _projects_recount(changed_projects, actor=user, source=source, moment=moment)
            period = f"{year}-{month:02d}" if month is not None else str(year)
            audit_append(
                action="ledger.write",
                actor=actor,
                object_type=ledger.code,
                object_id=period,
                note=(
                    f"source={source} unit={unit.code if unit else '-'} created={result.created} "
                    f"updated={result.updated} unchanged={result.unchanged}{projects_note}"
                ),
            )
    return result


def _projects_recount(project_ids: Iterable[int], *, actor: Any, source: str, moment: dt.datetime) -> str:
    """Keep each project's annual_completed equal to the sum of its (not void) monthly progress: a new version of
    the project when the sum moved. Returns a note for the audit event."""
    ids = sorted(set(project_ids))
    if not ids:
        return ""
    kind = ledger_kind_get("projects")
    sums = dict(
        MajorProjectProgress.objects.filter(project_id__in=ids, is_void=False)
        .values_list("project_id")
        .annotate(total=Sum("month_completed"))
        .values_list("project_id", "total")
    )
    recounted = []
    for project in MajorProject.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        total = sums.get(project.pk) or Decimal(0)
        if project.annual_completed == total:
            continue
        project.annual_completed = total
        project.version += 1
        project.source = source
        project.updated_at = moment
        project.updated_by = actor
        project.save()
        _version_append(kind, project, data=_instance_data(kind, project), actor=actor)
        recounted.append(str(project.pk))
    return f" projects_recounted={','.join(recounted)}" if recounted else ""


def ledger_row_void(*, kind: LedgerKind | str, row_id: int, actor: Any, reason: str) -> Any:
    """Withdraw a row: it stays, void, with a new version carrying the reason; figures stop counting it."""
    ledger = _kind(kind)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the row is withdrawn."), fields={"reason": [_("This field is required.")]})
    with transaction.atomic(), audit_batch():
        obj = _manager(ledger).select_for_update().filter(pk=row_id).first()
        if obj is None:
            raise NotFound(_("There is no such ledger row."))
        if obj.is_void:
            raise ValidationFailed(_("This row has already been withdrawn."))
        user = _user_or_none(actor)
        obj.is_void = True
        obj.version += 1
        obj.updated_at = clock.now()
        obj.updated_by = user
        obj.save(update_fields=["is_void", "version", "updated_at", "updated_by"])
        _version_append(ledger, obj, data=_instance_data(ledger, obj), actor=user, note=reason)
        projects_note = ""
        if ledger.code == "project_progress":
            projects_note = _projects_recount([obj.project_id], actor=user, source=obj.source, moment=obj.updated_at)
        audit_append(
            action="ledger.void",
            actor=actor,
            object_type=ledger.code,
            object_id=obj.pk,
            note=f"{reason}{projects_note}",
        )
    return obj


# Large changes ----------------------------------------------------------------------------------------------------


def _previous_period(kind: LedgerKind, year: int, month: int | None) -> tuple[int, int | None]:
    if kind.monthly and month:
        return (year, month - 1) if month > 1 else (year - 1, 12)
    return year - 1, None


def ledger_changes_needing_note(
    kind: LedgerKind | str,
    rows: list[dict[str, Any]],
    *,
    unit: Unit | None,
    year: int,
    month: int | None,
) -> list[RowError]:
    """Rows whose change_fields moved more than the kind's change_ratio against the same row of the unit's previous
    period (the previous month; for annual kinds the previous year). A previous value of 0 or none has no ratio and
    asks for nothing. Rows that do not clean are left to ledger_rows_clean's errors."""
    ledger = _kind(kind)
    if not ledger.change_fields or _period_problems(ledger, year, month):
        return []
    cleaned, errors, _existing = _clean(ledger, rows, year=year, month=month, unit=None, lock=False)
    bad_rows = {error.row for error in errors}
    previous_year, previous_month = _previous_period(ledger, year, month)
    if "year" not in ledger.key and previous_year != year:
        return []  # a project's progress in January has no previous month within its project's year
    manager = _manager(ledger)
    found: list[RowError] = []
    for index, row in enumerate(cleaned, start=1):
        if index in bad_rows:
            continue
        filters: dict[str, Any] = {"is_void": False}
        for name in ledger.key:
            attname = _model_field(ledger, name).attname
            if name == "year":
                filters["year"] = previous_year
            elif name == "month":
                filters["month"] = previous_month if previous_month is not None else row.get("month")
            else:
                filters[attname] = _field_value_for_key(row.get(name))
        if "month" in ledger.key and filters["month"] is None:
            continue
        if unit is not None:
            filters["reporting_unit"] = unit
        previous = manager.filter(**filters).first()
        if previous is None:
            continue
        for name in ledger.change_fields:
            before, after = getattr(previous, name), row.get(name)
            if before is None or after is None or before == 0:
                continue
            if abs(Decimal(after) - Decimal(before)) > ledger.change_ratio * abs(Decimal(before)):
                problem = _(
                    "changed by more than %(ratio)s%% against the previous period (%(before)s); add a note saying why."
                ) % {"ratio": int(ledger.change_ratio * 100), "before": before}
                found.append(_row_error(index, ledger, name, problem))
    return found


# Definitions --------------------------------------------------------------------------------------------------------

DATA_DIR = Path(__file__).resolve().parent / "data"
INDICATOR_FIELDS = ("name", "measure", "frequency", "aggregation", "category", "order")
PROGRAMME_FIELDS = ("name", "kind")


def ledger_definitions_read(data_dir: Path = DATA_DIR) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The shipped indicator and programme catalogues (data/indicators.json, data/programmes.json)."""
    indicators = json.loads((data_dir / "indicators.json").read_text(encoding="utf-8"))
    programmes = json.loads((data_dir / "programmes.json").read_text(encoding="utf-8"))
    return indicators, programmes


def ledger_definitions_load(*, actor: Any = None, data_dir: Path = DATA_DIR) -> list[str]:
    """Create or update the indicators and programmes of the shipped catalogues by code (units by code; a unit that
    does not exist leaves the source unit empty). Idempotent; returns a line per definition created or changed."""
    indicators, programmes = ledger_definitions_read(data_dir)
    units = {unit.code: unit for unit in Unit.objects.all()}
    done: list[str] = []
    with transaction.atomic():
        for item in indicators:
            values = {name: item[name] for name in INDICATOR_FIELDS}
            values["source_unit"] = units.get(item.get("source_unit") or "")
            done.extend(_definition_upsert(Indicator, item["code"], values, "indicator"))
        for item in programmes:
            values = {name: item[name] for name in PROGRAMME_FIELDS}
            values["unit"] = units.get(item.get("unit") or "")
            done.extend(_definition_upsert(Programme, item["code"], values, "programme"))
        if done:
            audit_append(
                action="ledger.definitions_load",
                actor=actor,
                object_type="ledger_definitions",
                note="; ".join(done)[:2000],
            )
    return done


def _definition_upsert(model: Any, code: str, values: dict[str, Any], label: str) -> list[str]:
    obj = model.objects.filter(code=code).first()
    if obj is None:
        model.objects.create(code=code, **values)
        return [f"{label} {code}: created"]
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(obj, name, values[name])
    obj.save(update_fields=changed)
    return [f"{label} {code}: {', '.join(changed)} changed"]
