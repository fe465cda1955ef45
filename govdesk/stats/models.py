"""Statistics read models, maintained in the same transaction as every change to a work order.

`StatsOrderFact` is one row per order with what the statistics need (bucket keys and 0/1 flags); `StatsRollup` and
`StatsStreetRollup` are additive counters per period and bucket, kept at two grains (day, month) so that any date
range is covered by a few dozen periods. `StatsMarginal` holds the same counters for every set of up to three
dimensions: what the overview reads. See docs/statistics.md.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The 0/1 flags of a fact, which are also counters of the rollup (summed over the bucket's orders).
FLAG_FIELDS = (
    "dispatched",
    "signed",
    "signed_on_time",
    "responded",
    "response_base",
    "completed",
    "completed_on_time",
    "returned",
    "merged",
    "replied",
    "visited",
    "resolved",
    "sat_answered",
    "sat_positive",
)
STATUS_FIELDS = (
    "st_new",
    "st_dispatched",
    "st_handling",
    "st_returned",
    "st_replied",
    "st_merged",
    "st_closed",
    "st_cancelled",
)
COUNTER_FIELDS = ("total", *STATUS_FIELDS, *FLAG_FIELDS)
ROLLUP_KEY_FIELDS = ("grain", "period", "unit_id", "cat1_id", "cat2_id", "type_id", "channel")
STREET_KEY_FIELDS = ("grain", "period", "street_id", "unit_id", "cat1_id", "type_id", "channel")
MARGINAL_KEY_FIELDS = ("grain", "period", "a_dim", "a_key", "b_dim", "b_key", "c_dim", "c_key")
# The unique index's column order: equality on the dimensions and the grain first, then the period range, so a read
# scans only the rows of the one dimension set it needs (and checks the keys inside the index).
MARGINAL_INDEX_FIELDS = ("a_dim", "b_dim", "c_dim", "grain", "period", "a_key", "b_key", "c_key")
# Dimensions of the marginal rollup, in their canonical order (a set is stored once, in this order):
# unit, type, channel, level-1 category, level-2 category, street.
MARGINAL_DIMS = ("u", "t", "c", "1", "2", "s")
# The triples an overview with two filters reads: its two filter dimensions and the one it breaks down by. Filters are
# unit, type, channel and a level-1 category (two filters with a level-2 category read that category's facts, a
# narrow slice), so a level-2 key only appears beside its level-1 key (the breakdown of a level-1 category). Leaving
# out the other level-2 triples (unit × level-2 category × street, …: nearly a row per order) keeps the table small.
MARGINAL_TRIPLES = tuple(
    triple
    for i, a in enumerate(MARGINAL_DIMS)
    for j, b in enumerate(MARGINAL_DIMS[i + 1 :], start=i + 1)
    for c in MARGINAL_DIMS[j + 1 :]
    if (triple := (a, b, c)) and ("2" not in triple or ("1" in triple and "s" not in triple))
)


class Grain(models.TextChoices):
    """Rollups are kept by day and by month; the week is only a bucket of the dashboard's series (summed days)."""

    DAY = "d", _("day")
    WEEK = "w", _("week")
    MONTH = "m", _("month")


