"""The ledger workbook: what `ledger_workbook` writes (read back with openpyxl: title, headers, rows, 合计, the hidden
`_govdesk` sheet, text never a formula) and every refusal of `ledger_workbook_read`, each naming the sheet, the row
number of the sheet and the column header: a template of another ledger, period or unit (from the hidden sheet, or
from the title and headers when it is gone), wrong headers, values of the wrong type or unit, a 合计 row that does not
add up, duplicate rows, the service's own rules; with any error no row is returned (nothing half-imported)."""

from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from govdesk.common.errors import ValidationFailed
from govdesk.ledgers.kinds import ledger_kind_get
from govdesk.ledgers.selectors import ledger_rows
from govdesk.ledgers.xlsx import META_SHEET, ReadResult, ledger_workbook, ledger_workbook_read
from govdesk.ledgers.xlsx_cells import parse_decimal

from .xlsx_fixtures import YEAR

pytestmark = pytest.mark.django_db
TOILETS = "农村户厕改造"
TOILET_ROWS = [
    {"month": 3, "township": "滨河街道", "village": "东村", "planned": 10, "completed": 4},
    {"month": 3, "township": "滨河街道", "village": "西村", "planned": 8, "completed": 8},
]


def toilets_book(*, year: int = YEAR, month: int | None = 3, unit: Any = None, rows: Any = None) -> Any:
    data = ledger_workbook(
        ledger_kind_get("toilets"), year=year, month=month, unit=unit, rows=TOILET_ROWS if rows is None else rows
    )
    return load_workbook(io.BytesIO(data))


