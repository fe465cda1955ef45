"""The figures of the annual work review: each a small function of the year over the records.

A figure comes from one of three places:
- an indicator of the ledger (`indicator_year_value`: the annual value by the indicator's aggregation, with the same
  period of last year as the unit reported it and the ranks), its measure the indicator's own;
- the rows of a ledger kind (sums and counts over `ledger_rows`, void rows never count);
- the platform's own records, never asked of a unit: work orders, applications and package applications created in
  the year, packages in service during the year, construction projects registered in the year.

Years are calendar years in the district's time zone (settings.TIME_ZONE, Asia/Shanghai).

"Citizen matters" (群众事项) of a year: the work orders created in the year except those merged into another (a
duplicate call is one matter), the applications created in the year that are not a part of a package application, and
the package applications created in the year (a package counts once, not once per part).

"Packages in service during the year" (套餐制服务): a package whose first published version was created on or before
31 December of the year and that was not withdrawn before 1 January of it: it is active now, or its latest
`package.deactivate` audit event is on or after 1 January of the year. (Packages have no validity dates; publication
and the audited (de)activation are what the catalogue records.)

Last year's value: for an indicator, the same period of last year the unit reported (上年同期) when it did, else the
indicator's value of the year before; for every other figure, the same function over the year before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govdesk.applications.models import Application
from govdesk.audit.models import AuditEvent
from govdesk.ledgers import selectors as ledger_selectors
from govdesk.ledgers.kinds import ledger_kind_get
from govdesk.ledgers.models import Indicator
from govdesk.packages.models import Package, PackageApplication, PackageVersion
from govdesk.projects.models import Project
from govdesk.review.numbers import decimal_text
from govdesk.workorders.models import StatusChoices as WorkOrderStatus
from govdesk.workorders.models import WorkOrder

Value = Decimal | int


class UnknownFigure(LookupError):
    """A figure code the registry does not know."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RecordLink:
    """One record behind a figure, for the drill-down: what it is, what it adds, where to see it."""

    label: str
    amount: str
    url: str


@dataclass(frozen=True)
class RecordCount:
    """How many records of one kind a platform figure counts, with the list where they are."""

    label: str
    count: int
    url: str


class RecordList:
    """The records behind a figure, read page by page (a figure may stand on 36,000 rows): `len()`, `count()` and
    slices, as Django's Paginator wants them."""

    def __init__(self, rows: QuerySet[Any] | None = None, link: Callable[[Any], RecordLink] | None = None) -> None:
        self._rows = rows
        self._link = link
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = 0 if self._rows is None else self._rows.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[RecordLink]:
        if self._rows is None or self._link is None:
            return []
        return [self._link(row) for row in self._rows[index]]

    def __iter__(self) -> Iterator[RecordLink]:
        return iter(self[0 : self.count()])


def _no_records() -> RecordList:
    return RecordList()


def _no_counts() -> list[RecordCount]:
    return []


@dataclass(frozen=True)
class Measured:
    """What a figure's function returns for one year."""

    value: Value | None
    records: Callable[[], RecordList] = _no_records
    counts: Callable[[], list[RecordCount]] = _no_counts
    measure: str | None = None  # an indicator's own measure, when it has one
    last_year: Value | None = None  # 上年同期 as reported, when the source holds it
    rank_city: int | None = None
    rank_province: int | None = None


@dataclass(frozen=True)
class FigureDefinition:
    code: str
    label: Promise
    measure: str
    source: Promise  # where the figure comes from, in words, for the drill-down
    compute: Callable[[int], Measured]


@dataclass(frozen=True)
class Figure:
    """A figure for one year: its value, measure, last year's value, and the records behind it."""

    code: str
    label: str
    year: int
    value: Value | None
    measure: str
    last_year: Value | None
    source: str
    rank_city: int | None = None
    rank_province: int | None = None
    records: Callable[[], RecordList] = field(default=_no_records, repr=False, compare=False)
    counts: Callable[[], list[RecordCount]] = field(default=_no_counts, repr=False, compare=False)

    @property
    def yoy(self) -> Decimal | None:
        """The change against last year as a ratio (0.064 for +6.4 %), or None without both values."""
        if self.value is None or not self.last_year:
            return None
        return Decimal(self.value) / Decimal(self.last_year) - 1

    def part(self, name: str) -> Value | Decimal | None:
        """A value a template may name after the code: value, yoy, last_year, rank_city, rank_province."""
        if name not in FIGURE_PARTS:
            raise KeyError(name)
        return self.value if name == "value" else getattr(self, name)


