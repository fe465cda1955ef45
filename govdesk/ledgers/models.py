"""The district's ledgers (台账): typed rows kept by units, each write versioned (LedgerRowVersion) and audited.

Money is in 万元, the unit Chinese ledgers are kept in. Rows are written only through `services.ledger_rows_write`;
the kinds registry (`kinds.py`) says which columns a ledger has, its natural key and its rules.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 16, "decimal_places": 2}


class AppendOnlyError(Exception):
    """A write that would rewrite or delete a ledger version (a programming error, never a user's input)."""


class LedgerRow(models.Model):
    """What every ledger row carries: who reported it, from where, its version, and whether it was withdrawn."""

    # Null: rows the office imports itself, on nobody's behalf.
    reporting_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("reporting unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveIntegerField(_("version"), default=1)
    # "import:<sha256[:12]>", "report:<case number>", "admin", "demo".
    source = models.CharField(_("source"), max_length=64, blank=True)
    # A withdrawn row stays, voided, with a version: figures drawn from it can still be traced.
    is_void = models.BooleanField(_("void"), default=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


def _month_field(*, allow_annual: bool = False) -> models.PositiveSmallIntegerField:
    if allow_annual:
        # 0: the whole year (an indicator's annual value; a road not completed within the year).
        return models.PositiveSmallIntegerField(
            _("month"), default=0, validators=[MinValueValidator(0), MaxValueValidator(12)]
        )
    return models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])


def _money(verbose_name: Any, *, null: bool = False) -> models.DecimalField:
    if null:
        return models.DecimalField(verbose_name, null=True, blank=True, **MONEY)  # type: ignore[arg-type]
    return models.DecimalField(verbose_name, default=0, **MONEY)  # type: ignore[arg-type]


class LedgerRowVersionQuerySet(models.QuerySet["LedgerRowVersion"]):
    def delete(self) -> Any:
        raise AppendOnlyError("ledger versions are append-only: never deleted")

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("ledger versions are append-only: never rewritten")


class LedgerRowVersion(models.Model):
    """One written state of one ledger row: what it said, where it came from, and the unit's note for a large
    change. Append-only."""

    kind = models.CharField(_("ledger"), max_length=32)
    row_id = models.PositiveBigIntegerField(_("row"))
    version = models.PositiveIntegerField(_("version"))
    # The row's fields as written: decimals as strings, dates ISO, references by id.
    data = models.JSONField(_("data"), default=dict)
    source = models.CharField(_("source"), max_length=64, blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    objects = LedgerRowVersionQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "row_id", "version"]
        verbose_name = _("ledger row version")
        verbose_name_plural = _("ledger row versions")
        constraints = [
            models.UniqueConstraint(fields=["kind", "row_id", "version"], name="ledgers_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.row_id} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and LedgerRowVersion.objects.filter(pk=self.pk).exists():
            raise AppendOnlyError("ledger versions are append-only: never rewritten")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("ledger versions are append-only: never deleted")


# 1. 重大项目台账 ---------------------------------------------------------------------------------------------


class ProjectCategory(models.TextChoices):
    INDUSTRY = "industry", _("Industry project")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    SOCIAL = "social", _("Social welfare")
    RURAL = "rural", _("Rural revitalisation")
    URBAN = "urban", _("Urban construction")
    OTHER = "other", _("Other")


class ProjectStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparatory stage")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    COMPLETED = "completed", _("Completed and in operation")


class MajorProject(LedgerRow):
    name = models.CharField(_("project name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=ProjectCategory.choices)
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("owner unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    total_investment = _money(_("total investment (10k yuan)"))
    annual_planned = _money(_("planned investment this year (10k yuan)"))
    # Equals the sum of the project's monthly progress rows when it has any (services keep it so).
    annual_completed = _money(_("investment completed this year (10k yuan)"))
    start_date = models.DateField(_("start date"), null=True, blank=True)
    completion_date = models.DateField(_("planned completion date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ProjectStatus.choices)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    is_key = models.BooleanField(_("key project"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["year", "name"]
        verbose_name = _("major project")
        verbose_name_plural = _("major projects")
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="ledgers_project_key")]
        indexes = [models.Index(fields=["reporting_unit", "year"], name="ledgers_project_unit")]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class MajorProjectProgress(LedgerRow):
    project = models.ForeignKey(
        MajorProject, verbose_name=_("project"), on_delete=models.PROTECT, related_name="progress"
    )
    month = _month_field()
    month_completed = _money(_("investment completed this month (10k yuan)"))
    percent_complete = models.DecimalField(
        _("percent complete"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    progress_note = models.TextField(_("progress made"), blank=True)

    class Meta:
        ordering = ["project", "month"]
        verbose_name = _("major project progress")
        verbose_name_plural = _("major project progress")
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="ledgers_progress_key")]
        indexes = [
            models.Index(fields=["year", "month"], name="ledgers_progress_period"),
            models.Index(fields=["reporting_unit", "year"], name="ledgers_progress_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}-{self.month:02d}"


# 2. 经济社会指标 ---------------------------------------------------------------------------------------------


class IndicatorFrequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


class IndicatorAggregation(models.TextChoices):
    SUM = "sum", _("Sum of the months")
    LATEST = "latest", _("Latest (cumulative)")


class IndicatorCategory(models.TextChoices):
    ECONOMY = "economy", _("Economy")
    AGRICULTURE = "agriculture", _("Agriculture")
    URBAN = "urban", _("Urban")
    HEALTH = "health", _("Health")
    OTHER = "other", _("Other")


class Indicator(models.Model):
    """An indicator's definition (admin data, loaded from data/indicators.json); its values are IndicatorValue."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    measure = models.CharField(_("measure"), max_length=20)
    frequency = models.CharField(_("frequency"), max_length=10, choices=IndicatorFrequency.choices)
    aggregation = models.CharField(_("aggregation"), max_length=10, choices=IndicatorAggregation.choices)
    source_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("source unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(_("category"), max_length=20, choices=IndicatorCategory.choices)
    order = models.IntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name


class IndicatorValue(LedgerRow):
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="values"
    )
    # 0 = the annual value.
    month = _month_field(allow_annual=True)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=4, null=True, blank=True)
    # 上年同期: the year-on-year change is computed from it, never stored.
    last_year_value = models.DecimalField(
        _("same period last year"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    rank_city = models.PositiveSmallIntegerField(_("rank in the city"), null=True, blank=True)
    rank_province = models.PositiveSmallIntegerField(_("rank in the province"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["indicator", "year", "month"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year", "month"], name="ledgers_indicator_value_key")
        ]
        indexes = [
            models.Index(fields=["year", "month"], name="ledgers_indval_period"),
            models.Index(fields=["reporting_unit", "year"], name="ledgers_indval_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.year}-{self.month:02d}"

    @property
    def yoy_change(self) -> Any:
        """value / last_year_value − 1 (a Decimal), or None without a usable last year's value."""
        if self.last_year_value is None or self.last_year_value == 0:
            return None
        return self.value / self.last_year_value - 1


# 3. 自建房排查 -----------------------------------------------------------------------------------------------


class HouseHazard(models.TextChoices):
    NONE = "none", _("No hazard")
    SUSPECTED = "suspected", _("Suspected hazard")
    CONFIRMED = "confirmed", _("Hazard confirmed")


class HouseAppraisal(models.TextChoices):
    NOT_REQUIRED = "not_required", _("No appraisal needed")
    PENDING = "pending", _("Appraisal pending")
    APPRAISED = "appraised", _("Appraised")


class SelfBuiltHouse(LedgerRow):
    """A self-built house inspected (自建房排查). No owner names or phones: this ledger holds no personal data."""

    code = models.CharField(_("house code"), max_length=40, unique=True)
    township = models.CharField(_("township"), max_length=50)
    village = models.CharField(_("village"), max_length=50)
    address = models.CharField(_("address"), max_length=200)
    floors = models.PositiveSmallIntegerField(_("floors"), validators=[MinValueValidator(1), MaxValueValidator(30)])
    is_business = models.BooleanField(_("business use"), default=False)
    # year and month are the inspection's.
    inspected_on = models.DateField(_("inspected on"))
    month = _month_field()
    hazard = models.CharField(_("hazard"), max_length=20, choices=HouseHazard.choices)
    appraisal = models.CharField(_("appraisal"), max_length=20, choices=HouseAppraisal.choices)
    appraised_on = models.DateField(_("appraised on"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("self-built house")
        verbose_name_plural = _("self-built houses")
        indexes = [
            models.Index(fields=["year", "month"], name="ledgers_house_period"),
            models.Index(fields=["reporting_unit", "year"], name="ledgers_house_unit"),
        ]

    def __str__(self) -> str:
        return self.code


# 4. 农村集体经济合同清理（清化收） --------------------------------------------------------------------------------


class ContractCleanup(LedgerRow):
    month = _month_field()
    township = models.CharField(_("township"), max_length=50)
    village = models.CharField(_("village"), max_length=50)
    contracts_cleaned = models.PositiveIntegerField(_("contracts cleaned up"), default=0)
    debts_resolved = _money(_("debts resolved (10k yuan)"))
    funds_recovered = _money(_("funds recovered (10k yuan)"))
    assets_recovered = _money(_("assets recovered (10k yuan)"))

    class Meta:
        ordering = ["year", "month", "township", "village"]
        verbose_name = _("rural contract clean-up")
        verbose_name_plural = _("rural contract clean-ups")
        constraints = [
            models.UniqueConstraint(fields=["year", "month", "township", "village"], name="ledgers_contract_key")
        ]
        indexes = [
            models.Index(fields=["year", "month"], name="ledgers_contract_period"),
            models.Index(fields=["reporting_unit", "year"], name="ledgers_contract_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.township}{self.village}"


# 5. 农村户厕改造 ---------------------------------------------------------------------------------------------


class ToiletRenovation(LedgerRow):
    month = _month_field()
    township = models.CharField(_("township"), max_length=50)
    village = models.CharField(_("village"), max_length=50)
    planned = models.PositiveIntegerField(_("toilets planned"), default=0)
    completed = models.PositiveIntegerField(_("toilets completed"), default=0)

    class Meta:
        ordering = ["year", "month", "township", "village"]
        verbose_name = _("rural toilet renovation")
        verbose_name_plural = _("rural toilet renovations")
        constraints = [
            models.UniqueConstraint(fields=["year", "month", "township", "village"], name="ledgers_toilet_key"),
            models.CheckConstraint(
                condition=models.Q(completed__lte=models.F("planned")), name="ledgers_toilet_completed_le_planned"
            ),
        ]
        indexes = [
            models.Index(fields=["year", "month"], name="ledgers_toilet_period"),
            models.Index(fields=["reporting_unit", "year"], name="ledgers_toilet_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.township}{self.village}"


# 6. 道路建设 -------------------------------------------------------------------------------------------------


class RoadWorkKind(models.TextChoices):
    UPGRADE = "upgrade", _("Upgrade")
    FLOOD_REPAIR = "flood_repair", _("Flood damage repair")
    NEW = "new", _("New road")


class RoadWork(LedgerRow):
    name = models.CharField(_("name"), max_length=200)
    township = models.CharField(_("township"), max_length=50, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RoadWorkKind.choices)
    length_km = models.DecimalField(_("length (km)"), max_digits=8, decimal_places=2, default=0)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    # The completion's month within the year, 0 while not completed in it.
    month = _month_field(allow_annual=True)
    investment = _money(_("investment (10k yuan)"))

    class Meta:
        ordering = ["year", "name", "kind"]
        verbose_name = _("road work")
        verbose_name_plural = _("road works")
        constraints = [models.UniqueConstraint(fields=["year", "name", "kind"], name="ledgers_road_key")]
        indexes = [
            models.Index(fields=["year", "month"], name="ledgers_road_period"),
            models.Index(fields=["reporting_unit", "year"], name="ledgers_road_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


# 7. 游园绿地 -------------------------------------------------------------------------------------------------


class ParkKind(models.TextChoices):
    STREET_PARK = "street_park", _("Street park")
    PARK = "park", _("Park")


class Park(LedgerRow):
    name = models.CharField(_("name"), max_length=200)
    location = models.CharField(_("location"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ParkKind.choices)
    area_m2 = models.PositiveIntegerField(_("area (m²)"), default=0)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    investment = _money(_("investment (10k yuan)"))

    class Meta:
        ordering = ["year", "name"]
        verbose_name = _("park")
        verbose_name_plural = _("parks")
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="ledgers_park_key")]
        indexes = [models.Index(fields=["reporting_unit", "year"], name="ledgers_park_unit")]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


# 8. 补贴与专项资金 -------------------------------------------------------------------------------------------


class ProgrammeKind(models.TextChoices):
    CONSUMER_VOUCHER = "consumer_voucher", _("Consumer vouchers")
    BRIDGING_FUND = "bridging_fund", _("Bridging fund")
    SUBSIDY = "subsidy", _("Subsidy")


class Programme(models.Model):
    """A subsidy or special fund's definition (admin data, loaded from data/programmes.json)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ProgrammeKind.choices)
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class ProgrammeDisbursement(LedgerRow):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="disbursements"
    )
    month = _month_field()
    amount = _money(_("amount (10k yuan)"))
    # The spending the vouchers drove (消费券带动消费).
    spending_driven = _money(_("spending driven (10k yuan)"), null=True)
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), null=True, blank=True)

    class Meta:
        ordering = ["programme", "year", "month"]
        verbose_name = _("programme disbursement")
        verbose_name_plural = _("programme disbursements")
        constraints = [models.UniqueConstraint(fields=["programme", "year", "month"], name="ledgers_disbursement_key")]
        indexes = [
            models.Index(fields=["year", "month"], name="ledgers_disb_period"),
            models.Index(fields=["reporting_unit", "year"], name="ledgers_disb_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.year}-{self.month:02d}"
