"""The package catalogue as a workbook (and as JSON, the shipped demo data): import with row-level errors, and export.

Sheets: 一件事 (one row per package, its merged form as JSON text), 事项 (one row per bundled matter: dependencies,
condition and field mapping) and 材料 (one row per merged material, with the matters' materials it stands for). As
the matter catalogue's import (whose reading and cell helpers this reuses): every row is checked before anything is
written, any error and nothing is; without `commit` the import runs in a transaction that is rolled back, so its
counts are exactly what a commit would do.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from govdesk.matters.transfer import (
    NO,
    YES,
    ImportItem,
    ProgressCallback,
    _at,
    _CellError,
    _cells_as_text,
    _integer,
    _json_where,
    _Row,
    _text,
    _yes_no,
    publish_all,
    read_json_list,
    read_workbook,
)
from govdesk.org.models import Unit

from .catalogue import package_version_check, package_version_publish
from .models import LifeEvent, Package, PackageVersion

PACKAGES_SHEET = "一件事"
ITEMS_SHEET = "事项"
MATERIALS_SHEET = "材料"
# (key, header). Headers are what people see and edit in the workbook: Chinese data, not UI strings.
PACKAGE_COLUMNS = [
    ("code", "一件事编码"),
    ("name", "一件事名称"),
    ("life_event", "主题"),
    ("lead_unit", "牵头单位编码"),
    ("description", "说明"),
    ("promised_limit_days", "承诺总时限（工作日）"),
    ("fields", "合并表单字段（JSON）"),
    ("is_active", "启用"),
]
ITEM_COLUMNS = [
    ("package", "一件事编码"),
    ("matter", "事项编码"),
    ("order", "顺序"),
    ("depends_on", "前置事项编码"),
    ("condition", "办理条件（JSON）"),
    ("field_map", "字段对应（JSON）"),
]
MATERIAL_COLUMNS = [
    ("package", "一件事编码"),
    ("code", "材料编码"),
    ("name", "材料名称"),
    ("required", "必要"),
    ("sources", "对应事项材料"),
    ("order", "顺序"),
    # "matter code:producing matter code；…": that matter receives this material from the producing part's result.
    ("from_result_of", "由前置事项结果提供"),
]
LIFE_EVENT_BY_LABEL = {
    "出生": LifeEvent.BIRTH,
    "教育": LifeEvent.EDUCATION,
    "就业": LifeEvent.EMPLOYMENT,
    "居住与住房": LifeEvent.RESIDENCE,
    "婚姻家庭": LifeEvent.MARRIAGE,
    "医疗健康": LifeEvent.HEALTH,
    "社会保障": LifeEvent.SOCIAL_SECURITY,
    "残疾人服务": LifeEvent.DISABILITY,
    "退役军人": LifeEvent.VETERANS,
    "交通出行": LifeEvent.TRANSPORT,
    "退休养老": LifeEvent.RETIREMENT,
    "身后事": LifeEvent.DEATH,
    "企业开办": LifeEvent.BUSINESS_OPENING,
    "企业经营": LifeEvent.BUSINESS_OPERATION,
    "企业变更": LifeEvent.BUSINESS_CHANGE,
    "工程建设": LifeEvent.CONSTRUCTION,
    "企业退出": LifeEvent.BUSINESS_CLOSING,
}
LABEL_BY_LIFE_EVENT = {value: label for label, value in LIFE_EVENT_BY_LABEL.items()}
# "141102-09-WJ-0007:M02；141102-09-GA-0001:M03" in the 材料 sheet: matter code and that matter's material code.
SOURCE_SEPARATORS = ("；", ";", "\n")


@dataclass
class PackageImportResult:
    packages: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    committed: bool = False
    errors: list[str] = field(default_factory=list)
    items: list[ImportItem] = field(default_factory=list)


@dataclass
class _PackageRecord:
    row: _Row
    items: list[_Row] = field(default_factory=list)
    materials: list[_Row] = field(default_factory=list)


# --- reading ---------------------------------------------------------------------------------------------------------


def _records_from_xlsx(content: bytes, errors: list[str]) -> list[_PackageRecord]:
    package_rows, item_rows, material_rows = read_workbook(
        content,
        [
            (PACKAGES_SHEET, PACKAGE_COLUMNS, {"description", "is_active"}),
            (ITEMS_SHEET, ITEM_COLUMNS, {"order", "condition"}),
            (MATERIALS_SHEET, MATERIAL_COLUMNS, {"order", "from_result_of"}),
        ],
        errors,
    )
    return _group(package_rows, item_rows, material_rows, errors)


def _records_from_json(content: bytes, errors: list[str]) -> list[_PackageRecord]:
    """The shipped demo data: {"packages": [{...package columns..., "items": [{...}], "materials": [{...}]}]}."""
    packages = read_json_list(content, "packages", _('The JSON must be an object with a list "packages".'))
    records = []
    for index, package in enumerate(packages, start=1):
        if not isinstance(package, dict):
            errors.append(_("Package %(number)d is not an object.") % {"number": index})
            continue
        label = _("package %(number)d") % {"number": index}
        record = _PackageRecord(_Row({key: package.get(key) for key, _t in PACKAGE_COLUMNS}, _json_where(label)))
        for kind, columns, target in (
            ("items", ITEM_COLUMNS, record.items),
            ("materials", MATERIAL_COLUMNS, record.materials),
        ):
            rows = package.get(kind) or []
            if not isinstance(rows, list):
                errors.append(_at(record.row.where(kind), _("Must be a list.")))
                continue
            for position, row in enumerate(rows, start=1):
                where = _json_where(f"{label}, {kind} {position}")
                if not isinstance(row, dict):
                    errors.append(_at(where(""), _("Must be an object.")))
                    continue
                target.append(_Row({key: row.get(key) for key, _t in columns}, where))
        records.append(record)
    return records


def _group(
    package_rows: list[_Row], item_rows: list[_Row], material_rows: list[_Row], errors: list[str]
) -> list[_PackageRecord]:
    records: dict[str, _PackageRecord] = {}
    ordered: list[_PackageRecord] = []
    for row in package_rows:
        code = _text(row.values.get("code"))
        record = _PackageRecord(row)
        ordered.append(record)
        if code in records:
            errors.append(_at(row.where("code"), _("The package code %(code)s appears twice.") % {"code": code}))
        elif code:
            records[code] = record
    for rows, kind in ((item_rows, "items"), (material_rows, "materials")):
        for row in rows:
            code = _text(row.values.get("package"))
            if code not in records:
                errors.append(
                    _at(
                        row.where("package"),
                        _("No package with the code %(code)s in sheet %(sheet)s.")
                        % {"code": code, "sheet": PACKAGES_SHEET},
                    )
                )
                continue
            getattr(records[code], kind).append(row)
    return ordered


# --- checking --------------------------------------------------------------------------------------------------------


def _json_cell(value: Any, default: Any) -> Any:
    if isinstance(value, (list, dict)):
        return value
    text = _text(value)
    if not text:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _CellError(_("Not valid JSON: %(error)s") % {"error": exc}) from None


def _codes(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_text(code) for code in value if _text(code)]
    text = _text(value)
    for separator in ("，", "；", ";", "\n"):
        text = text.replace(separator, ",")
    return [code.strip() for code in text.split(",") if code.strip()]


def _sources(value: Any) -> list[dict[str, str]]:
    if isinstance(value, list):
        return value
    text = _text(value)
    for separator in SOURCE_SEPARATORS:
        text = text.replace(separator, ",")
    sources = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        matter, colon, material = part.replace("：", ":").rpartition(":")
        if not colon or not matter.strip() or not material.strip():
            raise _CellError(_('Write each as "matter code:material code", separated by ；.'))
        sources.append({"matter": matter.strip(), "material": material.strip()})
    return sources


def _producers(value: Any) -> dict[str, str]:
    """The "from_result_of" cell: {matter code: the matter whose result provides the material}."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    text = _text(value)
    for separator in SOURCE_SEPARATORS:
        text = text.replace(separator, ",")
    producers = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        matter, colon, producer = part.replace("：", ":").partition(":")
        if not colon or not matter.strip() or not producer.strip():
            raise _CellError(
                _('Write each as "matter code:code of the matter whose result provides it", separated by ；.')
            )
        producers[matter.strip()] = producer.strip()
    return producers