FIGURE_PARTS = ("value", "yoy", "last_year", "rank_city", "rank_province")


# --- helpers -----------------------------------------------------------------------------------------------------


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[1 January, next 1 January) of `year` in the district's time zone."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def _in_year(name: str, year: int) -> Q:
    start, end = year_bounds(year)
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


def _url(name: str, *args: Any, fallback: str = "") -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback


def ledger_row_url(kind: str, pk: int) -> str:
    """The ledger row's page (`ledgers:row`), built by hand while the ledger pages are not installed."""
    return _url("ledgers:row", kind, pk, fallback=f"/ledgers/{kind}/{pk}/")


def _amount(value: Any, measure: str = "") -> str:
    if value is None:
        return ""
    return f"{decimal_text(value)}{measure}"


def _total(rows: QuerySet[Any], field_name: str) -> Value:
    total = rows.aggregate(total=Sum(field_name))["total"]
    return total if total is not None else 0


def _ledger(kind: str, *, year: int | None = None) -> QuerySet[Any]:
    """The kind's rows that count (void rows never do), of `year` when given."""
    rows = ledger_kind_get(kind).model._default_manager.filter(is_void=False)
    return rows if year is None else rows.filter(year=year)


def _row_links(
    kind: str, rows: QuerySet[Any], describe: Callable[[Any], str], amount: Callable[[Any], str]
) -> Callable[[], RecordList]:
    def link(row: Any) -> RecordLink:
        return RecordLink(label=describe(row), amount=amount(row), url=ledger_row_url(kind, row.pk))

    return lambda: RecordList(rows, link)


def _place(row: Any) -> str:
    month = getattr(row, "month", 0)
    when = f"{row.year}年{month}月" if month else f"{row.year}年"
    return " ".join(part for part in (getattr(row, "township", ""), getattr(row, "village", ""), when) if part)


# --- indicators --------------------------------------------------------------------------------------------------


def _indicator(code: str) -> Callable[[int], Measured]:
    def compute(year: int) -> Measured:
        found = ledger_selectors.indicator_year_value(code, year)
        if found is None:
            indicator = Indicator.objects.filter(code=code).first()
            return Measured(value=None, measure=indicator.measure if indicator is not None else None)
        measure = found.measure
        row_ids = list(found.row_ids)

        def link(row: Any) -> RecordLink:
            return RecordLink(
                label=f"{row.year}年{row.month}月" if row.month else gettext("%(year)s, annual") % {"year": row.year},
                amount=_amount(row.value, measure or ""),
                url=ledger_row_url("indicators", row.pk),
            )

        def records() -> RecordList:
            return RecordList(_ledger("indicators").filter(pk__in=row_ids).order_by("year", "month"), link)

        return Measured(
            value=found.value,
            records=records,
            measure=measure,
            last_year=found.last_year_value,
            rank_city=found.rank_city,
            rank_province=found.rank_province,
        )

    return compute


# --- ledger kinds ------------------------------------------------------------------------------------------------


def _programme(code: str, field_name: str) -> Callable[[int], Measured]:
    def compute(year: int) -> Measured:
        rows = (
            _ledger("programmes", year=year)
            .filter(programme__code=code)
            .select_related("programme")
            .order_by("month", "pk")
        )
        return Measured(
            value=_total(rows, field_name),
            records=_row_links(
                "programmes",
                rows,
                lambda row: f"{row.programme.name} {_place(row)}",
                lambda row: _amount(getattr(row, field_name), "万元"),
            ),
        )

    return compute


def _sum_of(kind: str, field_name: str, measure: str) -> Callable[[int], Measured]:
    def compute(year: int) -> Measured:
        rows = _ledger(kind, year=year).order_by("month", "pk")
        return Measured(
            value=_total(rows, field_name),
            records=_row_links(kind, rows, _place, lambda row: _amount(getattr(row, field_name), measure)),
        )

    return compute


def _major_projects(field_name: str | None) -> Callable[[int], Measured]:
    def compute(year: int) -> Measured:
        rows = _ledger("projects", year=year).order_by("name")
        value = rows.count() if field_name is None else _total(rows, field_name)
        return Measured(
            value=value,
            records=_row_links(
                "projects", rows, lambda row: row.name, lambda row: _amount(row.total_investment, "万元")
            ),
        )

    return compute


