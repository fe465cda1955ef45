"""The catalogue as a workbook (and as JSON, the shipped demo data): import with row-level errors, and export.

Sheets: 事项 (one row per matter, its form fields as JSON text) and 材料 (one row per material, by matter code).
An import checks every row before writing anything; any error and nothing is written. Without `commit` it runs in a
transaction that is rolled back, so the counts it reports are exactly what a commit would do.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import models, transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from govdesk.common import validators
from govdesk.common.errors import ValidationFailed
from govdesk.org.models import Unit

from .models import MaterialForm, Matter, MatterType
from .services import matter_version_check, matter_version_publish

MATTERS_SHEET = "事项"
MATERIALS_SHEET = "材料"
# (key, header). Headers are what people see and edit in the workbook, so they are Chinese data, not UI strings.
MATTER_COLUMNS = [
    ("code", "事项编码"),
    ("name", "事项名称"),
    ("type", "事项类型"),
    ("unit", "实施主体编码"),
    ("legal_basis", "设定依据"),
    ("conditions", "受理条件"),
    ("legal_limit_days", "法定办结时限（工作日）"),
    ("promised_limit_days", "承诺办结时限（工作日）"),
    ("instant", "即办件"),
    ("visits", "到办事现场次数"),
    ("fee", "收费"),
    ("fields", "表单字段（JSON）"),
    ("is_active", "启用"),
]
MATERIAL_COLUMNS = [
    ("matter", "事项编码"),
    ("code", "材料编码"),
    ("name", "材料名称"),
    ("form", "材料形式"),
    ("copies", "份数"),
    ("required", "必要"),
    ("source", "来源渠道"),
    ("sample", "填报须知"),
    ("order", "顺序"),
]
TYPE_BY_LABEL = {
    "行政许可": MatterType.LICENSING,
    "行政给付": MatterType.BENEFIT,
    "行政确认": MatterType.CONFIRMATION,
    "行政裁决": MatterType.ADJUDICATION,
    "行政奖励": MatterType.REWARD,
    "其他行政权力": MatterType.OTHER_POWER,
    "公共服务": MatterType.PUBLIC_SERVICE,
}
LABEL_BY_TYPE = {value: label for label, value in TYPE_BY_LABEL.items()}
FORM_BY_LABEL = {
    "原件": MaterialForm.ORIGINAL,
    "复印件": MaterialForm.COPY,
    "原件和复印件": MaterialForm.ORIGINAL_AND_COPY,
}
LABEL_BY_FORM = {value: label for label, value in FORM_BY_LABEL.items()}
YES, NO = "是", "否"
MAX_ROWS = 20000

ATTR_TO_COLUMN = {key: header for key, header in MATTER_COLUMNS}
MATERIAL_TO_COLUMN = {key: header for key, header in MATERIAL_COLUMNS}


@dataclass(frozen=True)
class ImportItem:
    """What the import does to one matter: `new` (version 1), `changed` (a new version, or switched on or off) or
    `unchanged`; `version` is the version that is current afterwards, `previous` the one before (0 for a new one)."""

    code: str
    name: str
    outcome: str
    version: int
    previous: int


@dataclass
class ImportResult:
    matters: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    committed: bool = False
    errors: list[str] = field(default_factory=list)
    items: list[ImportItem] = field(default_factory=list)


class ImportReport(Protocol):
    """What an import answers (`ImportResult`, the packages' `PackageImportResult`): counts, errors, items."""

    created: int
    changed: int
    unchanged: int
    committed: bool
    errors: list[str]
    items: list[ImportItem]


@dataclass
class _Row:
    values: dict[str, Any]
    where: Callable[[str], str]  # column key -> "「事项」表第3行「法定时限」列"


@dataclass
class _MatterRecord:
    row: _Row
    materials: list[_Row] = field(default_factory=list)


ProgressCallback = Callable[[int, int], None]


# --- reading ---------------------------------------------------------------------------------------------------------


def _xlsx_where(sheet: str, row: int, columns: dict[str, str]) -> Callable[[str], str]:
    def where(key: str) -> str:
        column = columns.get(key)
        if column is None:
            return _("sheet %(sheet)s, row %(row)d") % {"sheet": sheet, "row": row}
        return _("sheet %(sheet)s, row %(row)d, column %(column)s") % {"sheet": sheet, "row": row, "column": column}

    return where


def _read_sheet(
    workbook: Any, sheet: str, columns: list[tuple[str, str]], errors: list[str], *, optional: set[str]
) -> list[_Row]:
    if sheet not in workbook.sheetnames:
        errors.append(_("The workbook has no sheet named %(sheet)s.") % {"sheet": sheet})
        return []
    rows = workbook[sheet].iter_rows(values_only=True)
    header = [str(cell).strip() if cell is not None else "" for cell in next(rows, ())]
    position = {}
    for key, title in columns:
        if title in header:
            position[key] = header.index(title)
        elif key not in optional:
            errors.append(_("Sheet %(sheet)s has no column %(column)s.") % {"sheet": sheet, "column": title})
    if errors:
        return []
    titles = dict(columns)
    read: list[_Row] = []
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS:
            errors.append(_("Sheet %(sheet)s has more than %(limit)d rows.") % {"sheet": sheet, "limit": MAX_ROWS})
            break
        if cells is None or all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue  # blank rows between blocks are common in hand-edited sheets
        values = {key: cells[index] if index < len(cells) else None for key, index in position.items()}
        read.append(_Row(values, _xlsx_where(sheet, number, titles)))
    return read


def read_workbook(
    content: bytes, sheets: list[tuple[str, list[tuple[str, str]], set[str]]], errors: list[str]
) -> list[list[_Row]]:
    """The rows of each (sheet, columns, optional column keys) of a workbook, in that order; a missing sheet or
    column is an error and no rows. A file that is no workbook is a ValidationFailed, never a 500."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # InvalidFileException, zipfile.BadZipFile, OSError, KeyError and friends
        raise ValidationFailed(_("This file is not an Excel workbook (.xlsx): %(error)s") % {"error": exc}) from None
    try:
        return [_read_sheet(workbook, sheet, columns, errors, optional=optional) for sheet, columns, optional in sheets]
    finally:
        workbook.close()


def _records_from_xlsx(content: bytes, errors: list[str]) -> list[_MatterRecord]:
    matter_rows, material_rows = read_workbook(
        content,
        [
            (MATTERS_SHEET, MATTER_COLUMNS, {"is_active", "fields"}),
            (MATERIALS_SHEET, MATERIAL_COLUMNS, {"sample", "order"}),
        ],
        errors,
    )
    return _group(matter_rows, material_rows, errors)


def read_json_list(content: bytes, key: str, refusal: str) -> list[Any]:
    """The list `key` of a JSON object file; a file that is no such object is a ValidationFailed with `refusal`."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(_("This file is not valid JSON: %(error)s") % {"error": exc}) from None
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValidationFailed(refusal)
    return items


def _records_from_json(content: bytes, errors: list[str]) -> list[_MatterRecord]:
    """The shipped demo catalogue: {"matters": [{...matter columns..., "materials": [{...}]}]}."""
    items = read_json_list(content, "matters", _('The JSON must be an object with a list "matters".'))
    records = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(_("Matter %(number)d is not an object.") % {"number": index})
            continue
        values = {key: item.get(key) for key, _title in MATTER_COLUMNS}
        record = _MatterRecord(_Row(values, _json_where(_("matter %(number)d") % {"number": index})))
        for m_index, material in enumerate(item.get("materials") or [], start=1):
            if not isinstance(material, dict):
                errors.append(
                    _("Matter %(number)d: material %(m)d is not an object.") % {"number": index, "m": m_index}
                )
                continue
            label = _("matter %(number)d, material %(m)d") % {"number": index, "m": m_index}
            material_values = {key: material.get(key) for key, _title in MATERIAL_COLUMNS}
            record.materials.append(_Row(material_values, _json_where(label)))
        records.append(record)
    return records


def _json_where(label: str) -> Callable[[str], str]:
    return lambda key: f"{label}「{key}」"


def _group(matter_rows: list[_Row], material_rows: list[_Row], errors: list[str]) -> list[_MatterRecord]:
    records: dict[str, _MatterRecord] = {}
    ordered: list[_MatterRecord] = []
    for row in matter_rows:
        code = _text(row.values.get("code"))
        record = _MatterRecord(row)
        ordered.append(record)
        if code in records:
            errors.append(
                _("%(where)s: the matter code %(code)s appears twice.") % {"where": row.where("code"), "code": code}
            )
        elif code:
            records[code] = record
    for row in material_rows:
        code = _text(row.values.get("matter"))
        if code not in records:
            errors.append(
                _("%(where)s: no matter with the code %(code)s in sheet %(sheet)s.")
                % {"where": row.where("matter"), "code": code, "sheet": MATTERS_SHEET}
            )
            continue
        records[code].materials.append(row)
    return ordered


# --- checking --------------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return validators.clean_text(str(value))


def _at(location: str, message: str) -> str:
    return _("%(where)s: %(message)s") % {"where": location, "message": message}


class _CellError(Exception):
    pass


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise _CellError(_("Enter a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if text.isdigit():
        return int(text)
    raise _CellError(_("Enter a whole number."))


def _yes_no(value: Any, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("是", "yes", "true", "1", "y"):
        return True
    if text in ("否", "no", "false", "0", "n"):
        return False
    raise _CellError(_("Enter yes or no."))


def _check_record(record: _MatterRecord, units: dict[str, Unit], errors: list[str]) -> dict[str, Any] | None:
    """The record converted for matter_version_publish, or None after appending its errors (with sheet/row/column)."""
    values, where = record.row.values, record.row.where
    before = len(errors)

    def cell(key: str, convert: Callable[[Any], Any]) -> Any:
        try:
            return convert(values.get(key))
        except _CellError as exc:
            errors.append(_at(where(key), str(exc)))
            return None

    code = _text(values.get("code"))
    if not code:
        errors.append(_at(where("code"), _("A matter code is required.")))
    elif len(code) > 64:
        errors.append(_at(where("code"), _("At most %(limit)d characters.") % {"limit": 64}))
    elif validators.has_control_characters(code, allow_newlines=False):
        errors.append(_at(where("code"), _("This text contains invisible control characters; please remove them.")))
    raw_type = _text(values.get("type"))
    matter_type = TYPE_BY_LABEL.get(raw_type, raw_type if raw_type in MatterType.values else None)
    if matter_type is None:
        message = _("Unknown matter type %(type)s; use one of %(types)s.") % {
            "type": raw_type,
            "types": "、".join(TYPE_BY_LABEL),
        }
        errors.append(_at(where("type"), str(message)))
    unit_code = _text(values.get("unit"))
    unit = units.get(unit_code)
    if unit is None:
        errors.append(_at(where("unit"), _("No unit with the code %(code)s.") % {"code": unit_code}))
    raw_fields = values.get("fields")
    fields: Any = []
    if isinstance(raw_fields, list):
        fields = raw_fields
    elif _text(raw_fields):
        try:
            fields = json.loads(str(raw_fields))
        except json.JSONDecodeError as exc:
            errors.append(_at(where("fields"), _("Not valid JSON: %(error)s") % {"error": exc}))
    attrs = {
        "name": _text(values.get("name")),
        "type": matter_type,
        "unit": unit,
        "legal_basis": _text(values.get("legal_basis")),
        "conditions": _text(values.get("conditions")),
        "legal_limit_days": cell("legal_limit_days", _integer),
        "promised_limit_days": cell("promised_limit_days", _integer),
        "instant": cell("instant", lambda v: _yes_no(v, default=False)),
        "visits": cell("visits", lambda v: 1 if v in (None, "") else _integer(v)),
        "fee": _text(values.get("fee")) or "不收费",
        "fields": fields,
    }
    is_active = cell("is_active", lambda v: _yes_no(v, default=True))
    materials: list[dict[str, Any]] = []
    locations: list[Callable[[str], str]] = []
    for position, row in enumerate(record.materials):
        m_values = row.values

        def material_cell(key: str, convert: Callable[[Any], Any], row: _Row = row) -> Any:
            try:
                return convert(row.values.get(key))
            except _CellError as exc:
                errors.append(_at(row.where(key), str(exc)))
                return None

        form_text = _text(m_values.get("form")) or LABEL_BY_FORM[MaterialForm.ORIGINAL]
        material_form = FORM_BY_LABEL.get(form_text, form_text if form_text in MaterialForm.values else None)
        if material_form is None:
            message = _("Unknown form %(form)s; use one of %(forms)s.") % {
                "form": form_text,
                "forms": "、".join(FORM_BY_LABEL),
            }
            errors.append(_at(row.where("form"), str(message)))
        materials.append(
            {
                "code": _text(m_values.get("code")),
                "name": _text(m_values.get("name")),
                "form": material_form,
                "copies": material_cell("copies", lambda v: 1 if v in (None, "") else _integer(v)),
                "required": material_cell("required", lambda v: _yes_no(v, default=True)),
                "source": _text(m_values.get("source")),
                "sample": _text(m_values.get("sample")),
                # The lambda runs at once, inside this iteration: `position` is the current one.
                "order": material_cell("order", lambda v: position if v in (None, "") else _integer(v)),  # noqa: B023
            }
        )
        locations.append(row.where)
    if len(errors) > before:
        return None
    problems = matter_version_check(attrs=attrs, materials=materials)
    for key, messages in problems.items():
        location = where(key)
        if key.startswith("materials."):
            material_code = key.split(".", 1)[1]
            # The last row with the code: for a duplicate, the row that repeats it.
            for material, material_where in reversed(list(zip(materials, locations, strict=True))):
                if material["code"] == material_code:
                    location = material_where("code")
                    break
        errors.extend(_at(location, str(message)) for message in messages)
    if problems:
        return None
    return {"code": code, "attrs": attrs, "materials": materials, "is_active": is_active}


# --- the import ------------------------------------------------------------------------------------------------------


def matters_import(
    *,
    content: bytes,
    filename: str = "",
    commit: bool = False,
    acting_user: Any = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Check a catalogue file (.xlsx, or .json for the shipped data) row by row and, with `commit`, publish it.

    Every error is collected with its sheet, row and column; with any error nothing is written. Unchanged matters
    make no new version, so importing the same file twice is harmless.
    """
    errors: list[str] = []
    if filename.lower().endswith(".json"):
        records = _records_from_json(content, errors)
    else:
        records = _records_from_xlsx(content, errors)
    units = {unit.code: unit for unit in Unit.objects.all()}
    checked = [_check_record(record, units, errors) for record in records]
    result = ImportResult(matters=len(records), errors=errors)
    if errors:
        return result
    publish_all(
        checked,
        model=Matter,
        publish=matter_version_publish,
        acting_user=acting_user,
        result=result,
        commit=commit,
        progress=progress,
    )
    return result


def publish_all(
    checked: list[dict[str, Any] | None],
    *,
    model: type[models.Model],
    publish: Callable[..., Any],
    acting_user: Any,
    result: ImportReport,
    commit: bool,
    progress: ProgressCallback | None,
) -> None:
    """Publish every checked record (none is None once the check found no error) in one transaction, rolled back
    without `commit`, and count in `result` what each did. A record is the keyword arguments of `publish`, the publish
    service (`matter_version_publish`, `package_version_publish`); `model` (Matter, Package) tells a new code from a
    changed one by its current version."""
    with transaction.atomic():
        for done, item in enumerate(checked, start=1):
            assert item is not None  # no errors means every record converted
            found = list(
                model._default_manager.filter(code=item["code"]).values_list("current_version__version", flat=True)[:1]
            )
            existed, current = bool(found), (found[0] if found else None)
            outcome = publish(**item, acting_user=acting_user)
            if outcome.activity_changed or (outcome.created and existed):
                result.changed += 1
                kind = "changed"
            elif not outcome.created:
                result.unchanged += 1
                kind = "unchanged"
            else:
                result.created += 1
                kind = "new"
            result.items.append(
                ImportItem(
                    code=item["code"],
                    name=outcome.version.name,
                    outcome=kind,
                    version=outcome.version.version,
                    previous=current or 0,
                )
            )
            if progress:
                progress(done, len(checked))
        if not commit:
            transaction.set_rollback(True)
    result.committed = commit


# --- export ----------------------------------------------------------------------------------------------------------


def _matters_for_export() -> Iterable[Matter]:
    return (
        Matter.objects.filter(current_version__isnull=False)
        .select_related("current_version__unit")
        .prefetch_related("current_version__materials")
        .order_by("code")
    )


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cells_as_text(sheet: Any) -> None:
    """Text stays text: openpyxl writes a string starting with "=" as a formula, and Excel would run one starting
    with + - @ too (formula injection through a matter's name). Quote-prefixed cells read back unchanged."""
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if cell.value.startswith(FORMULA_PREFIXES):
                    cell.quotePrefix = True


def matters_export() -> bytes:
    """The current version of every matter as a workbook that matters_import reads back unchanged."""
    workbook = Workbook()
    matters_sheet = workbook.active
    matters_sheet.title = MATTERS_SHEET
    materials_sheet = workbook.create_sheet(MATERIALS_SHEET)
    matters_sheet.append([title for _key, title in MATTER_COLUMNS])
    materials_sheet.append([title for _key, title in MATERIAL_COLUMNS])
    for matter in _matters_for_export():
        version = matter.current_version
        assert version is not None
        matters_sheet.append(
            [
                matter.code,
                version.name,
                LABEL_BY_TYPE.get(MatterType(version.type), version.type),
                version.unit.code,
                version.legal_basis,
                version.conditions,
                version.legal_limit_days,
                version.promised_limit_days,
                YES if version.instant else NO,
                version.visits,
                version.fee,
                json.dumps(version.fields, ensure_ascii=False) if version.fields else "",
                YES if matter.is_active else NO,
            ]
        )
        for material in version.materials.all():
            materials_sheet.append(
                [
                    matter.code,
                    material.code,
                    material.name,
                    LABEL_BY_FORM.get(MaterialForm(material.form), material.form),
                    material.copies,
                    YES if material.required else NO,
                    material.source,
                    material.sample,
                    material.order,
                ]
            )
    for sheet in (matters_sheet, materials_sheet):
        _cells_as_text(sheet)
    for sheet, widths in (
        (matters_sheet, [30, 30, 12, 14, 40, 40, 10, 10, 8, 8, 12, 40, 6]),
        (materials_sheet, [30, 12, 30, 12, 6, 6, 16, 30, 6]),
    ):
        for index, width in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
