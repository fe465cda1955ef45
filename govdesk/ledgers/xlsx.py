"""A ledger's xlsx template: written prefilled with rows, read back into rows a service can clean and write.

The workbook is what a unit fills in Excel: a visible sheet named after the ledger (a title row saying which ledger,
period and unit, the header row with the kind's column headers, the data rows, a 合计 row when the kind sums
columns) and a hidden sheet `_govdesk` saying the same for the machine (kind, year, month, unit code, template
version), so that a template of another ledger or period is refused before any row is read.

Reading never writes: `ledger_workbook_read` returns the rows (JSON values: decimals and dates as text, choices as
codes, units by code) and every error, each naming the sheet, the row number of the sheet and the column header; a
caller writes nothing when there is any error. The cells are checked here (types, units, the 合计 row, duplicate
natural keys), then the rows go through `ledger_rows_clean` (ranges, choices, references, cross-field rules), whose
errors are mapped back to their sheet row and column.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import ParseError

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from govdesk.common.errors import ValidationFailed
from govdesk.org.models import Unit

from .kinds import LEDGER_KINDS, Column, LedgerKind, ledger_kind_get
from .services import ledger_rows_clean
from .xlsx_cells import TEMPLATE_LANGUAGE, CellProblem, Units, parse_cell

META_SHEET = "_govdesk"
# Bumped when the layout changes in a way an older reader would misread; a file of a newer version is refused.
TEMPLATE_VERSION = "1"
TOTAL_LABEL = "合计"
TOTAL_LABELS = frozenset({"合计", "总计", "合  计"})
SHEET_NAME_MAX = 31
# Where the header row may sit: the template has it on row 2 (under the title); a user may delete the title row or
# add a line or two of their own above it.
HEADER_SEARCH_ROWS = 6
# The largest ledger (self-built houses) is some 37,000 rows a year; this bounds one read's work and memory.
MAX_ROWS = 200_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
TOTAL_FONT = Font(bold=True)
DATE_FORMAT = "yyyy-mm-dd"
PERIOD_RE = re.compile(r"(\d{4})\s*年(?:\s*(\d{1,2})\s*月)?")


@dataclass(frozen=True)
class SheetError:
    """One refusal: where (sheet, row number of the sheet, column header; row and column may be unknown) and why."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = {"sheet": self.sheet, "row": self.row or 0, "column": self.column or "", "message": self.message}
        if self.row and self.column:
            return _('Sheet "%(sheet)s", row %(row)d, column "%(column)s": %(message)s') % where
        if self.row:
            return _('Sheet "%(sheet)s", row %(row)d: %(message)s') % where
        if self.column:
            return _('Sheet "%(sheet)s", column "%(column)s": %(message)s') % where
        return _('Sheet "%(sheet)s": %(message)s') % where