def _roads(road_kind: str, *, length: bool) -> Callable[[int], Measured]:
    def compute(year: int) -> Measured:
        rows = (
            _ledger("roads", year=year).filter(kind=road_kind, completed_on__year=year).order_by("completed_on", "pk")
        )
        value = _total(rows, "length_km") if length else rows.count()
        return Measured(
            value=value,
            records=_row_links(
                "roads", rows, lambda row: f"{row.name}（{row.township}）", lambda row: _amount(row.length_km, "公里")
            ),
        )

    return compute


def _street_parks(year: int) -> Measured:
    rows = (
        _ledger("parks", year=year).filter(kind="street_park", completed_on__year=year).order_by("completed_on", "pk")
    )
    return Measured(
        value=rows.count(),
        records=_row_links(
            "parks", rows, lambda row: f"{row.name}（{row.location}）", lambda row: _amount(row.area_m2, "平方米")
        ),
    )


def _houses_inspected(year: int) -> Measured:
    rows = _ledger("houses").filter(inspected_on__year=year).order_by("inspected_on", "pk")
    return Measured(
        value=rows.count(),
        records=_row_links(
            "houses", rows, lambda row: f"{row.code} {row.township}{row.village}", lambda row: str(row.inspected_on)
        ),
    )


def _business_houses_appraised_rate(year: int) -> Measured:
    """Business houses inspected in the year that were appraised, over all business houses inspected in it."""
    rows = _ledger("houses").filter(inspected_on__year=year, is_business=True).order_by("inspected_on", "pk")
    counted = rows.aggregate(total=Count("pk"), appraised=Count("pk", filter=Q(appraisal="appraised")))
    value = Decimal(counted["appraised"]) / Decimal(counted["total"]) if counted["total"] else None
    return Measured(
        value=value,
        records=_row_links(
            "houses",
            rows,
            lambda row: f"{row.code} {row.township}{row.village}",
            lambda row: row.get_appraisal_display(),
        ),
    )


# --- the platform's own records ----------------------------------------------------------------------------------


def citizen_matter_querysets(year: int) -> dict[str, QuerySet[Any]]:
    """The records "citizen matters" counts for `year`, by kind (see the module's docstring)."""
    return {
        "workorders": WorkOrder.objects.filter(_in_year("created_at", year)).exclude(status=WorkOrderStatus.MERGED),
        "applications": Application.objects.filter(_in_year("created_at", year), package_part__isnull=True),
        "package_applications": PackageApplication.objects.filter(_in_year("created_at", year)),
    }


def _citizen_matters(year: int) -> Measured:
    querysets = citizen_matter_querysets(year)
    counted = {kind: rows.count() for kind, rows in querysets.items()}

    def counts() -> list[RecordCount]:
        return [
            RecordCount(gettext("Hotline work orders"), counted["workorders"], _url("workorders:list")),
            RecordCount(
                gettext("Applications (not part of a package)"), counted["applications"], _url("applications:list")
            ),
            RecordCount(gettext("Package applications"), counted["package_applications"], _url("package_staff:list")),
        ]

    return Measured(value=sum(counted.values()), counts=counts)


def packages_in_service(year: int) -> QuerySet[Package]:
    """The packages in service during `year` (see the module's docstring)."""
    start, end = year_bounds(year)
    published = PackageVersion.objects.filter(is_published=True, created_at__lt=end).values("package_id")
    withdrawn_late = (
        AuditEvent.objects.filter(action="package.deactivate", object_type="package")
        .values("object_id")
        .annotate(last=Max("occurred_at"))
        .filter(last__gte=start)
        .values("object_id")
    )
    return Package.objects.filter(Q(pk__in=published) & (Q(is_active=True) | Q(code__in=withdrawn_late))).order_by(
        "code"
    )


def _packages_in_service(year: int) -> Measured:
    packages = packages_in_service(year)

    def link(package: Package) -> RecordLink:
        return RecordLink(
            label=f"{package.code} {package.name}", amount="", url=_url("package_guide:detail", package.code)
        )

    def records() -> RecordList:
        return RecordList(packages, link)

    return Measured(value=packages.count(), records=records)