def _sources_with_producers(sources: Any, producers: Any) -> Any:
    """`sources` with each matter's producer (`from_result_of`) from the column; a matter the material does not stand
    for is reported by the check as an unknown source."""
    if not isinstance(sources, list) or not producers:
        return sources
    result = [dict(source) if isinstance(source, dict) else source for source in sources]
    for matter, producer in producers.items():
        targets = [s for s in result if isinstance(s, dict) and s.get("matter") == matter]
        if not targets:
            result.append({"matter": matter, "material": "", "from_result_of": producer})
        for source in targets:
            source["from_result_of"] = producer
    return result


def _check_record(record: _PackageRecord, units: dict[str, Unit], errors: list[str]) -> dict[str, Any] | None:
    """The record converted for package_version_publish, or None after appending its errors (sheet/row/column)."""
    values, where = record.row.values, record.row.where
    before = len(errors)

    def cell(row: _Row, key: str, convert: Callable[[Any], Any]) -> Any:
        try:
            return convert(row.values.get(key))
        except _CellError as exc:
            errors.append(_at(row.where(key), str(exc)))
            return None

    code = _text(values.get("code"))
    if not code:
        errors.append(_at(where("code"), _("A package code is required.")))
    raw_event = _text(values.get("life_event"))
    life_event = LIFE_EVENT_BY_LABEL.get(raw_event, raw_event if raw_event in LifeEvent.values else None)
    if life_event is None:
        errors.append(
            _at(
                where("life_event"),
                _("Unknown life event %(event)s; use one of %(events)s.")
                % {"event": raw_event, "events": "、".join(LIFE_EVENT_BY_LABEL)},
            )
        )
    unit_code = _text(values.get("lead_unit"))
    lead_unit = units.get(unit_code)
    if lead_unit is None:
        errors.append(_at(where("lead_unit"), _("No unit with the code %(code)s.") % {"code": unit_code}))
    attrs = {
        "name": _text(values.get("name")),
        "life_event": life_event,
        "lead_unit": lead_unit,
        "description": _text(values.get("description")),
        "promised_limit_days": cell(record.row, "promised_limit_days", _integer),
        "fields": cell(record.row, "fields", lambda v: _json_cell(v, [])),
    }
    is_active = cell(record.row, "is_active", lambda v: _yes_no(v, default=True))
    items = []
    for position, row in enumerate(record.items, start=1):
        items.append(
            {
                "matter": _text(row.values.get("matter")),
                # The lambda runs at once, inside this iteration: `position` is the current one.
                "order": cell(row, "order", lambda v: position if v in (None, "") else _integer(v)),  # noqa: B023
                "depends_on": _codes(row.values.get("depends_on")),
                "condition": cell(row, "condition", lambda v: _json_cell(v, {})),
                "field_map": cell(row, "field_map", lambda v: _json_cell(v, {})),
            }
        )
    materials = []
    for position, row in enumerate(record.materials, start=1):
        materials.append(
            {
                "code": _text(row.values.get("code")),
                "name": _text(row.values.get("name")),
                "required": cell(row, "required", lambda v: _yes_no(v, default=True)),
                "sources": _sources_with_producers(
                    cell(row, "sources", _sources), cell(row, "from_result_of", _producers)
                ),
                "order": cell(row, "order", lambda v: position if v in (None, "") else _integer(v)),  # noqa: B023
            }
        )
    if len(errors) > before:
        return None
    problems = package_version_check(attrs=attrs, items=items, materials=materials)
    for key, messages in problems.items():
        location = where(key)
        head, _dot, tail = key.partition(".")
        if head == "items" and tail.isdigit() and 0 < int(tail) <= len(record.items):
            location = record.items[int(tail) - 1].where("matter")
        elif head == "materials" and tail:
            rows = [r for m, r in zip(materials, record.materials, strict=True) if m["code"] == tail]
            if rows:
                location = rows[-1].where("sources")
            elif tail.isdigit() and 0 < int(tail) <= len(record.materials):
                location = record.materials[int(tail) - 1].where("code")
        elif head == "items":
            location = where("code")
        errors.extend(_at(location, str(message)) for message in messages)
    if problems:
        return None
    for item in items:
        item.pop("_matter", None)
    return {"code": code, "attrs": attrs, "items": items, "materials": materials, "is_active": is_active}


