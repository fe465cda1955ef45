"""The application's (办件) statistics schema: its fact, computed from the saved application, its timeline's
correction events and its suspensions, and its marginal rollup over unit, matter, matter type and channel.

Time spent in each step (docs/statistics.md): a step's seconds count only once the step is over (its `*_done` flag),
so a fact never depends on the moment it is computed and a rebuild always equals the incremental path.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from govdesk.applications.models import Application
from govdesk.applications.models import Channel as ApplicationChannel
from govdesk.applications.states import Status
from govdesk.cases.models import CaseEvent, CaseKind, CaseSuspension
from govdesk.matters.models import MatterType, MatterVersion

from .maintenance import Fact, Loaded, RollupTable, StatsSchema, db_value
from .models import (
    APPLICATION_COUNTER_FIELDS,
    APPLICATION_DIM_SETS,
    APPLICATION_DIMS,
    APPLICATION_FLAG_FIELDS,
    APPLICATION_MARGINAL_KEY_FIELDS,
    APPLICATION_STATUS_FIELDS,
    APPLICATION_STEP_DONE_FIELDS,
    APPLICATION_STEP_SECONDS_FIELDS,
    Grain,
    StatsApplicationFact,
    StatsApplicationMarginal,
)

# Matter types and channels as integer keys (0: unknown), in the order of their choices.
MATTER_TYPE_CODES = {value: i + 1 for i, value in enumerate(MatterType.values)}
MATTER_TYPE_BY_CODE = {code: value for value, code in MATTER_TYPE_CODES.items()}
APPLICATION_CHANNEL_CODES = {value: i + 1 for i, value in enumerate(ApplicationChannel.values)}
APPLICATION_CHANNEL_BY_CODE = {code: value for value, code in APPLICATION_CHANNEL_CODES.items()}

APPLICATION_FACT_FIELDS = (
    "day",
    "unit_id",
    "matter_id",
    "matter_type",
    "channel",
    "status",
    *APPLICATION_FLAG_FIELDS,
    *APPLICATION_STEP_DONE_FIELDS,
    *APPLICATION_STEP_SECONDS_FIELDS,
    "open_due_at",
)
# The application's own columns a fact is computed from (the timeline and the suspensions come beside them).
_COLUMNS = {
    "created_at": "c.created_at",
    "primary_unit_id": "c.primary_unit_id",
    "status": "c.status",
    "is_open": "c.is_open",
    "due_at": "c.due_at",
    "closed_at": "c.closed_at",
    "matter_id": "a.matter_id",
    "channel": "a.channel",
    "accepted_at": "a.accepted_at",
    "decided_at": "a.decided_at",
    "decision_due_at": "a.decision_due_at",
    "delivered_at": "a.delivered_at",
    "matter_type": "v.type",
    "instant": "v.instant",
}
_DATETIMES = frozenset(
    {
        "created_at",
        "due_at",
        "closed_at",
        "accepted_at",
        "decided_at",
        "decision_due_at",
        "delivered_at",
        "open_due_at",
        "occurred_at",
        "started_at",
        "ended_at",
    }
)
_BOOLS = frozenset({"is_open", "instant"})
# The timeline events a fact needs: entering and leaving the correction status, and the decision.
_EVENTS_Q = (
    Q(to_status=Status.CORRECTION)
    | Q(from_status=Status.CORRECTION)
    | Q(to_status__in=[Status.APPROVED, Status.DENIED])
)
_STATUS_OF_COUNTER = tuple(f[3:] for f in APPLICATION_STATUS_FIELDS)


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def application_fact_compute(row: dict[str, Any]) -> Fact:
    """The fact of one application from its saved columns (`_COLUMNS`), `events` ((occurred_at, from_status,
    to_status) in time order, `_EVENTS_Q` only) and `suspensions` ((started_at, ended_at))."""
    status = row["status"]
    created, accepted_at = row["created_at"], row["accepted_at"]
    decided_at, delivered_at = row["decided_at"], row["delivered_at"]
    corrected = approved = denied = 0
    correction_seconds = 0
    correction_started: datetime | None = None
    for occurred_at, from_status, to_status in row["events"]:
        if to_status == Status.CORRECTION and from_status != Status.CORRECTION:
            corrected, correction_started = 1, occurred_at
        elif from_status == Status.CORRECTION and to_status != Status.CORRECTION and correction_started is not None:
            correction_seconds += _seconds(correction_started, occurred_at)
            correction_started = None
        if to_status == Status.APPROVED:
            approved, denied = 1, 0
        elif to_status == Status.DENIED:
            approved, denied = 0, 1
    suspensions = row["suspensions"]
    suspension_seconds = sum(_seconds(start, end) for start, end in suspensions if end is not None)
    suspension_done = int(bool(suspensions) and all(end is not None for _start, end in suspensions))
    # The window's answer: acceptance, or refusal (the moment it closed the application).
    answered_at = accepted_at or (row["closed_at"] if status == Status.REFUSED else None)
    correction_done = int(corrected and correction_started is None)
    unit_done = int(accepted_at is not None and decided_at is not None)
    delivery_done = int(decided_at is not None and delivered_at is not None)
    decided = decided_at is not None
    decision_due = row["decision_due_at"]
    return {
        "day": timezone.localtime(created).date(),
        "unit_id": row["primary_unit_id"] or 0,
        "matter_id": row["matter_id"] or 0,
        "matter_type": MATTER_TYPE_CODES.get(row["matter_type"], 0),
        "channel": APPLICATION_CHANNEL_CODES.get(row["channel"], 0),
        "status": status,
        "accepted": int(accepted_at is not None),
        "corrected": corrected,
        "refused": int(status == Status.REFUSED),
        "decided": int(decided),
        "decided_on_time": int(decided and (decision_due is None or decided_at <= decision_due)),
        "approved": approved,
        "denied": denied,
        "delivered": int(delivered_at is not None),
        "suspended": int(bool(suspensions)),
        "instant": int(bool(row["instant"])),
        "acceptance_done": int(answered_at is not None),
        "correction_done": correction_done,
        "unit_done": unit_done,
        "suspension_done": suspension_done,
        "delivery_done": delivery_done,
        # Waiting at the window, less the time the applicant had the file back for correction.
        "acceptance_seconds": max(0, _seconds(created, answered_at) - correction_seconds) if answered_at else 0,
        "correction_seconds": correction_seconds if correction_done else 0,
        # With the unit, less the suspensions (行政许可法 第45条: not counted in the limit either).
        "unit_seconds": max(0, _seconds(accepted_at, decided_at) - suspension_seconds) if unit_done else 0,
        "suspension_seconds": suspension_seconds if suspension_done else 0,
        "delivery_seconds": _seconds(decided_at, delivered_at) if delivery_done else 0,
        "open_due_at": row["due_at"] if row["is_open"] else None,
    }


def application_fact_counters(fact: Fact) -> list[int]:
    """The fact's contribution to one marginal row, in APPLICATION_COUNTER_FIELDS order."""
    status = fact["status"]
    return [
        1,
        *(int(status == s) for s in _STATUS_OF_COUNTER),
        *(fact[f] for f in APPLICATION_FLAG_FIELDS),
        *(fact[f] for f in APPLICATION_STEP_DONE_FIELDS),
        *(fact[f] for f in APPLICATION_STEP_SECONDS_FIELDS),
    ]