def save(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(data: bytes, code: str = "toilets", **period: Any) -> ReadResult:
    with translation.override("en"):
        return ledger_workbook_read(ledger_kind_get(code), data, **period)


def texts(result: ReadResult) -> list[str]:
    """The errors as sentences, in English like the problems they carry."""
    with translation.override("en"):
        return result.messages


def only_error(result: ReadResult) -> str:
    assert result.rows == [], "with an error no row is returned"
    assert len(texts(result)) == 1, texts(result)
    return str(texts(result)[0])


# Writing --------------------------------------------------------------------------------------------------------


def test_workbook_layout_read_back(district: Any) -> None:
    book = toilets_book(unit=district.street)
    assert book.sheetnames == [TOILETS, META_SHEET]
    sheet = book[TOILETS]
    assert sheet["A1"].value == f"{TOILETS} · 2022年3月 · 滨河街道"
    assert [c.value for c in sheet[2]] == ["月份", "乡镇（街道）", "村（社区）", "计划（座）", "完成（座）"]
    assert [c.value for c in sheet[3]] == [3, "滨河街道", "东村", 10, 4]
    assert [c.value for c in sheet[4]] == [3, "滨河街道", "西村", 8, 8]
    assert [c.value for c in sheet[5]] == ["合计", None, None, 18, 12]
    meta = book[META_SHEET]
    assert meta.sheet_state == "hidden"
    assert dict(meta.iter_rows(values_only=True)) == {
        "kind": "toilets",
        "year": 2022,
        "month": 3,
        "unit": district.street.code,
        "template": "1",
    }


def test_empty_template_has_headers_and_a_zero_total(db: Any) -> None:
    sheet = toilets_book(rows=[])[TOILETS]
    assert [c.value for c in sheet[3]] == ["合计", None, None, 0, 0]
    result = read(save(toilets_book(rows=[])))
    assert (result.errors, result.rows, result.year, result.month) == ([], [], YEAR, 3)


def test_model_rows_are_written_as_people_read_them(ledger_rows_2022: SimpleNamespace) -> None:
    """Choices by their Chinese label, units by name, dates as dates, text that looks like a formula kept as text."""
    kind = ledger_kind_get("projects")
    book = load_workbook(io.BytesIO(ledger_workbook(kind, year=YEAR, rows=ledger_rows("projects", year=YEAR))))
    sheet = book["重大项目台账"]
    headers = [c.value for c in sheet[2]]
    first = dict(zip(headers, (c for c in sheet[3]), strict=True))
    assert first["项目名称"].value == "交口煤业技改"
    assert first["责任单位"].value == "区住建局"
    assert first["总投资（万元）"].value == 12000.5
    assert first["开工日期"].value.date().isoformat() == "2022-02-01"
    assert first["开工日期"].number_format == "yyyy-mm-dd"
    assert first["是否重点项目"].value == "是"
    with translation.override("zh-hans"):
        assert first["项目状态"].value == str(dict(kind.column("status").choices)["under_construction"])
    note = first["备注"]
    assert note.value == "=SUM(A1:A2) 不是公式"
    assert note.data_type == "s"
    assert note.quotePrefix


def test_rows_given_as_raw_dicts_are_written(db: Any) -> None:
    rows = [{"month": "3", "township": "滨河街道", "village": "东村", "planned": "10", "completed": "4"}]
    sheet = toilets_book(rows=rows)[TOILETS]
    assert [c.value for c in sheet[3]] == [3, "滨河街道", "东村", 10, 4]


# Reading: good workbooks ----------------------------------------------------------------------------------------


def test_read_returns_json_rows_and_the_period(district: Any) -> None:
    result = read(save(toilets_book(unit=district.street)))
    assert result.errors == []
    assert (result.year, result.month, result.unit_code, result.sheet) == (YEAR, 3, district.street.code, TOILETS)
    assert result.rows == [
        {"month": 3, "township": "滨河街道", "village": "东村", "planned": 10, "completed": 4},
        {"month": 3, "township": "滨河街道", "village": "西村", "planned": 8, "completed": 8},
    ]
    assert result.sheet_rows == [3, 4]


def test_people_typing_is_accepted(ledger_rows_2022: SimpleNamespace) -> None:
    """Numbers typed as text with separators, half-width parentheses in headers, 是/否, a percent sign in the %
    column, a date typed as 2022年3月5日, choices by code: all read."""
    book = load_workbook(io.BytesIO(ledger_workbook(ledger_kind_get("project_progress"), year=YEAR, rows=[])))
    sheet = book["重大项目月度进展"]
    sheet["C2"] = "当月完成投资(万元)"
    sheet.insert_rows(3)
    for column, value in enumerate(["交口煤业技改", "5", "1,200.50", "40%", "顺利"], start=1):
        sheet.cell(3, column, value)
    sheet["C4"] = "1200.5"
    result = read(save(book), "project_progress")
    assert result.errors == []
    assert result.rows == [
        {
            "project": "交口煤业技改",
            "month": 5,
            "month_completed": "1200.50",
            "percent_complete": "40",
            "progress_note": "顺利",
        }
    ]


# Reading: refusals ----------------------------------------------------------------------------------------------


def test_another_ledgers_template_is_refused_naming_it(db: Any) -> None:
    data = ledger_workbook(ledger_kind_get("contracts"), year=YEAR, month=3, rows=[])
    message = only_error(read(data, "toilets"))
    assert message == (
        'Sheet "农村集体经济合同清理": This workbook is the template of the ledger "农村集体经济合同清理", '
        'not of "农村户厕改造".'
    )


def test_another_year_or_month_is_refused_naming_it(db: Any) -> None:
    message = only_error(read(save(toilets_book(year=2021)), year=YEAR, month=3))
    assert message == f'Sheet "{TOILETS}": This workbook is for 2021年3月, not for 2022年3月.'
    message = only_error(read(save(toilets_book(month=4)), year=YEAR, month=3))
    assert message == f'Sheet "{TOILETS}": This workbook is for 2022年4月, not for 2022年3月.'
    message = only_error(read(save(toilets_book(month=None)), year=YEAR, month=3))
    assert message == f'Sheet "{TOILETS}": This workbook is for the whole year 2022年, not for 2022年3月.'


def test_another_units_template_is_refused(district: Any) -> None:
    data = save(toilets_book(unit=district.dept_a))
    message = only_error(read(data, unit=district.street))
    assert message == f'Sheet "{TOILETS}": This workbook is the template of 区住建局, not of 滨河街道.'


def test_without_the_hidden_sheet_the_title_and_headers_say_what_it_is(db: Any) -> None:
    book = toilets_book(year=2021)
    del book[META_SHEET]
    message = only_error(read(save(book), year=YEAR, month=3))
    assert message == f'Sheet "{TOILETS}": This workbook is for 2021年3月, not for 2022年3月.'
    other = load_workbook(io.BytesIO(ledger_workbook(ledger_kind_get("contracts"), year=YEAR, rows=[])))
    del other[META_SHEET]
    other.active.title = "Sheet1"  # renamed too: the headers still tell
    message = only_error(read(save(other), "toilets"))
    assert 'the template of the ledger "农村集体经济合同清理"' in message
    # Without the hidden sheet and without a period anywhere: the year is asked for.
    bare = toilets_book()
    del bare[META_SHEET]
    bare[TOILETS]["A1"] = "户厕"
    message = only_error(read(save(bare)))
    assert "does not say its year" in message
    assert read(save(bare), year=YEAR, month=3).errors == []


def test_missing_unknown_and_repeated_headers(db: Any) -> None:
    book = toilets_book()
    sheet = book[TOILETS]
    sheet["E2"] = "已完成"
    result = read(save(book))
    assert result.rows == []
    assert texts(result) == [
        f'Sheet "{TOILETS}", row 2, column "已完成": This is not a column of this ledger.',
        f'Sheet "{TOILETS}", row 2, column "完成（座）": This column is missing.',
    ]
    sheet["E2"] = "计划（座）"
    assert texts(read(save(book)))[0] == (f'Sheet "{TOILETS}", row 2, column "计划（座）": This column appears twice.')


@pytest.mark.parametrize(
    ("code", "column", "value", "problem"),
    [
        ("toilets", "完成（座）", "12万", "This column counts 座: enter a whole number only, without units or words."),
        ("toilets", "完成（座）", 4.5, "Enter a whole number."),
        (
            "contracts",
            "化解债务（万元）",
            "12万",
            "This column is in 万元: enter a number only, without units or words.",
        ),
        (
            "contracts",
            "化解债务（万元）",
            "十二",
            "This column is in 万元: enter a number only, without units or words.",
        ),
        ("houses", "排查日期", "三月五日", "Enter a date like 2022-03-31."),
        ("houses", "是否经营性", "也许", "Enter 是 or 否."),
        ("roads", "建设类型", "翻新", "Choose one of: "),
        ("toilets", "村（社区）", None, "This column is required."),
    ],
)
def test_a_value_of_the_wrong_type_or_unit_names_sheet_row_and_column(
    ledger_rows_2022: SimpleNamespace, code: str, column: str, value: Any, problem: str
) -> None:
    kind = ledger_kind_get(code)
    data = ledger_workbook(kind, year=YEAR, rows=ledger_rows(code, year=YEAR))
    book = load_workbook(io.BytesIO(data))
    sheet = book[kind.label]
    index = [c.value for c in sheet[2]].index(column) + 1
    sheet.cell(4, index).value = value  # the second data row
    result = read(save(book), code)
    message = only_error(result)
    assert message.startswith(f'Sheet "{kind.label}", row 4, column "{column}": {problem}')


def test_binary_residue_of_a_computed_cell_is_not_a_third_decimal(ledger_rows_2022: SimpleNamespace) -> None:
    """Excel keeps =0.1+0.2 as 0.30000000000000004 (openpyxl itself writes only 15 digits, so the cell value is
    handed to the parser directly): that is 0.30, while a real third decimal goes on to be refused."""
    kind = ledger_kind_get("contracts")
    assert parse_decimal(kind.column("debts_resolved"), 0.1 + 0.2) == "0.30"
    assert parse_decimal(kind.column("debts_resolved"), 1.234) == "1.234"
    book = load_workbook(io.BytesIO(ledger_workbook(kind, year=YEAR, rows=ledger_rows("contracts", year=YEAR))))
    sheet = book[kind.label]
    sheet["E3"] = 1.234
    sheet["E5"] = None  # the 合计 left empty: nothing to check
    message = only_error(read(save(book), "contracts"))
    assert message.startswith(f'Sheet "{kind.label}", row 3, column "化解债务（万元）": ')


def test_a_total_that_does_not_add_up_is_refused_naming_the_column(db: Any) -> None:
    book = toilets_book()
    book[TOILETS]["E5"] = 13
    message = only_error(read(save(book)))
    assert message == (
        f'Sheet "{TOILETS}", row 5, column "完成（座）": The 合计 row says 13 but the rows add up to 12.'
    )


def test_money_totals_allow_the_rounding_of_doubles_only(ledger_rows_2022: SimpleNamespace) -> None:
    kind = ledger_kind_get("contracts")
    book = load_workbook(io.BytesIO(ledger_workbook(kind, year=YEAR, rows=ledger_rows("contracts", year=YEAR))))
    sheet = book[kind.label]
    assert [c.value for c in sheet[5]][:1] == ["合计"]
    sheet["F5"] = 2.0000000001  # 1.25 + 0.75 as a spreadsheet may store it
    assert read(save(book), "contracts").errors == []
    sheet["F5"] = 2.01
    assert "The 合计 row says 2.01 but the rows add up to 2" in only_error(read(save(book), "contracts"))


def test_rows_below_the_total_row_are_refused(db: Any) -> None:
    book = toilets_book()
    for column, value in enumerate([3, "滨河街道", "南村", 1, 1], start=1):
        book[TOILETS].cell(6, column, value)
    message = only_error(read(save(book)))
    assert message == f'Sheet "{TOILETS}", row 6: This row is below the 合计 row (row 5): move it above.'


def test_duplicate_rows_are_refused_naming_both(db: Any) -> None:
    rows = [*TOILET_ROWS, {**TOILET_ROWS[0], "planned": 1, "completed": 1}]
    message = only_error(read(save(toilets_book(rows=rows))))
    assert message == (
        f'Sheet "{TOILETS}", row 5, column "村（社区）": This row repeats row 3 (same 月份、乡镇（街道）、村（社区）).'
    )


def test_the_services_rules_are_named_by_sheet_row_and_column(ledger_rows_2022: SimpleNamespace) -> None:
    """Ranges, references and cross-field rules live in the service; their errors still point at the cell."""
    rows = [*TOILET_ROWS, {"month": 3, "township": "滨河街道", "village": "南村", "planned": 2, "completed": 3}]
    message = only_error(read(save(toilets_book(rows=rows))))
    assert message.startswith(f'Sheet "{TOILETS}", row 5, column "完成（座）": ')
    assert "planned" in message
    kind = ledger_kind_get("programmes")
    data = ledger_workbook(kind, year=YEAR, rows=[{"programme": "no_such", "month": 1, "amount": "1"}])
    message = only_error(read(data, "programmes"))
    assert message.startswith('Sheet "补贴与专项资金", row 3, column "资金项目代码": ')
    assert "no_such" in message


def test_every_error_is_reported_and_no_row_returned(db: Any) -> None:
    book = toilets_book(rows=[*TOILET_ROWS, {**TOILET_ROWS[0], "village": "南村"}])
    sheet = book[TOILETS]
    sheet["D3"] = "十"
    sheet["E4"] = "8座"
    result = read(save(book))
    assert result.rows == [] and result.sheet_rows == []
    assert [(e.row, e.column) for e in result.errors] == [(3, "计划（座）"), (4, "完成（座）")]


def test_a_newer_template_version_is_refused(db: Any) -> None:
    book = toilets_book()
    book[META_SHEET]["B5"] = "2"
    assert "template version 2" in only_error(read(save(book)))


def test_not_a_workbook_is_a_validation_error(db: Any) -> None:
    with pytest.raises(ValidationFailed):
        ledger_workbook_read(ledger_kind_get("toilets"), b"PK\x03\x04 not really")


def test_a_damaged_sheet_is_a_validation_error(db: Any) -> None:
    """The zip and workbook parts are fine, the sheet's XML is not: refused as unreadable, not a crash."""
    source = zipfile.ZipFile(io.BytesIO(save(toilets_book())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as damaged:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            damaged.writestr(item, data)
    with translation.override("en"), pytest.raises(ValidationFailed, match="cannot be read"):
        ledger_workbook_read(ledger_kind_get("toilets"), out.getvalue())


def test_a_workbook_of_its_own_making(db: Any) -> None:
    """A sheet someone made: with none of the ledger's headers it is refused as such; with some, the missing and
    the unknown columns are named."""
    book = Workbook()
    book.active.append(["甲", "乙"])
    assert "No header row was found" in only_error(read(save(book), year=YEAR, month=3))
    book = Workbook()
    book.active.append(["月份", "乡镇（街道）", "村名", "计划（座）", "完成（座）"])
    result = read(save(book), year=YEAR, month=3)
    assert result.rows == []
    assert texts(result) == [
        'Sheet "Sheet", row 1, column "村名": This is not a column of this ledger.',
        'Sheet "Sheet", row 1, column "村（社区）": This column is missing.',
    ]


def test_chinese_messages(db: Any) -> None:
    """The UI language is Chinese; the sentence keeps the sheet, row and column whatever the translation."""
    book = toilets_book()
    book[TOILETS]["E3"] = "4座"
    with translation.override("zh-hans"):
        result = ledger_workbook_read(ledger_kind_get("toilets"), save(book))
        text = result.messages[0]
    assert TOILETS in text and "3" in text and "完成（座）" in text
