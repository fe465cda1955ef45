"""Project types and their flows as data: checked, imported and exported like the package catalogue they are made of.

A project type (政府投资、社会投资、简易低风险、带方案出让) has a total limit and numbered stages; each stage is a
package (一件事) of the catalogue with its own limit, the matters approved on commitment (告知承诺) and the matters
inspected together as the joint acceptance (联合验收). One check (`project_type_check`) serves the importer and the
admin, so a flow is never saved that the other would refuse.

Files: JSON (the shipped demo types: {"project_types": [{..., "stages": [{...}]}]}) or a workbook with the sheets
项目类型 (one row per type) and 阶段 (one row per stage). Every row is checked before anything is written; any error and
nothing is; without `commit` the import runs in a transaction that is rolled back, so its counts are exactly what a
commit would do.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from openpyxl import Workbook

from govdesk.audit.services import audit_append
from govdesk.common import validators
from govdesk.common.errors import ValidationFailed
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
    read_json_list,
    read_workbook,
)
from govdesk.packages.models import Package, PackageItem

from .models import FlowStage, ProjectStage, ProjectType

TYPES_SHEET = "项目类型"
STAGES_SHEET = "阶段"
# (key, header). Headers are what people see and edit in the workbook: Chinese data, not UI strings.
TYPE_COLUMNS = [
    ("code", "类型编码"),
    ("name", "类型名称"),
    ("description", "说明"),
    ("total_limit_days", "全流程时限（工作日）"),
    ("is_active", "启用"),
    ("order", "顺序"),
]
STAGE_COLUMNS = [
    ("type", "类型编码"),
    ("no", "阶段序号"),
    ("name", "阶段名称"),
    ("package", "一件事编码"),
    ("limit_days", "阶段时限（工作日）"),
    ("opens_with_previous", "与上一阶段同时开始"),
    ("commitment_matters", "告知承诺事项编码"),
    ("joint_matters", "联合验收事项编码"),
    ("joint_result_name", "联合验收结果文书"),
    ("joint_limit_days", "联合验收时限（工作日）"),
    # "matter code:document name；…"
    ("permit_kinds", "核发文书"),
]
TYPE_KEYS = ("name", "description", "total_limit_days", "is_active", "order")
STAGE_KEYS = (
    "no",
    "name",
    "package",
    "limit_days",
    "opens_with_previous",
    "commitment_matters",
    "joint_matters",
    "joint_result_name",
    "joint_limit_days",
    "permit_kinds",
)
MAX_STAGES = 10
MAX_DAYS = 3650
LIST_SEPARATORS = ("，", "；", ";", "\n")


@dataclass
class ProjectTypeImportResult:
    types: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    committed: bool = False
    errors: list[str] = field(default_factory=list)
    items: list[ImportItem] = field(default_factory=list)


# --- the check -------------------------------------------------------------------------------------------------------


def _is_int(value: Any, low: int, high: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _package_matters(codes: set[str]) -> dict[str, list[str]]:
    """{package code: its current version's matter codes} for the active, published packages among `codes`."""
    packages = (
        Package.objects.filter(code__in=codes, is_active=True, current_version__is_published=True)
        .select_related("current_version")
        .prefetch_related(
            Prefetch(
                "current_version__items",
                queryset=PackageItem.objects.select_related("matter").order_by("order", "id"),
            )
        )
    )
    return {
        package.code: [item.matter.code for item in package.current_version.items.all()]
        for package in packages
        if package.current_version is not None
    }


def stage_lengths(stages: list[dict[str, Any]]) -> list[int]:
    """The working days the stages take one after another: a stage that opens with the one before runs beside it,
    so such a group counts its longest limit once. `stages` in number order."""
    lengths: list[int] = []
    for stage in stages:
        value = stage.get("limit_days")
        limit = value if _is_int(value, 0, MAX_DAYS) else 0
        if stage.get("opens_with_previous") is True and lengths:
            lengths[-1] = max(lengths[-1], limit)
        else:
            lengths.append(limit)
    return lengths


def project_type_check(
    *, code: str, attrs: dict[str, Any], stages: list[dict[str, Any]], packages: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """Problems of a project type's data, per key ("name", "total_limit_days", "stages", "stages.<position>.<key>"
    with position the stage's place in `stages` from 1); empty when fine.

    `attrs` holds TYPE_KEYS; each stage STAGE_KEYS with `package` a package code. `packages` ({code: matter codes})
    may be given when the caller loaded them for many types at once.
    """
    problems: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        if message not in problems.get(key, []):
            problems.setdefault(key, []).append(message)

    if not code or len(code) > 32 or validators.has_control_characters(code, allow_newlines=False):
        add("code", _("A project type needs a code of at most 32 characters."))
    name = attrs.get("name")
    if not isinstance(name, str) or not name.strip():
        add("name", _("A name is required."))
    elif len(name) > 100 or validators.has_control_characters(name, allow_newlines=False):
        add("name", _("At most %(limit)d characters, without control characters.") % {"limit": 100})
    if validators.has_control_characters(str(attrs.get("description") or ""), allow_newlines=True):
        add("description", _("This text contains invisible control characters; please remove them."))
    total = attrs.get("total_limit_days")
    if not _is_int(total, 1, MAX_DAYS):
        add("total_limit_days", _("Enter a whole number from 1 to %(high)d.") % {"high": MAX_DAYS})
    if not isinstance(attrs.get("is_active", True), bool):
        add("is_active", _("Enter yes or no."))
    if not _is_int(attrs.get("order", 0), 0, 32767):
        add("order", _("Enter a whole number from 0 to %(high)d.") % {"high": 32767})

    if not isinstance(stages, list) or not 1 <= len(stages) <= MAX_STAGES:
        add("stages", _("A flow has 1 to %(high)d stages.") % {"high": MAX_STAGES})
        return problems
    if packages is None:
        packages = _package_matters({str(s.get("package") or "") for s in stages if isinstance(s, dict)})
    count = len(stages)
    seen_numbers: set[int] = set()
    for position, stage in enumerate(stages, start=1):
        prefix = f"stages.{position}."
        if not isinstance(stage, dict):
            add(f"stages.{position}", _("A stage must be an object."))
            continue
        no = stage.get("no")
        if not _is_int(no, 1, count):
            add(
                prefix + "no",
                _("Stage numbers run from 1 to %(count)d (the number of stages); %(no)s is not one of them.")
                % {"count": count, "no": no if no not in (None, "") else "—"},
            )
        elif no in seen_numbers:
            add(prefix + "no", _("The stage number %(no)d appears twice.") % {"no": no})
        else:
            seen_numbers.add(int(no))
        stage_name = stage.get("name")
        if not isinstance(stage_name, str) or not stage_name.strip():
            add(prefix + "name", _("A name is required."))
        elif len(stage_name) > 100 or validators.has_control_characters(stage_name, allow_newlines=False):
            add(prefix + "name", _("At most %(limit)d characters, without control characters.") % {"limit": 100})
        package_code = stage.get("package")
        matters = packages.get(package_code) if isinstance(package_code, str) else None
        if matters is None:
            add(
                prefix + "package",
                _("There is no active package with the code %(code)s.") % {"code": package_code or "—"},
            )
        limit = stage.get("limit_days")
        if not _is_int(limit, 1, MAX_DAYS):
            add(prefix + "limit_days", _("Enter a whole number from 1 to %(high)d.") % {"high": MAX_DAYS})
            limit = None
        opens_with_previous = stage.get("opens_with_previous", False)
        if not isinstance(opens_with_previous, bool):
            add(prefix + "opens_with_previous", _("Enter yes or no."))
        elif opens_with_previous and no == 1:
            add(prefix + "opens_with_previous", _("The first stage has no stage before it to open with."))
        chosen: dict[str, list[str]] = {}
        for key in ("commitment_matters", "joint_matters"):
            codes = stage.get(key) or []
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                add(prefix + key, _("Must be a list of matter codes."))
                continue
            chosen[key] = codes
            for matter_code in codes:
                if codes.count(matter_code) > 1:
                    add(prefix + key, _("The matter %(code)s is listed twice.") % {"code": matter_code})
                if matters is not None and matter_code not in matters:
                    add(
                        prefix + key,
                        _("The matter %(code)s is not a matter of the stage's package %(package)s.")
                        % {"code": matter_code, "package": package_code},
                    )
        both = set(chosen.get("commitment_matters", [])) & set(chosen.get("joint_matters", []))
        for matter_code in sorted(both):
            add(
                prefix + "commitment_matters",
                _("The matter %(code)s cannot be both approved on commitment and inspected in the joint acceptance.")
                % {"code": matter_code},
            )
        joint = chosen.get("joint_matters", [])
        result_name = stage.get("joint_result_name") or ""
        joint_limit = stage.get("joint_limit_days") or 0
        if not isinstance(result_name, str) or len(result_name) > 100:
            add(prefix + "joint_result_name", _("At most %(limit)d characters.") % {"limit": 100})
            result_name = ""
        if not _is_int(joint_limit, 0, MAX_DAYS):
            add(prefix + "joint_limit_days", _("Enter a whole number from 0 to %(high)d.") % {"high": MAX_DAYS})
            joint_limit = 0
        if joint:
            if len(joint) < 2:
                add(prefix + "joint_matters", _("A joint acceptance inspects at least two matters together."))
            if not result_name.strip():
                add(
                    prefix + "joint_result_name",
                    _("Name the one document the joint acceptance issues (e.g. 联合验收意见书)."),
                )
            if joint_limit < 1:
                add(prefix + "joint_limit_days", _("A joint acceptance needs a time limit of at least 1 working day."))
            elif limit is not None and joint_limit > limit:
                add(
                    prefix + "joint_limit_days",
                    _("The joint acceptance's %(joint)d working days exceed the stage's limit of %(limit)d.")
                    % {"joint": joint_limit, "limit": limit},
                )
        elif result_name or joint_limit:
            add(prefix + "joint_matters", _("A joint acceptance result or limit is given but no joint matters."))
        kinds = stage.get("permit_kinds") or {}
        if not isinstance(kinds, dict):
            add(prefix + "permit_kinds", _("Must be an object of matter codes and document names."))
        else:
            for matter_code, kind in kinds.items():
                if matters is not None and matter_code not in matters:
                    add(
                        prefix + "permit_kinds",
                        _("The matter %(code)s is not a matter of the stage's package %(package)s.")
                        % {"code": matter_code, "package": package_code},
                    )
                if not isinstance(kind, str) or not kind.strip() or len(kind) > 100:
                    add(
                        prefix + "permit_kinds",
                        _("The document of %(code)s needs a name of at most 100 characters.") % {"code": matter_code},
                    )
    if (
        _is_int(total, 1, MAX_DAYS)
        and not any(key.endswith((".no", ".limit_days", ".opens_with_previous")) for key in problems)
        and all(isinstance(s, dict) for s in stages)
    ):
        ordered = sorted(stages, key=lambda s: s["no"])
        lengths = stage_lengths(ordered)
        if sum(lengths) > total:
            add(
                "total_limit_days",
                _(
                    "The stages take %(sum)d working days one after another (%(parts)s), more than the total limit "
                    "of %(total)d."
                )
                % {"sum": sum(lengths), "parts": " + ".join(str(n) for n in lengths), "total": total},
            )
    if code and not problems:
        # A stage a project is in cannot be taken away (its projects keep it until they finish).
        in_use = (
            ProjectStage.objects.filter(flow_stage__project_type__code=code, flow_stage__no__gt=count)
            .values_list("flow_stage__no", flat=True)
            .distinct()
        )
        for no in sorted(in_use):
            add(
                "stages",
                _("Stage %(no)d cannot be removed: projects of this type are in it.") % {"no": no},
            )
    return problems


# --- writing ---------------------------------------------------------------------------------------------------------


def project_type_snapshot(project_type: ProjectType) -> dict[str, Any]:
    """A project type as plain data, in the shape `project_type_save` takes (`package` a package code)."""
    return {
        "attrs": {key: getattr(project_type, key) for key in TYPE_KEYS},
        "stages": [
            {key: stage.package.code if key == "package" else getattr(stage, key) for key in STAGE_KEYS}
            for stage in project_type.stages.select_related("package").order_by("no")
        ],
    }


def _stage_normalise(stage: dict[str, Any]) -> dict[str, Any]:
    return {
        "no": stage.get("no"),
        "name": validators.clean_text(str(stage.get("name") or "")),
        "package": str(stage.get("package") or "").strip(),
        "limit_days": stage.get("limit_days"),
        "opens_with_previous": stage.get("opens_with_previous") or False,
        "commitment_matters": stage.get("commitment_matters") or [],
        "joint_matters": stage.get("joint_matters") or [],
        "joint_result_name": stage.get("joint_result_name") or "",
        "joint_limit_days": stage.get("joint_limit_days") or 0,
        "permit_kinds": stage.get("permit_kinds") or {},
    }


@dataclass
class ProjectTypeSaveResult:
    project_type: ProjectType
    outcome: str  # "new", "changed" or "unchanged"


@transaction.atomic
def project_type_save(
    *, code: str, attrs: dict[str, Any], stages: list[dict[str, Any]], acting_user: Any = None
) -> ProjectTypeSaveResult:
    """Create or update the project type `code` with these stages (matched by number; a stage no longer listed is
    removed unless projects are in it). Data equal to what is stored writes nothing. Audited.
    ValidationFailed names every problem by its key (see `project_type_check`)."""
    code = code.strip() if isinstance(code, str) else ""
    attrs = {
        "name": validators.clean_text(str(attrs.get("name") or "")),
        "description": str(attrs.get("description") or "").strip(),
        "total_limit_days": attrs.get("total_limit_days"),
        "is_active": attrs.get("is_active", True),
        "order": attrs.get("order") or 0,
    }
    stages = [_stage_normalise(s) if isinstance(s, dict) else s for s in stages]
    problems = project_type_check(code=code, attrs=attrs, stages=stages)
    if problems:
        raise ValidationFailed(_("The project type %(code)s is not valid.") % {"code": code}, fields=problems)
    stages = sorted(stages, key=lambda s: s["no"])
    wanted = {"attrs": attrs, "stages": stages}
    project_type = ProjectType.objects.select_for_update().filter(code=code).first()
    before = project_type_snapshot(project_type) if project_type is not None else None
    if before == wanted:
        assert project_type is not None
        return ProjectTypeSaveResult(project_type, "unchanged")
    created = project_type is None
    if project_type is None:
        project_type = ProjectType(code=code)
    for key, value in attrs.items():
        setattr(project_type, key, value)
    project_type.save()
    packages = {p.code: p for p in Package.objects.filter(code__in=[s["package"] for s in stages])}
    existing = {stage.no: stage for stage in project_type.stages.all()}
    for stage in stages:
        row = existing.pop(stage["no"], None) or FlowStage(project_type=project_type, no=stage["no"])
        for key in STAGE_KEYS:
            if key != "no":
                setattr(row, key, packages[stage["package"]] if key == "package" else stage[key])
        row.save()
    for row in existing.values():  # numbers beyond the new last stage; the check made sure no project is in them
        row.delete()
    audit_append(
        action="project_type.create" if created else "project_type.change",
        actor=acting_user if getattr(acting_user, "pk", None) else None,
        object_type="project_type",
        object_id=code,
        from_state="" if before is None else f"{len(before['stages'])} stages",
        to_state=f"{len(stages)} stages",
        note=attrs["name"],
    )
    return ProjectTypeSaveResult(project_type, "new" if created else "changed")


# --- reading files ---------------------------------------------------------------------------------------------------


@dataclass
class _TypeRecord:
    row: _Row
    stages: list[_Row] = field(default_factory=list)


def _records_from_xlsx(content: bytes, errors: list[str]) -> list[_TypeRecord]:
    type_rows, stage_rows = read_workbook(
        content,
        [
            (TYPES_SHEET, TYPE_COLUMNS, {"description", "is_active", "order"}),
            (
                STAGES_SHEET,
                STAGE_COLUMNS,
                {
                    "opens_with_previous",
                    "commitment_matters",
                    "joint_matters",
                    "joint_result_name",
                    "joint_limit_days",
                    "permit_kinds",
                },
            ),
        ],
        errors,
    )
    records: dict[str, _TypeRecord] = {}
    ordered: list[_TypeRecord] = []
    for row in type_rows:
        code = _text(row.values.get("code"))
        record = _TypeRecord(row)
        ordered.append(record)
        if code in records:
            errors.append(_at(row.where("code"), _("The project type code %(code)s appears twice.") % {"code": code}))
        elif code:
            records[code] = record
    for row in stage_rows:
        code = _text(row.values.get("type"))
        if code not in records:
            errors.append(
                _at(
                    row.where("type"),
                    _("No project type with the code %(code)s in sheet %(sheet)s.")
                    % {"code": code, "sheet": TYPES_SHEET},
                )
            )
            continue
        records[code].stages.append(row)
    return ordered


def _records_from_json(content: bytes, errors: list[str]) -> list[_TypeRecord]:
    types = read_json_list(content, "project_types", _('The JSON must be an object with a list "project_types".'))
    records = []
    for index, item in enumerate(types, start=1):
        if not isinstance(item, dict):
            errors.append(_("Project type %(number)d is not an object.") % {"number": index})
            continue
        label = _("project type %(number)d") % {"number": index}
        record = _TypeRecord(_Row({key: item.get(key) for key, _t in TYPE_COLUMNS}, _json_where(label)))
        stages = item.get("stages") or []
        if not isinstance(stages, list):
            errors.append(_at(record.row.where("stages"), _("Must be a list.")))
            stages = []
        for position, stage in enumerate(stages, start=1):
            where = _json_where(_("%(type)s, stage %(number)d") % {"type": label, "number": position})
            if not isinstance(stage, dict):
                errors.append(_at(where(""), _("Must be an object.")))
                continue
            record.stages.append(_Row({key: stage.get(key) for key, _t in STAGE_COLUMNS}, where))
        records.append(record)
    return records


def _codes(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_text(code) for code in value if _text(code)]
    text = _text(value)
    for separator in LIST_SEPARATORS:
        text = text.replace(separator, ",")
    return [code.strip() for code in text.split(",") if code.strip()]


def _kinds(value: Any) -> dict[str, str]:
    """The 核发文书 cell: "matter code:document；…" (or an object, from JSON)."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    text = _text(value)
    for separator in ("；", ";", "\n"):
        text = text.replace(separator, "\x1f")
    kinds = {}
    for part in (p.strip() for p in text.split("\x1f") if p.strip()):
        matter, colon, kind = part.replace("：", ":").partition(":")
        if not colon or not matter.strip() or not kind.strip():
            raise _CellError(_('Write each as "matter code:document name", separated by ；.'))
        kinds[matter.strip()] = kind.strip()
    return kinds


def _convert(record: _TypeRecord, errors: list[str]) -> tuple[str, dict[str, Any], list[dict[str, Any]]] | None:
    before = len(errors)

    def cell(row: _Row, key: str, convert: Callable[[Any], Any]) -> Any:
        try:
            return convert(row.values.get(key))
        except _CellError as exc:
            errors.append(_at(row.where(key), str(exc)))
            return None

    values = record.row.values
    code = _text(values.get("code"))
    if not code:
        errors.append(_at(record.row.where("code"), _("A project type code is required.")))
    attrs = {
        "name": _text(values.get("name")),
        "description": str(values.get("description") or "").strip(),
        "total_limit_days": cell(record.row, "total_limit_days", _integer),
        "is_active": cell(record.row, "is_active", lambda v: _yes_no(v, default=True)),
        "order": cell(record.row, "order", lambda v: 0 if v in (None, "") else _integer(v)),
    }
    stages = []
    for row in record.stages:
        stages.append(
            {
                "no": cell(row, "no", _integer),
                "name": _text(row.values.get("name")),
                "package": _text(row.values.get("package")),
                "limit_days": cell(row, "limit_days", _integer),
                "opens_with_previous": cell(row, "opens_with_previous", lambda v: _yes_no(v, default=False)),
                "commitment_matters": _codes(row.values.get("commitment_matters")),
                "joint_matters": _codes(row.values.get("joint_matters")),
                "joint_result_name": _text(row.values.get("joint_result_name")),
                "joint_limit_days": cell(row, "joint_limit_days", lambda v: 0 if v in (None, "") else _integer(v)),
                "permit_kinds": cell(row, "permit_kinds", _kinds),
            }
        )
    if len(errors) > before:
        return None
    return code, attrs, stages


def _check_record(
    record: _TypeRecord, packages: dict[str, list[str]], errors: list[str]
) -> tuple[str, dict[str, Any], list[dict[str, Any]]] | None:
    """The record converted for project_type_save, or None after appending its errors (sheet/row/column)."""
    converted = _convert(record, errors)
    if converted is None:
        return None
    code, attrs, stages = converted
    problems = project_type_check(code=code, attrs=attrs, stages=stages, packages=packages)
    for key, messages in problems.items():
        head, _dot, rest = key.partition(".")
        location = record.row.where(key)
        if head == "stages" and rest:
            position, _dot, column = rest.partition(".")
            if position.isdigit() and 0 < int(position) <= len(record.stages):
                location = record.stages[int(position) - 1].where(column or "no")
        elif head == "stages":
            location = record.row.where("code")
        errors.extend(_at(location, str(message)) for message in messages)
    return None if problems else converted


# --- the import ------------------------------------------------------------------------------------------------------


def project_types_import(
    *,
    content: bytes,
    filename: str = "",
    commit: bool = False,
    acting_user: Any = None,
    progress: ProgressCallback | None = None,
) -> ProjectTypeImportResult:
    """Check a project-type file (.xlsx, or .json for the shipped data) row by row and, with `commit`, save it.

    Every error is named by its sheet, row and column; with any error nothing is written. Unchanged types write
    nothing, so importing the same file twice is harmless. The packages must be in the catalogue first.
    """
    errors: list[str] = []
    records = (
        _records_from_json(content, errors)
        if filename.lower().endswith(".json")
        else _records_from_xlsx(content, errors)
    )
    package_codes = {_text(row.values.get("package")) for record in records for row in record.stages}
    packages = _package_matters(package_codes)
    checked = [_check_record(record, packages, errors) for record in records]
    result = ProjectTypeImportResult(types=len(records), errors=errors)
    if errors:
        return result
    with transaction.atomic():
        for done, item in enumerate(checked, start=1):
            assert item is not None  # no errors means every record converted
            code, attrs, stages = item
            saved = project_type_save(code=code, attrs=attrs, stages=stages, acting_user=acting_user)
            counter = {"new": "created", "changed": "changed", "unchanged": "unchanged"}[saved.outcome]
            setattr(result, counter, getattr(result, counter) + 1)
            result.items.append(
                ImportItem(code=code, name=saved.project_type.name, outcome=saved.outcome, version=0, previous=0)
            )
            if progress:
                progress(done, len(checked))
        if not commit:
            transaction.set_rollback(True)
    result.committed = commit
    return result


# --- export ----------------------------------------------------------------------------------------------------------


def _types_for_export() -> list[ProjectType]:
    return list(
        ProjectType.objects.prefetch_related(
            Prefetch("stages", queryset=FlowStage.objects.select_related("package").order_by("no"))
        ).order_by("order", "code")
    )


def project_types_export() -> bytes:
    """Every project type and its stages as a workbook that project_types_import reads back unchanged."""
    workbook = Workbook()
    types_sheet = workbook.active
    types_sheet.title = TYPES_SHEET
    stages_sheet = workbook.create_sheet(STAGES_SHEET)
    types_sheet.append([title for _key, title in TYPE_COLUMNS])
    stages_sheet.append([title for _key, title in STAGE_COLUMNS])
    for project_type in _types_for_export():
        types_sheet.append(
            [
                project_type.code,
                project_type.name,
                project_type.description,
                project_type.total_limit_days,
                YES if project_type.is_active else NO,
                project_type.order,
            ]
        )
        for stage in project_type.stages.all():
            stages_sheet.append(
                [
                    project_type.code,
                    stage.no,
                    stage.name,
                    stage.package.code,
                    stage.limit_days,
                    YES if stage.opens_with_previous else NO,
                    ",".join(stage.commitment_matters),
                    ",".join(stage.joint_matters),
                    stage.joint_result_name,
                    stage.joint_limit_days,
                    "；".join(f"{matter}:{kind}" for matter, kind in sorted(stage.permit_kinds.items())),
                ]
            )
    for sheet, widths in (
        (types_sheet, [14, 34, 60, 10, 6, 6]),
        (stages_sheet, [14, 6, 24, 14, 8, 8, 40, 60, 18, 8, 80]),
    ):
        _cells_as_text(sheet)
        for index, width in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + index)].width = width
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _stage_export(stage: FlowStage) -> dict[str, Any]:
    data = {key: getattr(stage, key) for key in STAGE_KEYS if key != "package"}
    # Sorted by matter code: PostgreSQL's jsonb does not keep an object's keys in the order they were written.
    data["permit_kinds"] = dict(sorted(stage.permit_kinds.items()))
    return {"no": stage.no, "name": stage.name, "package": stage.package.code, **data}


def project_types_export_json() -> bytes:
    """Every project type as the JSON the demo data ships in (one type a line: readable diffs)."""
    rows = []
    for project_type in _types_for_export():
        rows.append(
            {
                "code": project_type.code,
                **{
                    key: getattr(project_type, key)
                    for key in ("name", "description", "total_limit_days", "is_active", "order")
                },
                "stages": [_stage_export(stage) for stage in project_type.stages.all()],
            }
        )
    lines = ",\n".join("  " + json.dumps(row, ensure_ascii=False) for row in rows)
    return ('{"project_types": [\n' + lines + "\n]}\n").encode()
