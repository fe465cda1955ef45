"""The demo year's ledgers, as the units would have reported them: each unit's rows of a period written through the
ledgers' service (`ledger_rows_write`: cleaned, versioned, audited) by that unit's handler, at the moment the report
came in (a few days after the month's end; annual figures in January of the next year; a project's start or completion
and a road or park as it was finished). The writes are steps (`history.Step`) so they replay in one time order with the
year's construction projects. The data is `ledger_data.py`.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from govdesk.ledgers.models import Indicator
from govdesk.ledgers.services import ledger_rows_write
from govdesk.org.models import Unit, User

from ..district import STREETS
from ..history import Step
from . import ledger_data as data
from .platform import split

SOURCE = "demo"
CENT = Decimal("0.01")


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_default_timezone())


def _report_day(year: int, month: int, day: int = 6) -> date:
    """When a month's report comes in: early in the month after."""
    return date(year + 1, 1, day) if month == 12 else date(year, month + 1, day)


def _money_split(total: Decimal, weights: list[float], places: int = 2) -> list[Decimal]:
    """`total` split by `weights` into amounts of `places` decimals that add up exactly."""
    unit = Decimal(1).scaleb(-places)
    parts = split(int(total / unit), weights)
    return [Decimal(p) * unit for p in parts]


class LedgerPlan:
    """The year's ledger writes as steps; `run_step` writes one."""

    def __init__(self, *, year: int, seed: int) -> None:
        self.year = year
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
        self.units = {u.code: u for u in Unit.objects.all()}
        self.actors = self._actors()
        self.steps: list[Step] = []
        self.written: dict[str, int] = defaultdict(int)

    def _actors(self) -> dict[str, Any]:
        from .. import seed

        return dict(seed.handlers_by_unit())

    def _add(self, at: datetime, kind: str, unit: str | None, rows: list[dict[str, Any]], month: int | None) -> None:
        if rows:
            args = {"kind": kind, "unit": unit, "rows": rows, "month": month}
            self.steps.append(Step(at=at, order=len(self.steps), seq=0, action=kind, args=args))

    def run_step(self, step: Step) -> None:
        a = step.args
        unit = self.units.get(a["unit"]) if a["unit"] else None
        actor = self.actors.get(a["unit"]) or User.objects.filter(username="supervisor").first()
        result = ledger_rows_write(
            kind=a["kind"], rows=a["rows"], actor=actor, source=SOURCE, year=self.year, month=a["month"], unit=unit
        )
        self.written[a["kind"]] += result.created + result.updated

    def plan(self) -> list[Step]:
        self._indicators()
        self._programmes()
        self._projects()
        self._contracts()
        self._toilets()
        self._roads()
        self._parks()
        self._houses()
        return self.steps

    # --- indicators -------------------------------------------------------------------------------------------

    def _indicator_units(self) -> dict[str, str]:
        found = dict(Indicator.objects.values_list("code", "source_unit__code"))
        return {code: unit or data.REPORTING_UNITS.get(code, "LS-FG") for code, unit in found.items()}

    def _indicators(self) -> None:
        units = self._indicator_units()
        by_month: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for code, spec in data.MONTHLY_INDICATORS.items():
            for month, (value, last) in enumerate(self._monthly_values(code, spec), start=1):
                row: dict[str, Any] = {"indicator": code, "month": month, "value": value, "last_year_value": last}
                if month == 12:
                    row.update(target=spec.target, rank_city=spec.rank_city, rank_province=spec.rank_province)
                by_month[(month, units.get(code, "LS-FG"))].append(row)
        for (month, unit), rows in by_month.items():
            self._add(_at(_report_day(self.year, month), 9), "indicators", unit, rows, month)
        annual: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for code, (year_value, year_before) in data.ANNUAL_INDICATORS.items():
            annual[units.get(code, "LS-FG")].append(
                {"indicator": code, "month": 0, "value": year_value, "last_year_value": year_before}
            )
        for unit, rows in annual.items():
            self._add(_at(date(self.year + 1, 1, 12), 15), "indicators", unit, rows, 0)

    def _monthly_values(self, code: str, spec: data.Monthly) -> list[tuple[Decimal, Decimal]]:
        quantum = Decimal(1).scaleb(-spec.places)
        if code in data.SUM_INDICATORS:
            values = _money_split(spec.december, list(spec.shape), spec.places)
            lasts = _money_split(spec.last_december, [s * self.rng.uniform(0.95, 1.05) for s in spec.shape], 2)
            return list(zip(values, lasts, strict=True))
        out = []
        for share in spec.shape:
            value = (spec.december * Decimal(str(share))).quantize(quantum, ROUND_HALF_UP)
            # Last year's same period: this year's growth, give or take a little from month to month.
            drift = Decimal(str(self.rng.uniform(-0.012, 0.012))) if share != 1.0 else Decimal(0)
            growth = spec.december / spec.last_december + drift
            last = (value / growth).quantize(quantum, ROUND_HALF_UP) if share != 1.0 else spec.last_december
            out.append((value, last))
        return out

    # --- programmes -------------------------------------------------------------------------------------------

    def _programmes(self) -> None:
        units = {"consumer_vouchers": "LS-SW", "bridging_fund": "LS-NY"}
        for code, months in data.PROGRAMMES.items():
            for month, (amount, spending, people) in months.items():
                row: dict[str, Any] = {"programme": code, "month": month, "amount": amount}
                if spending is not None:
                    row.update(spending_driven=spending, beneficiaries=people)
                self._add(_at(_report_day(self.year, month, 5), 11), "programmes", units[code], [row], month)

    # --- major projects ---------------------------------------------------------------------------------------

    def _project_row(self, p: data.MajorProjectData, *, status: str, completed_on: date | None) -> dict[str, Any]:
        return {
            "name": p.name,
            "category": p.category,
            "owner_unit": p.owner,
            "total_investment": p.total,
            "annual_planned": p.planned,
            "start_date": p.start,
            "completion_date": p.finish,
            "status": status,
            "completed_on": completed_on,
            "is_key": p.is_key,
        }

    def _projects(self) -> None:
        year = self.year
        opening = date(year, 1, 20)
        for p in data.MAJOR_PROJECTS:
            started = p.start is not None and p.start <= opening
            first = self._project_row(p, status="under_construction" if started else "preparing", completed_on=None)
            self._add(_at(opening, 14), "projects", p.owner, [first], None)
            if not started and p.start is not None:
                row = self._project_row(p, status="under_construction", completed_on=None)
                self._add(_at(p.start + timedelta(days=2), 16), "projects", p.owner, [row], None)
            if p.status == "completed" and p.completed_on is not None:
                row = self._project_row(p, status="completed", completed_on=p.completed_on)
                self._add(_at(p.completed_on + timedelta(days=3), 16), "projects", p.owner, [row], None)
        # The months' progress, one report per owner unit and month.
        by_month: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for p in data.MAJOR_PROJECTS:
            for month, amount, percent in self._progress(p):
                note = "项目建成投产" if percent >= 100 else self.rng.choice(PROGRESS_NOTES)
                by_month[(month, p.owner)].append(
                    {
                        "project": p.name,
                        "month": month,
                        "month_completed": amount,
                        "percent_complete": percent,
                        "progress_note": note,
                    }
                )
        for (month, unit), rows in by_month.items():
            self._add(_at(_report_day(year, month, 7), 10), "project_progress", unit, rows, month)

    def _progress(self, p: data.MajorProjectData) -> list[tuple[int, Decimal, Decimal]]:
        """(month, investment completed in it, percent complete at its end) for the months the project ran."""
        year = self.year
        first = p.start.month if p.start is not None and p.start.year == year else 1
        last = p.completed_on.month if p.completed_on is not None else 12
        months = list(range(first, last + 1))
        # Building season: little in the winter months.
        weights = [(0.35 if m in (1, 2, 12) else 1.0) * self.rng.uniform(0.8, 1.2) for m in months]
        done = (p.planned * Decimal(str(p.done))).quantize(Decimal(1))
        amounts = _money_split(done, weights, 0)
        before = (p.total - p.planned) if p.status == "completed" else Decimal(0)
        if p.status != "completed" and p.start is not None and p.start.year < year:
            before = ((p.total - p.planned) * Decimal("0.4")).quantize(Decimal(1))
        out, total = [], before
        for month, amount in zip(months, amounts, strict=True):
            total += amount
            percent = min(Decimal(100), (total * 100 / p.total).quantize(CENT, ROUND_HALF_UP))
            out.append((month, amount, percent))
        return out

    # --- rural campaigns --------------------------------------------------------------------------------------

    def _village_months(self, months: Iterable[int], share: float) -> list[tuple[int, str, str]]:
        out: list[tuple[int, str, str]] = []
        for month in months:
            for unit, villages in data.VILLAGES.items():
                out.extend((month, unit, v) for v in villages if self.rng.random() < share)
        return out

    def _contracts(self) -> None:
        cells = self._village_months(data.CONTRACT_MONTHS, 0.55)
        weights = [self.rng.uniform(0.3, 1.7) for _ in cells]
        cleaned = split(data.CONTRACTS_CLEANED, weights)
        money = {
            name: _money_split(total, [w * self.rng.uniform(0.5, 1.5) for w in weights])
            for name, total in (("debts_resolved", data.DEBTS_RESOLVED), ("funds_recovered", data.FUNDS_RECOVERED))
        }
        assets = _money_split(data.ASSETS_RECOVERED, [w * self.rng.uniform(0.2, 1.8) for w in weights])
        groups: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for i, (month, unit, village) in enumerate(cells):
            groups[(month, unit)].append(
                {
                    "month": month,
                    "township": self.units[unit].name,
                    "village": village,
                    "contracts_cleaned": cleaned[i],
                    "debts_resolved": money["debts_resolved"][i],
                    "funds_recovered": money["funds_recovered"][i],
                    "assets_recovered": assets[i],
                }
            )
        for (month, unit), rows in groups.items():
            self._add(_at(_report_day(self.year, month, 4), 16), "contracts", unit, rows, month)

    def _toilets(self) -> None:
        cells = self._village_months(data.TOILET_MONTHS, 0.45)
        completed = split(data.TOILETS_COMPLETED, [self.rng.uniform(0.4, 1.6) for _ in cells])
        groups: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
        for (month, unit, village), done in zip(cells, completed, strict=True):
            planned = done + (1 if self.rng.random() < 0.25 else 0)
            groups[(month, unit)].append(
                {
                    "month": month,
                    "township": self.units[unit].name,
                    "village": village,
                    "planned": planned,
                    "completed": done,
                }
            )
        for (month, unit), rows in groups.items():
            self._add(_at(_report_day(self.year, month, 5), 15), "toilets", unit, rows, month)

    def _roads(self) -> None:
        unit = "LS-JT"
        for name, township, km, started, completed, investment in [*data.UPGRADES, *data.UPGRADES_OPEN]:
            row = {
                "name": name,
                "township": self.units[township].name,
                "kind": "upgrade",
                "length_km": km,
                "started_on": started,
                "completed_on": completed,
                "investment": investment,
            }
            self._add(_at((completed or started) + timedelta(days=4), 11), "roads", unit, [row], None)
        for i, (place, township) in enumerate(data.FLOOD_REPAIRS):
            started = date(self.year, 7, 12) + timedelta(days=self.rng.randint(0, 45))
            completed = started + timedelta(days=self.rng.randint(3, 25))
            row = {
                "name": f"{self.units[township].name}{place}水毁道路抢修（第{i + 1}处）",
                "township": self.units[township].name,
                "kind": "flood_repair",
                "length_km": Decimal(self.rng.randint(5, 80)) / 100,
                "started_on": started,
                "completed_on": completed,
                "investment": Decimal(self.rng.randint(8, 95)),
            }
            self._add(_at(completed + timedelta(days=2), 11), "roads", unit, [row], None)

    def _parks(self) -> None:
        unit = "LS-CG"
        for name, location, area, completed in data.STREET_PARKS:
            row = {
                "name": name,
                "location": location,
                "kind": "street_park",
                "area_m2": area,
                "completed_on": completed,
                "investment": Decimal(area) * Decimal("0.045"),
            }
            self._add(_at(completed + timedelta(days=3), 15), "parks", unit, [row], None)
        for name, location, kind, area, completed_on in data.PARKS_OPEN:
            row = {"name": name, "location": location, "kind": kind, "area_m2": area, "completed_on": completed_on}
            self._add(_at(date(self.year, 4, 20), 15), "parks", unit, [row], None)

    # --- self-built houses ------------------------------------------------------------------------------------

    def _houses(self) -> None:
        rng = self.rng
        streets = [s for s in STREETS if s.code in self.units]
        # Villages and old neighbourhoods have most of the self-built houses.
        weights = [1.6 if s.code in data.VILLAGES else 0.8 for s in streets]
        per_street = split(data.HOUSES, weights)
        for number, (street, count) in enumerate(zip(streets, per_street, strict=True), start=1):
            places = data.VILLAGES.get(street.code, street.communities)
            months = split(count, data.HOUSE_MONTH_SHARES)
            seq = 0
            for month, in_month in zip(data.HOUSE_MONTHS, months, strict=True):
                rows = []
                for _ in range(in_month):
                    seq += 1
                    rows.append(self._house(street.name, number, seq, month, rng.choice(places), street.places))
                self._add(_at(_report_day(self.year, month, 3), 17), "houses", street.code, rows, month)

    def _house(
        self, township: str, number: int, seq: int, month: int, village: str, places: tuple[str, ...]
    ) -> dict[str, Any]:
        rng = self.rng
        day = rng.randint(1, 28)
        inspected = date(self.year, month, day)
        business = rng.random() < data.BUSINESS_SHARE
        hazard = rng.choices(["none", "suspected", "confirmed"], weights=[93, 5, 2])[0]
        appraisal, appraised = "not_required", None
        if business or hazard != "none":
            # Every business house is appraised (the province's campaign); a suspected home waits now and then.
            waits = not business and rng.random() < 0.3
            appraisal = "pending" if waits else "appraised"
            appraised = None if waits else min(inspected + timedelta(days=rng.randint(3, 40)), date(self.year, 12, 31))
        return {
            "code": f"141102-{number:03d}-{seq:05d}",
            "township": township,
            "village": village,
            "address": f"{township}{village}{rng.choice(places)}{rng.randint(1, 260)}号",
            "floors": rng.choices([1, 2, 3, 4, 5, 6], weights=[30, 34, 20, 9, 5, 2])[0],
            "is_business": business,
            "inspected_on": inspected,
            "hazard": hazard,
            "appraisal": appraisal,
            "appraised_on": appraised,
        }


PROGRESS_NOTES = [
    "主体工程按计划推进",
    "完成基础施工，进入主体阶段",
    "设备安装调试中",
    "配套工程同步实施",
    "受疫情影响工期有所调整，正在抢抓进度",
    "附属工程施工中",
    "完成年度形象进度节点",
]