def _construction_approvals(year: int) -> Measured:
    projects = Project.objects.filter(_in_year("registered_at", year)).order_by("registered_at", "pk")

    def link(project: Project) -> RecordLink:
        return RecordLink(
            label=f"{project.code} {project.name}",
            amount=_amount(project.investment, "万元"),
            url=_url("project_staff:detail", project.code),
        )

    def records() -> RecordList:
        return RecordList(projects, link)

    def counts() -> list[RecordCount]:
        return [RecordCount(gettext("Construction projects"), projects.count(), _url("project_staff:portfolio"))]

    return Measured(value=projects.count(), records=records, counts=counts)


# --- the registry ------------------------------------------------------------------------------------------------

FROM_INDICATOR = _("the indicator ledger (经济社会指标)")


def _indicators(*specs: tuple[str, Promise, str]) -> list[FigureDefinition]:
    return [FigureDefinition(code, label, measure, FROM_INDICATOR, _indicator(code)) for code, label, measure in specs]


FIGURE_DEFINITIONS: tuple[FigureDefinition, ...] = (
    *_indicators(
        ("tax_fee_reduction", _("Tax and fee reductions"), "万元"),
        ("bonds_used", _("Bonds used"), "万元"),
        ("market_entities_net", _("Net new market entities"), "户"),
        ("new_above_scale", _("New industrial enterprises above designated size"), "户"),
        ("little_giants", _("New 'little giant' enterprises"), "户"),
        ("specialized_new", _("New specialised and innovative enterprises"), "户"),
        ("listing_reserve", _("Enterprises in the province's listing reserve"), "户"),
        ("shareholding_listed", _("Enterprises reformed into shareholding and listed"), "户"),
    ),
    FigureDefinition(
        "consumer_vouchers",
        _("Consumer vouchers issued"),
        "万元",
        _("the programmes ledger: consumer vouchers, amount issued"),
        _programme("consumer_vouchers", "amount"),
    ),
    FigureDefinition(
        "voucher_spending",
        _("Spending driven by consumer vouchers"),
        "万元",
        _("the programmes ledger: consumer vouchers, spending driven"),
        _programme("consumer_vouchers", "spending_driven"),
    ),
    *_indicators(
        ("coal_output", _("Coal output of the district's mines"), "万吨"),
        ("gdp", _("Gross domestic product"), "亿元"),
        ("industrial_value_added", _("Value added of industry above designated size"), "亿元"),
        ("retail_sales", _("Retail sales of consumer goods"), "亿元"),
        ("fixed_asset_investment", _("Fixed asset investment"), "亿元"),
        ("urban_income", _("Per capita disposable income, urban residents"), "元"),
        ("rural_income", _("Per capita disposable income, rural residents"), "元"),
        ("budget_revenue", _("General public budget revenue"), "亿元"),
    ),
    FigureDefinition(
        "major_projects",
        _("Major projects"),
        "个",
        _("the major projects ledger: projects of the year"),
        _major_projects(None),
    ),
    FigureDefinition(
        "major_projects_investment",
        _("Total investment of the major projects"),
        "万元",
        _("the major projects ledger: total investment of the year's projects"),
        _major_projects("total_investment"),
    ),
    FigureDefinition(
        "packages_in_service",
        _("Packaged services in service"),
        "项",
        _("the package catalogue: packages in service during the year"),
        _packages_in_service,
    ),
    FigureDefinition(
        "citizen_matters",
        _("Citizen matters handled"),
        "件",
        _("the platform: work orders, applications and package applications created in the year"),
        _citizen_matters,
    ),
    FigureDefinition(
        "construction_approvals",
        _("Construction approval projects accepted"),
        "件",
        _("the platform: construction projects registered in the year"),
        _construction_approvals,
    ),
    FigureDefinition(
        "contracts_cleaned",
        _("Rural collective contracts cleaned up"),
        "份",
        _("the contract clean-up ledger: contracts cleaned"),
        _sum_of("contracts", "contracts_cleaned", "份"),
    ),
    FigureDefinition(
        "debts_resolved",
        _("Debts resolved"),
        "万元",
        _("the contract clean-up ledger: debts resolved"),
        _sum_of("contracts", "debts_resolved", "万元"),
    ),
    FigureDefinition(
        "funds_recovered",
        _("Funds recovered"),
        "万元",
        _("the contract clean-up ledger: funds recovered"),
        _sum_of("contracts", "funds_recovered", "万元"),
    ),
    FigureDefinition(
        "assets_recovered",
        _("Business assets recovered"),
        "万元",
        _("the contract clean-up ledger: assets recovered"),
        _sum_of("contracts", "assets_recovered", "万元"),
    ),
    FigureDefinition(
        "bridging_fund",
        _("District bridging funds"),
        "万元",
        _("the programmes ledger: district bridging fund, amount allocated"),
        _programme("bridging_fund", "amount"),
    ),
    *_indicators(
        ("farmland_built", _("High-standard farmland built"), "亩"),
        ("grain_output", _("Grain output"), "万吨"),
        ("pigs_stock", _("Pigs in stock"), "万头"),
        ("pigs_slaughtered", _("Pigs slaughtered"), "万头"),
        ("agri_processing_sales", _("Sales of agricultural processing enterprises"), "亿元"),
    ),
    FigureDefinition(
        "toilets_completed",
        _("Rural toilets renovated"),
        "座",
        _("the rural toilets ledger: toilets completed"),
        _sum_of("toilets", "completed", "座"),
    ),
    FigureDefinition(
        "roads_upgraded_km",
        _("Roads upgraded"),
        "公里",
        _("the roads ledger: upgrades completed in the year, length"),
        _roads("upgrade", length=True),
    ),
    FigureDefinition(
        "roads_flood_repaired",
        _("Flood-damaged roads repaired"),
        "处",
        _("the roads ledger: flood repairs completed in the year"),
        _roads("flood_repair", length=False),
    ),
    *_indicators(
        ("weak_villages_helped", _("Villages with a weak collective economy helped"), "个"),
        ("festival_main_venues", _("Harvest festival: main venues"), "个"),
        ("festival_sub_venues", _("Harvest festival: sub-venues"), "个"),
        ("festival_activities", _("Harvest festival: activities"), "项"),
        ("festival_products", _("Harvest festival: local products shown"), "种"),
        ("demolition_area", _("Area demolished"), "万平方米"),
        ("land_expropriated", _("Land expropriated"), "亩"),
    ),
    FigureDefinition(
        "houses_inspected",
        _("Self-built houses inspected"),
        "处",
        _("the self-built houses ledger: houses inspected in the year"),
        _houses_inspected,
    ),
    FigureDefinition(
        "business_houses_appraised_rate",
        _("Share of business self-built houses appraised"),
        "",
        _("the self-built houses ledger: business houses inspected in the year that were appraised"),
        _business_houses_appraised_rate,
    ),
    FigureDefinition(
        "street_parks_built",
        _("Street parks built"),
        "个",
        _("the parks ledger: street parks completed in the year"),
        _street_parks,
    ),
    *_indicators(
        ("vaccine_doses", _("Vaccine doses given"), "万剂次"),
        ("nucleic_tests", _("Nucleic acid tests"), "万人次"),
        ("outbreaks_handled", _("Outbreaks handled"), "轮"),
    ),
)

FIGURES: dict[str, FigureDefinition] = {definition.code: definition for definition in FIGURE_DEFINITIONS}


def figure_definition_get(code: str) -> FigureDefinition:
    try:
        return FIGURES[code]
    except KeyError:
        raise UnknownFigure(code) from None


def figure_get(code: str, year: int) -> Figure:
    """The figure `code` for `year`, with last year's value (UnknownFigure for a code the registry does not know)."""
    definition = figure_definition_get(code)
    this_year = definition.compute(year)
    last_year = this_year.last_year
    if last_year is None:
        last_year = definition.compute(year - 1).value
    return Figure(
        code=code,
        label=str(definition.label),
        year=year,
        value=this_year.value,
        measure=this_year.measure or definition.measure,
        last_year=last_year,
        source=str(definition.source),
        rank_city=this_year.rank_city,
        rank_province=this_year.rank_province,
        records=this_year.records,
        counts=this_year.counts,
    )


def figures_for_year(year: int, codes: Iterable[str] | None = None) -> dict[str, Figure]:
    """Every figure (or those named) for `year`, in the registry's order."""
    wanted = list(FIGURES) if codes is None else [code for code in FIGURES if code in set(codes)]
    return {code: figure_get(code, year) for code in wanted}
