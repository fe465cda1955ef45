"""Excel writers (openpyxl, write-only mode: rows go to disk as they come, so memory stays flat for large exports).

Every sheet has a bold frozen header, column widths and an autofilter. Dates are real Excel dates: aware datetimes
become naive Asia/Shanghai wall-clock times with a number format. Text is never evaluated: a string that Excel or a
CSV importer would read as a formula (it begins with = + - @, a tab or a carriage return) is written as a text cell
with the quote prefix set, the xlsx equivalent of a leading apostrophe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
SHEET_NAME_MAX = 31
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 12
    number_format: str | None = None


def local_naive(value: datetime) -> datetime:
    """The wall-clock time in the project's zone (Asia/Shanghai), without tzinfo: what Excel can store."""
    if timezone.is_aware(value):
        value = value.astimezone(ZoneInfo(settings.TIME_ZONE))
    return value.replace(tzinfo=None)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def _normalize(value: Any, number_format: str | None) -> tuple[Any, str | None]:
    """What the cell stores (a naive local datetime, a float, clean text) and its number format."""
    if isinstance(value, datetime):
        return local_naive(value), number_format or DATETIME_FORMAT
    if isinstance(value, date):
        return value, number_format or DATE_FORMAT
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value), number_format
    if isinstance(value, Decimal):
        return float(value), number_format
    if value is None or isinstance(value, int | float | bool):
        return value, number_format
    return ILLEGAL_CHARACTERS_RE.sub("", str(value)), number_format


def cell(ws: WriteOnlyWorksheet, value: Any, number_format: str | None = None) -> WriteOnlyCell:
    """One cell, safe whatever the value: text never becomes a formula, datetimes become Excel dates."""
    value, number_format = _normalize(value, number_format)
    out = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        # openpyxl turns any string starting with "=" into a formula; force text, and flag the others for Excel.
        out.data_type = "s"
        if is_formula_like(value):
            out.quotePrefix = True
    if number_format and value is not None:
        out.number_format = number_format
    return out


class SheetWriter:
    """A write-only sheet: header first, then rows; `close()` sets the autofilter over what was written."""

    def __init__(self, wb: Workbook, title: str, columns: Sequence[Column]) -> None:
        self.ws: WriteOnlyWorksheet = wb.create_sheet(title=sheet_title(title))
        self.columns = list(columns)
        self.rows = 0
        self._cells: dict[tuple[int, str | None], WriteOnlyCell] = {}
        for i, col in enumerate(self.columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = col.width
        self.ws.freeze_panes = "A2"
        header = []
        for col in self.columns:
            c = cell(self.ws, col.header)
            c.font = HEADER_FONT
            c.fill = HEADER_FILL
            c.alignment = Alignment(vertical="center")
            header.append(c)
        self.ws.append(header)

    def append(self, values: Sequence[Any], formats: Sequence[str | None] | None = None) -> None:
        """One row; `formats` overrides the columns' number formats for this row (e.g. a percentage).

        For speed (a 100,000-row export is 2 million cells) each column reuses one styled cell: write-only sheets
        serialise a row as soon as it is appended, so the cell is free again for the next row. Empty cells are
        passed as None (openpyxl skips them); formula-like text gets a cell of its own with the quote prefix.
        """
        fmts = list(formats) if formats is not None else [col.number_format for col in self.columns]
        row: list[Any] = []
        for i, (raw, fmt) in enumerate(zip(values, fmts, strict=False)):
            value, number_format = _normalize(raw, fmt)
            if value is None:
                row.append(None)
            elif isinstance(value, str) and is_formula_like(value):
                row.append(cell(self.ws, value, number_format))
            else:
                key = (i, number_format)
                proto = self._cells.get(key)
                if proto is None:
                    proto = self._cells[key] = WriteOnlyCell(self.ws)
                    if number_format:
                        proto.number_format = number_format
                proto.value = value
                if isinstance(value, str):
                    proto.data_type = "s"
                row.append(proto)
        self.ws.append(row)
        self.rows += 1

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.append(row)

    def close(self) -> None:
        last = get_column_letter(max(len(self.columns), 1))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def sheet_title(title: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and allows 31 characters."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:SHEET_NAME_MAX] or "Sheet"


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def write_table(wb: Workbook, title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> int:
    sheet = SheetWriter(wb, title, columns)
    sheet.extend(rows)
    sheet.close()
    return sheet.rows


def save(wb: Workbook, target: IO[bytes]) -> None:
    wb.save(target)
    target.flush()
    target.seek(0)