def _marginal_keys(fact: Fact) -> list[tuple[str, int, int, int, int]]:
    """(dims, unit, matter, matter type, channel) of the fact's 16 marginal rows (keys outside `dims` are 0)."""
    values = {"u": fact["unit_id"], "m": fact["matter_id"], "t": fact["matter_type"], "c": fact["channel"]}
    return [
        (
            dims,
            values["u"] if "u" in dims else 0,
            values["m"] if "m" in dims else 0,
            values["t"] if "t" in dims else 0,
            values["c"] if "c" in dims else 0,
        )
        for dims in APPLICATION_DIM_SETS
    ]


_DIM_COLUMNS = dict(zip(APPLICATION_DIMS, ("unit_id", "matter_id", "matter_type", "channel"), strict=True))


def marginal_aggregates() -> list[tuple[str, list[Any]]]:
    """The marginal rows as SELECTs over the stored facts, one per grain and dimension set (the rebuild's
    INSERT … SELECT, and what verify compares the table with): the same sums `application_fact_counters` adds."""
    month = (
        "CAST(date_trunc('month', day) AS date)" if connection.vendor == "postgresql" else "date(day, 'start of month')"
    )
    sums = [
        "COUNT(*)",
        *("SUM(CASE WHEN status = %s THEN 1 ELSE 0 END)" for _s in _STATUS_OF_COUNTER),
        *(f"SUM({f})" for f in APPLICATION_COUNTER_FIELDS[1 + len(_STATUS_OF_COUNTER) :]),
    ]
    table = StatsApplicationFact._meta.db_table
    out: list[tuple[str, list[Any]]] = []
    for grain, period in ((Grain.DAY.value, "day"), (Grain.MONTH.value, month)):
        for dims in APPLICATION_DIM_SETS:
            keys = [_DIM_COLUMNS[d] if d in dims else "0" for d in APPLICATION_DIMS]
            group = [period, *(_DIM_COLUMNS[d] for d in dims)]
            select = (
                f"SELECT %s, {period}, %s, {', '.join(keys)}, {', '.join(sums)} FROM {table} "  # noqa: S608
                f"GROUP BY {', '.join(group)}"
            )
            out.append((select, [grain, dims, *_STATUS_OF_COUNTER]))
    return out