def _flag(name: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(name, default=0)


class StatsOrderFact(models.Model):
    """What the statistics know about one order. Unit, street and category ids are 0 when there is none."""

    case = models.OneToOneField("cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="stats_fact")
    day = models.DateField(_("received on"))  # Asia/Shanghai day of created_at: the cohort
    unit_id = models.IntegerField(default=0)  # current primary unit
    street_id = models.IntegerField(default=0)
    cat1_id = models.IntegerField(default=0)
    cat2_id = models.IntegerField(default=0)
    leaf_id = models.IntegerField(default=0)
    type_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=10)
    status = models.CharField(max_length=32)
    dispatched = _flag("dispatched")
    signed = _flag("signed")
    signed_on_time = _flag("signed_on_time")
    responded = _flag("responded")
    response_base = _flag("response_base")
    completed = _flag("completed")
    completed_on_time = _flag("completed_on_time")
    returned = _flag("returned")
    merged = _flag("merged")
    replied = _flag("replied")
    visited = _flag("visited")
    resolved = _flag("resolved")
    sat_answered = _flag("sat_answered")
    sat_positive = _flag("sat_positive")
    # The completion deadline while the order is open (None once closed, cancelled or merged, or before dispatch):
    # the dashboard's overdue and due-soon lists, exact at the moment they are read, from one small index.
    open_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order statistics fact")
        verbose_name_plural = _("order statistics facts")
        indexes = [
            models.Index(fields=["day"], name="stats_fact_day"),
            models.Index(fields=["cat2_id", "day"], name="stats_fact_cat2_day"),
            models.Index(fields=["leaf_id", "day"], name="stats_fact_leaf_day"),
            # Only the open orders with a deadline (a few percent of all), with every filter column: counting the
            # overdue orders of any filter reads this index alone.
            models.Index(
                fields=["open_due_at", "unit_id", "cat1_id", "cat2_id", "leaf_id", "type_id", "channel"],
                include=["case"],
                condition=models.Q(open_due_at__isnull=False),
                name="stats_fact_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}@{self.day}"


def _counter(name: str) -> models.IntegerField:
    return models.IntegerField(name, default=0)


class StatsCounters(models.Model):
    """The counters every rollup row holds (COUNTER_FIELDS): the order count, one per status, and each rate's parts."""

    total = _counter("total")
    st_new = _counter("st_new")
    st_dispatched = _counter("st_dispatched")
    st_handling = _counter("st_handling")
    st_returned = _counter("st_returned")
    st_replied = _counter("st_replied")
    st_merged = _counter("st_merged")
    st_closed = _counter("st_closed")
    st_cancelled = _counter("st_cancelled")
    dispatched = _counter("dispatched")
    signed = _counter("signed")
    signed_on_time = _counter("signed_on_time")
    responded = _counter("responded")
    response_base = _counter("response_base")
    completed = _counter("completed")
    completed_on_time = _counter("completed_on_time")
    returned = _counter("returned")
    merged = _counter("merged")
    replied = _counter("replied")
    visited = _counter("visited")
    resolved = _counter("resolved")
    sat_answered = _counter("sat_answered")
    sat_positive = _counter("sat_positive")

    class Meta:
        abstract = True


class StatsRollup(StatsCounters):
    """Counters per period (day, month) × unit × level-1/level-2 category × type × channel: what an overview with
    three or more filters reads."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()  # the first day of the period
    unit_id = models.IntegerField(default=0)
    cat1_id = models.IntegerField(default=0)
    cat2_id = models.IntegerField(default=0)
    type_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=10)

    class Meta:
        verbose_name = _("statistics rollup")
        verbose_name_plural = _("statistics rollups")
        constraints = [models.UniqueConstraint(fields=list(ROLLUP_KEY_FIELDS), name="stats_rollup_key")]

    def __str__(self) -> str:
        return f"{self.grain}{self.period}"


class StatsStreetRollup(models.Model):
    """Orders per period × street × unit × level-1 category × type × channel (the street breakdown)."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    street_id = models.IntegerField(default=0)
    unit_id = models.IntegerField(default=0)
    cat1_id = models.IntegerField(default=0)
    type_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=10)
    total = _counter("total")

    class Meta:
        verbose_name = _("street statistics rollup")
        verbose_name_plural = _("street statistics rollups")
        constraints = [models.UniqueConstraint(fields=list(STREET_KEY_FIELDS), name="stats_street_rollup_key")]

    def __str__(self) -> str:
        return f"{self.grain}{self.period}:{self.street_id}"


class StatsMarginal(StatsCounters):
    """The same counters per period for no dimension and for each set of one, two or three dimensions (unit, type,
    channel, level-1 and level-2 category, street): what an overview with at most two filters reads (the filters'
    dimensions plus the one it breaks down by), a few thousand rows per period whatever the number of orders.
    Unused `*_dim` are "" with key 0; channel keys are codes (`services.CHANNEL_CODES`)."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    a_dim = models.CharField(max_length=1, blank=True)
    a_key = models.IntegerField(default=0)
    b_dim = models.CharField(max_length=1, blank=True)
    b_key = models.IntegerField(default=0)
    c_dim = models.CharField(max_length=1, blank=True)
    c_key = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("statistics marginal")
        verbose_name_plural = _("statistics marginals")
        constraints = [models.UniqueConstraint(fields=list(MARGINAL_INDEX_FIELDS), name="stats_marginal_key")]
        # A unit is always the first dimension of its sets: a unit's view (a unit administrator's dashboard) reads
        # only that unit's rows, instead of every unit's in the period range.
        indexes = [
            models.Index(
                fields=["a_dim", "b_dim", "c_dim", "grain", "a_key", "period", "b_key", "c_key"],
                name="stats_marginal_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grain}{self.period}:{self.a_dim}{self.a_key}/{self.b_dim}{self.b_key}/{self.c_dim}{self.c_key}"


# --- applications (办件) ----------------------------------------------------------------------------------------------

# The steps an application waits in, in lifecycle order (docs/statistics.md, "Time spent in each step"): waiting for
# acceptance at the window (correction time left out), for the applicant's correction, with the implementing unit
# (suspensions left out), suspended, and waiting for delivery after the decision.
APPLICATION_STEPS = ("acceptance", "correction", "unit", "suspension", "delivery")
APPLICATION_FLAG_FIELDS = (
    "accepted",
    "corrected",
    "refused",
    "decided",
    "decided_on_time",
    "approved",
    "denied",
    "delivered",
    "suspended",
    "instant",
)
APPLICATION_STATUS_FIELDS = (
    "st_submitted",
    "st_correction",
    "st_refused",
    "st_handling",
    "st_suspended",
    "st_approved",
    "st_denied",
    "st_closed",
)
# Per step: 1 when the step is over (its time is final) and the seconds it took (0 until it is over).
APPLICATION_STEP_DONE_FIELDS = tuple(f"{step}_done" for step in APPLICATION_STEPS)
APPLICATION_STEP_SECONDS_FIELDS = tuple(f"{step}_seconds" for step in APPLICATION_STEPS)
APPLICATION_COUNTER_FIELDS = (
    "total",
    *APPLICATION_STATUS_FIELDS,
    *APPLICATION_FLAG_FIELDS,
    *APPLICATION_STEP_DONE_FIELDS,
    *APPLICATION_STEP_SECONDS_FIELDS,
)
# Dimensions of the application marginals, in canonical order: unit, matter, matter type, channel. Every subset is
# stored (16 dimension sets), named by the letters it holds ("" is the total, "umtc" all four).
APPLICATION_DIMS = ("u", "m", "t", "c")
APPLICATION_DIM_SETS = tuple(
    "".join(d for i, d in enumerate(APPLICATION_DIMS) if mask & (1 << i)) for mask in range(1 << len(APPLICATION_DIMS))
)
APPLICATION_MARGINAL_KEY_FIELDS = ("grain", "period", "dims", "unit_id", "matter_id", "matter_type", "channel")
APPLICATION_MARGINAL_INDEX_FIELDS = ("dims", "grain", "period", "unit_id", "matter_id", "matter_type", "channel")


class StatsApplicationFact(models.Model):
    """What the statistics know about one application: its buckets, 0/1 flags and the time spent in each step.
    Unit, matter and type are 0 when there is none; the matter type and the channel are integer codes."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="stats_application_fact"
    )
    day = models.DateField(_("submitted on"))  # Asia/Shanghai day of created_at: the cohort
    unit_id = models.IntegerField(default=0)  # the implementing unit (primary unit)
    matter_id = models.IntegerField(default=0)
    matter_type = models.IntegerField(default=0)  # services.MATTER_TYPE_CODES
    channel = models.IntegerField(default=0)  # services.APPLICATION_CHANNEL_CODES
    status = models.CharField(max_length=32)
    accepted = _flag("accepted")
    corrected = _flag("corrected")
    refused = _flag("refused")
    decided = _flag("decided")
    decided_on_time = _flag("decided_on_time")
    approved = _flag("approved")
    denied = _flag("denied")
    delivered = _flag("delivered")
    suspended = _flag("suspended")
    instant = _flag("instant")
    acceptance_done = _flag("acceptance_done")
    correction_done = _flag("correction_done")
    unit_done = _flag("unit_done")
    suspension_done = _flag("suspension_done")
    delivery_done = _flag("delivery_done")
    acceptance_seconds = models.BigIntegerField(default=0)
    correction_seconds = models.BigIntegerField(default=0)
    unit_seconds = models.BigIntegerField(default=0)
    suspension_seconds = models.BigIntegerField(default=0)
    delivery_seconds = models.BigIntegerField(default=0)
    # The running deadline while the application is open (the decision's, then the delivery's; None while it waits
    # at the window or is suspended): the overdue list, exact at the moment it is read.
    open_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("application statistics fact")
        verbose_name_plural = _("application statistics facts")
        indexes = [
            models.Index(fields=["day"], name="stats_appfact_day"),
            models.Index(
                fields=["open_due_at", "unit_id", "matter_id", "matter_type", "channel", "day"],
                include=["case"],
                condition=models.Q(open_due_at__isnull=False),
                name="stats_appfact_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}@{self.day}"


def _big_counter(name: str) -> models.BigIntegerField:
    return models.BigIntegerField(name, default=0)


class StatsApplicationMarginal(models.Model):
    """Application counters per period (day, month) for every subset of unit, matter, matter type and channel
    (`dims` names the subset; the other keys are 0): any filter combination and breakdown is a few rows."""

    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    dims = models.CharField(max_length=4, blank=True)
    unit_id = models.IntegerField(default=0)
    matter_id = models.IntegerField(default=0)
    matter_type = models.IntegerField(default=0)
    channel = models.IntegerField(default=0)
    total = _counter("total")
    st_submitted = _counter("st_submitted")
    st_correction = _counter("st_correction")
    st_refused = _counter("st_refused")
    st_handling = _counter("st_handling")
    st_suspended = _counter("st_suspended")
    st_approved = _counter("st_approved")
    st_denied = _counter("st_denied")
    st_closed = _counter("st_closed")
    accepted = _counter("accepted")
    corrected = _counter("corrected")
    refused = _counter("refused")
    decided = _counter("decided")
    decided_on_time = _counter("decided_on_time")
    approved = _counter("approved")
    denied = _counter("denied")
    delivered = _counter("delivered")
    suspended = _counter("suspended")
    instant = _counter("instant")
    acceptance_done = _counter("acceptance_done")
    correction_done = _counter("correction_done")
    unit_done = _counter("unit_done")
    suspension_done = _counter("suspension_done")
    delivery_done = _counter("delivery_done")
    # Sums of seconds: a million applications times days of seconds overflow a 32-bit integer.
    acceptance_seconds = _big_counter("acceptance_seconds")
    correction_seconds = _big_counter("correction_seconds")
    unit_seconds = _big_counter("unit_seconds")
    suspension_seconds = _big_counter("suspension_seconds")
    delivery_seconds = _big_counter("delivery_seconds")

    class Meta:
        verbose_name = _("application statistics marginal")
        verbose_name_plural = _("application statistics marginals")
        constraints = [
            models.UniqueConstraint(fields=list(APPLICATION_MARGINAL_INDEX_FIELDS), name="stats_appmarginal_key")
        ]
        # A unit administrator's view reads only their units' rows.
        indexes = [
            models.Index(
                fields=["dims", "grain", "unit_id", "period", "matter_id", "matter_type", "channel"],
                name="stats_appmarginal_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grain}{self.period}:{self.dims}"


class StatsPending(models.Model):
    """A change of one case's fact that the rollups do not count yet: [old values or null, new values] as JSON text.
    Every change of a counted case inserts one in its transaction (never an update, so writers never wait for one
    another or for the fold); `services.stats_fold`, the one writer of rollups, adds them and deletes them. Readers
    of rollups fold first, so what they read is exact."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=20)
    case_id = models.BigIntegerField()
    change = models.TextField()

    class Meta:
        verbose_name = _("statistics change waiting to be folded")
        verbose_name_plural = _("statistics changes waiting to be folded")

    def __str__(self) -> str:
        return f"{self.kind} {self.case_id}"