# --- the import ------------------------------------------------------------------------------------------------------


def packages_import(
    *,
    content: bytes,
    filename: str = "",
    commit: bool = False,
    acting_user: Any = None,
    progress: ProgressCallback | None = None,
) -> PackageImportResult:
    """Check a package file (.xlsx, or .json for the shipped data) row by row and, with `commit`, publish it.

    Every error is collected with its sheet, row and column; with any error nothing is written. Unchanged packages
    make no new version, so importing the same file twice is harmless. The matters must be in the catalogue first.
    """
    errors: list[str] = []
    if filename.lower().endswith(".json"):
        records = _records_from_json(content, errors)
    else:
        records = _records_from_xlsx(content, errors)
    units = {unit.code: unit for unit in Unit.objects.all()}
    checked = [_check_record(record, units, errors) for record in records]
    result = PackageImportResult(packages=len(records), errors=errors)
    if errors:
        return result
    publish_all(
        checked,
        model=Package,
        publish=package_version_publish,
        acting_user=acting_user,
        result=result,
        commit=commit,
        progress=progress,
    )
    return result


# --- export ----------------------------------------------------------------------------------------------------------


def _current_versions() -> list[tuple[Package, PackageVersion]]:
    packages = (
        Package.objects.filter(current_version__isnull=False)
        .select_related("current_version__lead_unit")
        .prefetch_related("current_version__items__matter", "current_version__materials")
        .order_by("code")
    )
    return [(package, package.current_version) for package in packages if package.current_version]