@dataclass
class ReadResult:
    """The rows of a workbook (field → JSON value) and the errors; rows are only to be written when errors is empty.

    `year`, `month` and `unit_code` are the period and unit the workbook is for (its hidden sheet, else its title, else
    what the caller said); `sheet_rows[i]` is the sheet row number of `rows[i]`."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[SheetError] = field(default_factory=list)
    year: int | None = None
    month: int | None = None
    unit_code: str | None = None
    sheet: str = ""
    sheet_rows: list[int] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [str(error) for error in self.errors]


# ---------------------------------------------------------------------------------------------------------------
# Writing


def _kind_of(kind: LedgerKind | str) -> LedgerKind:
    return kind if isinstance(kind, LedgerKind) else ledger_kind_get(kind)


def sheet_title(title: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and allows 31 characters."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(title))
    return cleaned[:SHEET_NAME_MAX] or "Sheet"


def period_label(year: int, month: int | None) -> str:
    """ "2022年" or "2022年3月": what the title row says and the reader parses back when the hidden sheet is gone."""
    return f"{year}年{month}月" if month else f"{year}年"


def _title_text(kind: LedgerKind, year: int, month: int | None, unit: Unit | None) -> str:
    parts = [str(kind.label), period_label(year, month)]
    if unit is not None:
        parts.append(unit.name)
    return " · ".join(parts)


def _cell(ws: Any, value: Any, *, font: Font | None = None, fill: PatternFill | None = None) -> WriteOnlyCell:
    number_format = None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        number_format = DATE_FORMAT
    elif isinstance(value, Decimal):
        # Excel has no decimal type; a ledger value (万元 with two decimals, an indicator with four) fits a double.
        value = int(value) if value == value.to_integral_value() else float(value)
    elif isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    out = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        # Never a formula: openpyxl would turn "=..." into one; Excel is told too (the quote prefix).
        out.data_type = "s"
        if value.startswith(FORMULA_PREFIXES):
            out.quotePrefix = True
    if number_format:
        out.number_format = number_format
    if font is not None:
        out.font = font
    if fill is not None:
        out.fill = fill
    return out


def _choice_label(column: Column, code: Any) -> Any:
    """A choice as the Chinese form writes it, whatever the language of the request that asked for the file."""
    for value, label in column.choices or ():
        if value == code:
            with translation.override(TEMPLATE_LANGUAGE):
                return str(label)
    return code


def _natural_text(value: Any) -> Any:
    """A referenced object by the text a person types for it: a unit, indicator or programme by code, a project by
    name."""
    if value is None or isinstance(value, str | int | Decimal | date | bool):
        return value
    for attribute in ("code", "name"):
        text = getattr(value, attribute, None)
        if isinstance(text, str) and text:
            return text
    return str(value)


def _instance_value(column: Column, row: Any) -> Any:
    value = getattr(row, column.field, None)
    if column.type == "choice":
        return _choice_label(column, value)
    if column.type == "unit":
        return value.name if isinstance(value, Unit) else value
    if column.type == "ref":
        return _natural_text(value)
    return value


def _dict_value(column: Column, row: dict[str, Any], unit_names: dict[str, str]) -> Any:
    value = row.get(column.field)
    if value in (None, ""):
        return None
    if column.type == "choice":
        return _choice_label(column, value)
    if column.type == "unit":
        text = str(value)
        return unit_names.get(text, text)
    if column.type == "decimal" and isinstance(value, str):
        try:
            return Decimal(value.replace(",", ""))
        except InvalidOperation:
            return value
    if column.type == "int" and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if column.type == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if column.type == "bool" and isinstance(value, bool):
        return "是" if value else "否"
    return value


def _bool_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def row_cells(kind: LedgerKind, row: Any, unit_names: dict[str, str] | None = None) -> list[Any]:
    """The cell values of one row (a model instance or a dict of raw values as a report keeps them)."""
    if isinstance(row, dict):
        names = unit_names or {}
        return [_bool_text(_dict_value(column, row, names)) for column in kind.columns]
    return [_bool_text(_instance_value(column, row)) for column in kind.columns]


def _total_of(values: Iterable[Any]) -> Decimal:
    total = Decimal(0)
    for value in values:
        if isinstance(value, bool) or value in (None, ""):
            continue
        try:
            total += Decimal(str(value))
        except InvalidOperation:
            continue
    return total


def ledger_workbook(
    kind: LedgerKind | str,
    *,
    year: int,
    month: int | None = None,
    unit: Unit | None = None,
    rows: Iterable[Any] | None = None,
) -> bytes:
    """The ledger's xlsx template for a period (and unit), prefilled with `rows` (model instances or dicts of raw
    values) when given: title row, header row, the rows, a 合计 row when the kind sums columns, the hidden
    `_govdesk` sheet. Write-only: a year of self-built houses streams to the file row by row."""
    kind = _kind_of(kind)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title(str(kind.label)))
    columns = list(kind.columns)
    for index, column in enumerate(columns, start=1):
        width = max(10, min(40, 2 * len(str(column.header)) + 4))
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"
    ws.append([_cell(ws, _title_text(kind, year, month, unit), font=TITLE_FONT)])
    ws.append([_cell(ws, str(column.header), font=HEADER_FONT, fill=HEADER_FILL) for column in columns])
    totals_wanted = [column.field in set(kind.total_fields or ()) for column in columns]
    sums: list[list[Any]] = [[] for _column in columns]
    unit_names = dict(Unit.objects.values_list("code", "name"))
    for row in rows or ():
        values = row_cells(kind, row, unit_names)
        for index, value in enumerate(values):
            if totals_wanted[index]:
                sums[index].append(value)
        ws.append([None if value is None else _cell(ws, value) for value in values])
    if any(totals_wanted):
        total_row: list[Any] = []
        for index, wanted in enumerate(totals_wanted):
            if index == 0:
                total_row.append(_cell(ws, TOTAL_LABEL, font=TOTAL_FONT))
            elif wanted:
                total_row.append(_cell(ws, _total_of(sums[index]), font=TOTAL_FONT))
            else:
                total_row.append(None)
        ws.append(total_row)
    meta = wb.create_sheet(title=META_SHEET)
    meta.sheet_state = "hidden"
    for key, value in (
        ("kind", kind.code),
        ("year", year),
        ("month", month or ""),
        ("unit", unit.code if unit is not None else ""),
        ("template", TEMPLATE_VERSION),
    ):
        meta.append([_cell(meta, key), _cell(meta, value)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Reading


def _header_key(text: Any) -> str:
    """A header as compared: spaces gone, half-width parentheses and percent signs made full-width."""
    cleaned = "".join(str(text or "").split())
    return cleaned.replace("(", "（").replace(")", "）").replace("%", "%")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _meta(workbook: Any) -> dict[str, str] | None:
    if META_SHEET not in workbook.sheetnames:
        return None
    values: dict[str, str] = {}
    for row in workbook[META_SHEET].iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
        if row and row[0] is not None:
            key = str(row[0]).strip()
            value = row[1] if len(row) > 1 else None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            values[key] = "" if value is None else str(value).strip()
    return values


def _kind_label(code: str) -> str:
    other = LEDGER_KINDS.get(code)
    return str(other.label) if other is not None else code


def _as_int(text: str | None) -> int | None:
    if text is None or not str(text).strip():
        return None
    try:
        return int(Decimal(str(text).strip()))
    except (InvalidOperation, ValueError):
        return None


def _find_data_sheet(kind: LedgerKind, workbook: Any) -> tuple[Any, str]:
    wanted = sheet_title(str(kind.label))
    if wanted in workbook.sheetnames:
        return workbook[wanted], wanted
    for name in workbook.sheetnames:
        sheet = workbook[name]
        if name != META_SHEET and getattr(sheet, "sheet_state", "visible") == "visible":
            return sheet, name
    name = workbook.sheetnames[0]
    return workbook[name], name


def _other_kind_of(sheet_name: str, headers: set[str], kind: LedgerKind) -> LedgerKind | None:
    """Another ledger kind this sheet belongs to, judged by its name or headers (for a file without `_govdesk`)."""
    for other in LEDGER_KINDS.values():
        if other.code == kind.code:
            continue
        if sheet_title(str(other.label)) == sheet_name:
            return other
        other_headers = {_header_key(column.header) for column in other.columns}
        own_headers = {_header_key(column.header) for column in kind.columns}
        if other_headers <= headers and not own_headers <= headers:
            return other
    return None


def _check_period(
    result: ReadResult,
    kind: LedgerKind,
    sheet: str,
    *,
    found_kind: str | None,
    found_year: int | None,
    found_month: int | None,
    found_unit: str | None,
    year: int | None,
    month: int | None,
    unit: Unit | None,
) -> None:
    def refuse(message: str) -> None:
        result.errors.append(SheetError(sheet, None, None, message))

    if found_kind and found_kind != kind.code:
        refuse(
            _('This workbook is the template of the ledger "%(other)s", not of "%(kind)s".')
            % {"other": _kind_label(found_kind), "kind": kind.label}
        )
        return
    if year is not None and found_year is not None and found_year != year:
        refuse(
            _("This workbook is for %(found)s, not for %(wanted)s.")
            % {"found": period_label(found_year, found_month), "wanted": period_label(year, month)}
        )
        return
    if month is not None and found_month is not None and found_month != month:
        refuse(
            _("This workbook is for %(found)s, not for %(wanted)s.")
            % {"found": period_label(found_year or year or 0, found_month), "wanted": period_label(year or 0, month)}
        )
        return
    if month is not None and found_month is None and found_year is not None:
        refuse(
            _("This workbook is for the whole year %(found)s, not for %(wanted)s.")
            % {"found": period_label(found_year, None), "wanted": period_label(year or found_year, month)}
        )
        return
    if unit is not None and found_unit and found_unit != unit.code:
        other = Unit.objects.filter(code=found_unit).first()
        refuse(
            _("This workbook is the template of %(other)s, not of %(unit)s.")
            % {"other": other.name if other is not None else found_unit, "unit": unit.name}
        )
        return
    result.year = found_year if found_year is not None else year
    result.month = found_month if found_month is not None else month
    result.unit_code = found_unit or (unit.code if unit is not None else None)
    if result.year is None:
        refuse(_("The workbook does not say its year: use the template downloaded for the period."))
    if kind.monthly and result.month is not None and not 1 <= result.month <= 12:
        refuse(_("The workbook's month %(month)s is not a month.") % {"month": result.month})


def ledger_workbook_read(
    kind: LedgerKind | str,
    data: bytes,
    *,
    year: int | None = None,
    month: int | None = None,
    unit: Unit | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReadResult:
    """The rows of a filled template and every error. `year`/`month`/`unit`, when given, are what the workbook must
    be for (a template of another ledger, period or unit is refused, naming what it is). Nothing is written."""
    kind = _kind_of(kind)
    result = ReadResult()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # InvalidFileException, zipfile.BadZipFile, OSError, KeyError and friends
        raise ValidationFailed(_("This file is not an Excel workbook (.xlsx): %(error)s") % {"error": exc}) from None
    try:
        _read(kind, workbook, result, year=year, month=month, unit=unit, progress=progress)
    except (ValueError, KeyError, IndexError, TypeError, OSError, zipfile.BadZipFile, ParseError) as exc:
        # A workbook whose sheets openpyxl cannot parse (damaged or hand-made XML): refused, never a 500.
        raise ValidationFailed(_("This workbook cannot be read: %(error)s") % {"error": exc}) from None
    finally:
        workbook.close()
    if not result.errors and result.rows:
        _clean(kind, result, unit=unit)
    if result.errors:
        result.rows = []
        result.sheet_rows = []
    return result


def _read(
    kind: LedgerKind,
    workbook: Any,
    result: ReadResult,
    *,
    year: int | None,
    month: int | None,
    unit: Unit | None,
    progress: Callable[[int], None] | None,
) -> None:
    sheet, sheet_name = _find_data_sheet(kind, workbook)
    result.sheet = sheet_name
    wanted = {_header_key(column.header): column for column in kind.columns}
    any_ledger = {_header_key(column.header) for other in LEDGER_KINDS.values() for column in other.columns}
    if hasattr(sheet, "reset_dimensions"):
        # Some spreadsheet programs write a wrong sheet size; read every row there is instead of trusting it.
        sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    title = ""
    header_row: tuple[Any, ...] | None = None
    header_number = 0
    for number, row in enumerate(rows, start=1):
        keys = {_header_key(value) for value in row if not _is_blank(value)}
        # The header row: the first with a ledger's headers (this one's or another's: then it is named).
        if len(keys) >= 2 and keys & any_ledger:
            header_row, header_number = row, number
            break
        if not title:
            title = " ".join(str(value) for value in row if not _is_blank(value))
        if number >= HEADER_SEARCH_ROWS:
            break
    meta = _meta(workbook)
    header_keys = {_header_key(value) for value in header_row or () if not _is_blank(value)}
    if meta is not None:
        if meta.get("template") and meta["template"] != TEMPLATE_VERSION:
            result.errors.append(
                SheetError(
                    META_SHEET,
                    None,
                    None,
                    _("This workbook is of template version %(found)s; this system reads version %(wanted)s.")
                    % {"found": meta["template"], "wanted": TEMPLATE_VERSION},
                )
            )
            return
        found_kind = meta.get("kind") or None
        found_year = _as_int(meta.get("year"))
        found_month = _as_int(meta.get("month"))
        found_unit = meta.get("unit") or None
    else:
        other = _other_kind_of(sheet_name, header_keys, kind)
        found_kind = other.code if other is not None else None
        match = PERIOD_RE.search(title)
        found_year = int(match[1]) if match else None
        found_month = int(match[2]) if match and match[2] else None
        found_unit = None
    _check_period(
        result,
        kind,
        sheet_name,
        found_kind=found_kind,
        found_year=found_year,
        found_month=found_month,
        found_unit=found_unit,
        year=year,
        month=month,
        unit=unit,
    )
    if result.errors:
        return
    if header_row is None:
        result.errors.append(
            SheetError(sheet_name, None, None, _("No header row was found: use the ledger's template."))
        )
        return
    # Which column of the sheet holds which field; a missing, unknown or repeated header refuses the file.
    positions: dict[int, Column] = {}
    seen: set[str] = set()
    for index, value in enumerate(header_row):
        if _is_blank(value):
            continue
        key = _header_key(value)
        column = wanted.get(key)
        if column is None:
            result.errors.append(
                SheetError(sheet_name, header_number, str(value).strip(), _("This is not a column of this ledger."))
            )
        elif key in seen:
            result.errors.append(
                SheetError(sheet_name, header_number, str(column.header), _("This column appears twice."))
            )
        else:
            seen.add(key)
            positions[index] = column
    for key, column in wanted.items():
        if key not in seen:
            result.errors.append(
                SheetError(sheet_name, header_number, str(column.header), _("This column is missing."))
            )
    if result.errors:
        return
    _read_rows(kind, sheet_name, rows, header_number, positions, result, progress)


def _read_rows(
    kind: LedgerKind,
    sheet_name: str,
    rows: Iterable[Sequence[Any]],
    header_number: int,
    positions: dict[int, Column],
    result: ReadResult,
    progress: Callable[[int], None] | None,
) -> None:
    units = Units()
    total_fields = set(kind.total_fields or ())
    total_row: tuple[int, Sequence[Any]] | None = None
    sums: dict[str, Decimal] = {name: Decimal(0) for name in total_fields}
    keys_seen: dict[tuple[Any, ...], int] = {}
    # Columns with an unreadable cell: their sum is unknown, so their 合计 is not judged (the cell's error says it).
    unsummable: set[str] = set()
    key_fields = [name for name in (kind.key or ()) if any(c.field == name for c in positions.values())]
    by_field = {column.field: column for column in positions.values()}
    errors = result.errors
    number = header_number
    for number, row in enumerate(rows, start=header_number + 1):
        if progress is not None and number % 1000 == 0:
            progress(number)
        if all(_is_blank(value) for value in row):
            continue
        if number - header_number > MAX_ROWS:
            errors.append(
                SheetError(sheet_name, number, None, _("More than %(n)d rows: split the file.") % {"n": MAX_ROWS})
            )
            return
        first = next((value for value in row if not _is_blank(value)), None)
        if isinstance(first, str) and "".join(first.split()) in TOTAL_LABELS:
            if total_row is not None:
                errors.append(SheetError(sheet_name, number, None, _("There is a second 合计 row.")))
            total_row = (number, row)
            continue
        if total_row is not None:
            errors.append(
                SheetError(
                    sheet_name,
                    number,
                    None,
                    _("This row is below the 合计 row (row %(total)d): move it above.") % {"total": total_row[0]},
                )
            )
            continue
        values: dict[str, Any] = {}
        bad = False
        for index, column in positions.items():
            raw = row[index] if index < len(row) else None
            if _is_blank(raw):
                values[column.field] = None
                if column.required:
                    errors.append(SheetError(sheet_name, number, str(column.header), _("This column is required.")))
                    bad = True
                continue
            try:
                values[column.field] = parse_cell(column, raw, units)
            except CellProblem as problem:
                errors.append(SheetError(sheet_name, number, str(column.header), str(problem)))
                unsummable.add(column.field)
                bad = True
        for name in total_fields:
            value = values.get(name)
            if value is not None and not isinstance(value, bool):
                sums[name] += Decimal(str(value))
        if key_fields and not bad:
            key = tuple(_key_part(values.get(name)) for name in key_fields)
            if key in keys_seen:
                column = by_field[key_fields[-1]]
                errors.append(
                    SheetError(
                        sheet_name,
                        number,
                        str(column.header),
                        _("This row repeats row %(other)d (same %(key)s).")
                        % {"other": keys_seen[key], "key": "、".join(str(by_field[n].header) for n in key_fields)},
                    )
                )
                bad = True
            else:
                keys_seen[key] = number
        if not bad:
            result.rows.append(values)
            result.sheet_rows.append(number)
    if total_row is not None:
        _check_totals(sheet_name, total_row, positions, total_fields - unsummable, sums, units, errors)


def _key_part(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return " ".join(value.split())
    return value


def _check_totals(
    sheet_name: str,
    total_row: tuple[int, Sequence[Any]],
    positions: dict[int, Column],
    total_fields: set[str],
    sums: dict[str, Decimal],
    units: Units,
    errors: list[SheetError],
) -> None:
    number, row = total_row
    for index, column in positions.items():
        if column.field not in total_fields:
            continue
        raw = row[index] if index < len(row) else None
        if _is_blank(raw):
            continue  # a 合计 row left empty says nothing to check
        try:
            stated = Decimal(str(parse_cell(column, raw, units)))
        except CellProblem as problem:
            errors.append(SheetError(sheet_name, number, str(column.header), str(problem)))
            continue
        # Cells hold doubles: a total of two-decimal 万元 values may carry a rounding error below a hundredth.
        if abs(stated - sums[column.field]) >= Decimal("0.005"):
            errors.append(
                SheetError(
                    sheet_name,
                    number,
                    str(column.header),
                    _("The 合计 row says %(stated)s but the rows add up to %(sum)s.")
                    % {"stated": _plain(stated), "sum": _plain(sums[column.field])},
                )
            )


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


def _clean(kind: LedgerKind, result: ReadResult, *, unit: Unit | None) -> None:
    """The service's checks (ranges, choices, references, cross-field rules, duplicates) on the rows, its errors
    mapped back to the sheet row and the column header."""
    clean_unit = unit
    if clean_unit is None and result.unit_code:
        clean_unit = Unit.objects.filter(code=result.unit_code).first()
    if result.year is None:
        return  # refused already: the workbook does not say its year
    try:
        cleaned = ledger_rows_clean(
            kind, [dict(row) for row in result.rows], year=result.year, month=result.month, unit=clean_unit
        )
    except ValidationFailed as refusal:  # the period itself (a year no ledger is kept for)
        result.errors.append(SheetError(result.sheet, None, None, str(refusal.message)))
        return
    headers = {column.field: str(column.header) for column in kind.columns}
    for error in cleaned.errors:
        index = int(error.row) - 1
        sheet_row = result.sheet_rows[index] if 0 <= index < len(result.sheet_rows) else None
        header = headers.get(error.field or "") or error.header or None
        problem = error.problem or error.message
        result.errors.append(SheetError(result.sheet, sheet_row, header, _sentence(str(problem))))


def _sentence(text: str) -> str:
    """The service's problems are clauses ("cannot exceed the planned number."); here they stand alone."""
    return text[:1].upper() + text[1:] if text else text
