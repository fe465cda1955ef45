"""Reading one spreadsheet cell as a ledger column wants it: numbers typed with separators, dates typed three ways,
是/否, choices by code or Chinese label, units by code or name. The problems say what the column wants in the
column's own measure ("this column is in 万元: enter a number only"), which the service's generic coercion cannot.
Values come out as JSON (decimals and dates as text) for `ledger_rows_clean`."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from govdesk.org.models import Unit

from .kinds import Column

# The template is a Chinese form: its choices are written in Chinese whatever language the page is in.
TEMPLATE_LANGUAGE = "zh-hans"
TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "√", "✓"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "×"})
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


class CellProblem(Exception):
    pass


def _number_text(value: Any) -> str:
    text = str(value).strip().replace(",", "").replace("，", "")
    return text


def _measure_hint(column: Column) -> str:
    if column.measure:
        return _("This column is in %(measure)s: enter a number only, without units or words.") % {
            "measure": column.measure
        }
    return _("Enter a number.")


def _parse_int(column: Column, value: Any) -> int:
    if isinstance(value, bool):
        raise CellProblem(_("Enter a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellProblem(_("Enter a whole number."))
    text = _number_text(value)
    if re.fullmatch(r"-?\d+(\.0+)?", text):
        return int(Decimal(text))
    if re.fullmatch(r"-?\d+\.\d+", text):
        raise CellProblem(_("Enter a whole number."))
    if column.measure:
        raise CellProblem(
            _("This column counts %(measure)s: enter a whole number only, without units or words.")
            % {"measure": column.measure}
        )
    raise CellProblem(_("Enter a whole number."))


def parse_decimal(column: Column, value: Any) -> str:
    if isinstance(value, bool):
        raise CellProblem(_measure_hint(column))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same double: 1208.34, not 1208.3399999999999.
        number = Decimal(repr(value))
        # A cell Excel computed (=0.1+0.2) carries a binary residue far below the column's places: not a value
        # the person meant, so it is rounded to the places; a real third decimal in a 万元 column still is refused.
        places = Decimal(1).scaleb(-column.decimal_places)
        rounded = number.quantize(places)
        if number != rounded and abs(number - rounded) < Decimal("1e-9"):
            number = rounded
    else:
        text = _number_text(value)
        if column.measure == "%" and text.endswith(("%", "%")):
            text = text[:-1].strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellProblem(_measure_hint(column)) from None
        if not number.is_finite():
            raise CellProblem(_measure_hint(column))
    normalized = format(number.normalize(), "f") if number == number.to_integral_value() else format(number, "f")
    return normalized


def _parse_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    match = DATE_RE.match(str(value).strip())
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        except ValueError:
            pass
    raise CellProblem(_("Enter a date like 2022-03-31."))


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellProblem(_("Enter 是 or 否."))


def _parse_choice(column: Column, value: Any) -> str:
    text = str(value).strip()
    for code, label in column.choices or ():
        with translation.override(TEMPLATE_LANGUAGE):
            chinese = str(label)
        # The code, the form's Chinese label, or the label in the reader's language.
        if text in (str(code), chinese, str(label)):
            return str(code)
    with translation.override(TEMPLATE_LANGUAGE):
        labels = "、".join(str(label) for _code, label in column.choices or ())
    raise CellProblem(_("Choose one of: %(choices)s.") % {"choices": labels})


def _parse_text(column: Column, value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.strftime("%Y-%m-%d")
    text = str(value).strip()
    if column.max_length and len(text) > column.max_length:
        raise CellProblem(
            _("At most %(n)d characters (this has %(has)d).") % {"n": column.max_length, "has": len(text)}
        )
    return text


class Units:
    """Units by code or by name, read once per workbook."""

    def __init__(self) -> None:
        self.codes: set[str] = set()
        self.by_name: dict[str, list[str]] = {}
        for code, name in Unit.objects.values_list("code", "name"):
            self.codes.add(code)
            self.by_name.setdefault(name, []).append(code)

    def code_of(self, value: Any) -> str:
        text = _parse_text_plain(value)
        if text in self.codes:
            return text
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CellProblem(_("Several units are named %(name)s: enter the unit's code.") % {"name": text})
        raise CellProblem(_("No unit has the name or code %(name)s.") % {"name": text})


def _parse_text_plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_cell(column: Column, value: Any, units: Units) -> Any:
    kind = column.type
    if kind == "int":
        return _parse_int(column, value)
    if kind == "decimal":
        return parse_decimal(column, value)
    if kind == "date":
        return _parse_date(value)
    if kind == "bool":
        return _parse_bool(value)
    if kind == "choice":
        return _parse_choice(column, value)
    if kind == "unit":
        return units.code_of(value)
    return _parse_text(column, value)