def packages_export() -> bytes:
    """The current version of every package as a workbook that packages_import reads back unchanged."""
    workbook = Workbook()
    packages_sheet = workbook.active
    packages_sheet.title = PACKAGES_SHEET
    items_sheet = workbook.create_sheet(ITEMS_SHEET)
    materials_sheet = workbook.create_sheet(MATERIALS_SHEET)
    for sheet, columns in (
        (packages_sheet, PACKAGE_COLUMNS),
        (items_sheet, ITEM_COLUMNS),
        (materials_sheet, MATERIAL_COLUMNS),
    ):
        sheet.append([title for _key, title in columns])
    for package, version in _current_versions():
        packages_sheet.append(
            [
                package.code,
                version.name,
                LABEL_BY_LIFE_EVENT.get(LifeEvent(version.life_event), version.life_event),
                version.lead_unit.code,
                version.description,
                version.promised_limit_days,
                json.dumps(version.fields, ensure_ascii=False),
                YES if package.is_active else NO,
            ]
        )
        for item in version.items.all():
            items_sheet.append(
                [
                    package.code,
                    item.matter.code,
                    item.order,
                    ",".join(item.depends_on),
                    json.dumps(item.condition, ensure_ascii=False) if item.condition else "",
                    json.dumps(item.field_map, ensure_ascii=False),
                ]
            )
        for material in version.materials.all():
            materials_sheet.append(
                [
                    package.code,
                    material.code,
                    material.name,
                    YES if material.required else NO,
                    "；".join(f"{s['matter']}:{s['material']}" for s in material.sources),
                    material.order,
                    "；".join(
                        f"{s['matter']}:{s['from_result_of']}" for s in material.sources if s.get("from_result_of")
                    ),
                ]
            )
    for sheet, widths in (
        (packages_sheet, [14, 30, 12, 14, 40, 10, 60, 6]),
        (items_sheet, [14, 24, 6, 40, 30, 60]),
        (materials_sheet, [14, 10, 30, 6, 60, 6, 40]),
    ):
        _cells_as_text(sheet)
        for index, width in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def packages_export_json() -> bytes:
    """The current versions as the JSON the demo data ships in (one package a line: readable diffs)."""
    rows = []
    for package, version in _current_versions():
        rows.append(
            {
                "code": package.code,
                "name": version.name,
                "life_event": version.life_event,
                "lead_unit": version.lead_unit.code,
                "description": version.description,
                "promised_limit_days": version.promised_limit_days,
                "fields": version.fields,
                "items": [
                    {
                        "matter": item.matter.code,
                        "order": item.order,
                        "depends_on": item.depends_on,
                        "condition": item.condition,
                        "field_map": item.field_map,
                    }
                    for item in version.items.all()
                ],
                "materials": [
                    {"code": m.code, "name": m.name, "required": m.required, "sources": m.sources, "order": m.order}
                    for m in version.materials.all()
                ],
                "is_active": package.is_active,
            }
        )
    lines = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in rows)
    return ('{"packages": [\n' + lines + "\n]}\n").encode()