def _sql() -> tuple[str, str, str]:
    app, case = Application._meta.db_table, "cases_case"
    fact = StatsApplicationFact._meta.db_table
    row = (
        f"SELECT {', '.join(_COLUMNS.values())}, f.case_id, {', '.join('f.' + c for c in APPLICATION_FACT_FIELDS)} "  # noqa: S608
        f"FROM {app} a JOIN {case} c ON c.id = a.case_ptr_id "
        f"JOIN {MatterVersion._meta.db_table} v ON v.id = a.matter_version_id "
        f"LEFT JOIN {fact} f ON f.case_id = c.id WHERE a.case_ptr_id = %s"
    )
    events = (
        f"SELECT occurred_at, from_status, to_status FROM {CaseEvent._meta.db_table} "  # noqa: S608
        "WHERE case_id = %s AND (to_status IN (%s, %s, %s) OR from_status = %s) ORDER BY occurred_at, id"
    )
    suspensions = f"SELECT started_at, ended_at FROM {CaseSuspension._meta.db_table} WHERE case_id = %s"  # noqa: S608
    return row, events, suspensions


_ROW_SQL, _EVENTS_SQL, _SUSPENSIONS_SQL = _sql()


def _load_one(cursor: Any, pk: int) -> Loaded:
    """The application's row and stored fact in one read, then its correction/decision events and suspensions."""
    cursor.execute(_ROW_SQL, [pk])
    found = cursor.fetchone()
    if found is None:
        return None, None
    width = len(_COLUMNS)
    s = APPLICATION_SCHEMA
    row: dict[str, Any] = {name: db_value(s, name, v) for name, v in zip(_COLUMNS, found[:width], strict=True)}
    row["pk"] = pk
    cursor.execute(
        _EVENTS_SQL, [pk, Status.CORRECTION.value, Status.APPROVED.value, Status.DENIED.value, Status.CORRECTION.value]
    )
    row["events"] = [(db_value(s, "occurred_at", at), src, dst) for at, src, dst in cursor.fetchall()]
    cursor.execute(_SUSPENSIONS_SQL, [pk])
    row["suspensions"] = [(db_value(s, "started_at", a), db_value(s, "ended_at", b)) for a, b in cursor.fetchall()]
    return row, (found[width + 1 :] if found[width] is not None else None)


_BATCH_VALUES = {
    "created_at": F("created_at"),
    "primary_unit_id": F("primary_unit_id"),
    "status": F("status"),
    "is_open": F("is_open"),
    "due_at": F("due_at"),
    "closed_at": F("closed_at"),
    "matter_id": F("matter_id"),
    "channel": F("channel"),
    "accepted_at": F("accepted_at"),
    "decided_at": F("decided_at"),
    "decision_due_at": F("decision_due_at"),
    "delivered_at": F("delivered_at"),
    "matter_type": F("matter_version__type"),
    "instant": F("matter_version__instant"),
}


def application_batches(batch: int) -> Iterator[list[dict[str, Any]]]:
    """Applications in pk order with their events and suspensions: three reads per batch."""
    last = 0
    while True:
        rows = list(
            Application.objects.filter(pk__gt=last)
            .order_by("pk")
            .values("pk", **{f"_{k}": v for k, v in _BATCH_VALUES.items()})[:batch]
        )
        if not rows:
            return
        pks = [r["pk"] for r in rows]
        events: dict[int, list[tuple[Any, str, str]]] = {pk: [] for pk in pks}
        for case_id, occurred_at, src, dst in (
            CaseEvent.objects.filter(_EVENTS_Q, case_id__in=pks)
            .order_by("case_id", "occurred_at", "id")
            .values_list("case_id", "occurred_at", "from_status", "to_status")
        ):
            events[case_id].append((occurred_at, src, dst))
        suspensions: dict[int, list[tuple[Any, Any]]] = {pk: [] for pk in pks}
        for case_id, started_at, ended_at in CaseSuspension.objects.filter(case_id__in=pks).values_list(
            "case_id", "started_at", "ended_at"
        ):
            suspensions[case_id].append((started_at, ended_at))
        out: list[dict[str, Any]] = []
        for r in rows:
            row: dict[str, Any] = {k: r[f"_{k}"] for k in _BATCH_VALUES}  # type: ignore[literal-required]
            row.update(pk=r["pk"], events=events[r["pk"]], suspensions=suspensions[r["pk"]])
            out.append(row)
        yield out
        last = pks[-1]


APPLICATION_SCHEMA = StatsSchema(
    kind=CaseKind.APPLICATION,
    fact_model=StatsApplicationFact,
    fact_fields=APPLICATION_FACT_FIELDS,
    counter_fields=APPLICATION_COUNTER_FIELDS,
    tables=(
        RollupTable(
            "marginal",
            StatsApplicationMarginal,
            APPLICATION_MARGINAL_KEY_FIELDS,
            APPLICATION_COUNTER_FIELDS,
            _marginal_keys,
            aggregates=marginal_aggregates,
        ),
    ),
    fact_compute=application_fact_compute,
    fact_counters=application_fact_counters,
    load_one=_load_one,
    batches=application_batches,
    count=Application.objects.count,
    datetime_fields=_DATETIMES,
    bool_fields=_BOOLS,
)
