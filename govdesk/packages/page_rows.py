"""What the package pages show, in rows a template prints: the merged checklist (each material once, with the matters
it serves) and the parts (unit, status, deadline, result or reason). Built from objects the selectors read; no query
of its own beyond the relations those objects carry (and the catalogue's reading of what a situation needs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications.models import StatusChoices
from govdesk.applications.states import Status

from .catalogue import package_materials_needed
from .models import PackageApplication, PackagePart, PackageVersion, PartState


@dataclass
class ChecklistRow:
    code: str
    name: str
    required: bool
    matters: list[str]
    # None on a definition's checklist (nothing handed in yet); True/False on an application's.
    received: bool | None = None
    defect: str = ""
    # The matters whose result provides it (`from_result_of`), and whether the applicant still hands it in.
    produced_by: list[str] = field(default_factory=list)
    from_applicant: bool = True
    # On a definition's checklist, a material no matter needed in every situation asks for: asked only when one of
    # these matters is needed (their `condition`), so never marked required before the answers are known.
    only_for: list[str] = field(default_factory=list)


@dataclass
class PartRow:
    matter_code: str
    matter_name: str
    unit_name: str
    status: str
    status_label: str
    due_at: datetime | None = None
    outcome: str = ""
    number: str = ""
    link: str = ""
    overdue: bool = False
    can_urge: bool = False
    waits_for: list[str] = field(default_factory=list)
    # A decided part: when, and whether by its decision deadline (its `due_at` is then the delivery's).
    decided_at: datetime | None = None
    decided_in_time: bool | None = None


def _matter_names(version: PackageVersion) -> dict[str, str]:
    return {item.matter.code: item.matter.name for item in version.items.select_related("matter")}


def checklist_rows(
    version: PackageVersion, receipts: list[Any] | None = None, *, form: dict[str, Any] | None = None
) -> list[ChecklistRow]:
    """The merged materials of `version`; with `receipts` (an application's checklist), what was handed in.

    `form`: the (cleaned) merged answers, when known (an application's, or the counter's form once valid): only the
    materials this situation needs are listed (`package_materials_needed`: a material whose every matter is not
    needed is left out), required as it needs them. Without answers every material is listed, and one that only
    situational matters ask for (an item's `condition`) is not marked required: it names the matters it is for."""
    names = _matter_names(version)
    # With no answers, the situation every applicant is in: the matters needed whatever the answers.
    situation = {
        row["material"].code: row
        for row in package_materials_needed(version, form if form is not None else {}, with_provided=True)
    }
    rows = []
    by_code = {r.code: r for r in receipts or []}
    for material in version.materials.order_by("order", "code"):
        receipt = by_code.get(material.code)
        needed = situation.get(material.code)
        if form is not None and needed is None and receipt is None:
            continue  # no matter this application needs asks for it
        sources = material.sources or []
        if form is not None and needed is not None:
            sources = [s for s in sources if s.get("matter") in needed["matters"]]
        served = []
        for source in sources:
            name = names.get(source.get("matter", ""), source.get("matter", ""))
            if name and name not in served:
                served.append(name)
        if form is not None and needed is not None:
            produced_by = [names.get(c, c) for c in dict.fromkeys(needed["provided_by"].values())]
            from_applicant = bool(needed["asked"])
        else:
            produced_by = list(
                dict.fromkeys(names[s["from_result_of"]] for s in sources if s.get("from_result_of") in names)
            )
            from_applicant = any(s.get("from_result_of") not in names for s in sources)
        if receipt is not None:
            required = receipt.required
        elif needed is not None:
            required = needed["required"]
        else:
            required = False
        rows.append(
            ChecklistRow(
                code=material.code,
                name=material.name,
                required=required and from_applicant,
                matters=served,
                received=receipt.received if receipt is not None else None,
                defect=receipt.defect if receipt is not None else "",
                produced_by=produced_by,
                from_applicant=from_applicant or receipt is not None,
                only_for=served if form is None and needed is None else [],
            )
        )
    # A receipt whose material the version no longer lists (it cannot happen: the application keeps its version),
    # shown rather than lost.
    known = {row.code for row in rows}
    for receipt in receipts or []:
        if receipt.code not in known:
            rows.append(
                ChecklistRow(receipt.code, receipt.name, receipt.required, [], receipt.received, receipt.defect)
            )
    return rows


def _outcome(part: PackagePart) -> str:
    application = part.application
    if part.state == PartState.CANCELLED:
        return part.reason or str(PartState.CANCELLED.label)
    if application is None:
        return ""
    if application.status in (Status.DENIED, Status.REFUSED) or (
        application.status == Status.CLOSED and application.decision_reason
    ):
        return application.decision_reason or ""
    if application.status in (Status.APPROVED, Status.CLOSED):
        return _("Approved")
    return ""


def part_rows(
    package_application: PackageApplication,
    parts: list[PackagePart],
    *,
    link_to: Callable[[Any], str] | None = None,
    can_urge: bool = False,
) -> list[PartRow]:
    """One row per part: a started part shows its application's status and deadline; a waiting part the parts it
    waits for; a cancelled part the reason (which part it needed). `link_to(application)`: the address of the part's
    own page for this viewer, "" where they may not open it."""
    names = {p.matter.code: p.matter.name for p in parts}
    waiting_on = {p.item.matter.code: list(p.item.depends_on or []) for p in parts}
    decided = {p.matter.code for p in parts if p.application is not None and p.application.decided_at is not None}
    now = timezone.now()
    rows = []
    for part in parts:
        application = part.application
        code = part.matter.code
        unit = application.primary_unit if application is not None else None
        unit = unit or part.matter.unit
        row = PartRow(
            matter_code=code,
            matter_name=part.matter.name,
            unit_name=unit.name if unit is not None else "",
            status=part.state,
            status_label=str(PartState(part.state).label) if part.state in PartState.values else part.state,
            outcome=_outcome(part),
        )
        if application is not None:
            row.status = application.status
            row.status_label = str(dict(StatusChoices.choices).get(application.status, application.status))
            row.due_at = application.due_at
            row.number = application.number
            row.overdue = bool(
                application.is_overdue or (application.is_open and application.due_at and application.due_at < now)
            )
            if application.decided_at is not None:
                # After a decision `due_at` is the delivery's deadline; the part is judged by its decision's.
                row.decided_at = application.decided_at
                row.due_at = application.decision_due_at
                row.decided_in_time = (
                    application.decision_due_at is None or application.decided_at <= application.decision_due_at
                )
                row.overdue = not row.decided_in_time
            if link_to is not None:
                row.link = link_to(application)
            row.can_urge = (
                can_urge
                and application.is_open
                and application.status
                in (
                    Status.HANDLING,
                    Status.SUSPENDED,
                )
            )
        elif part.state == PartState.WAITING:
            # Only what is still undecided: a part it needs that is already approved no longer holds it up.
            row.waits_for = [names[c] for c in waiting_on.get(code, []) if c in names and c not in decided]
            if row.waits_for:
                row.outcome = _("Starts when %(parts)s is approved.") % {"parts": "、".join(row.waits_for)}
        rows.append(row)
    return rows


@dataclass
class ChartBar:
    label: str
    status: str
    x: float  # percent of the chart's width where the part started
    width: float  # percent of the width it ran (to its decision, or to now)
    due_x: float | None  # percent where its own deadline falls
    late: bool


@dataclass
class PartsChart:
    """The parts on one time axis from the package's acceptance, against the promised total (`limit_x`)."""

    bars: list[ChartBar]
    limit_x: float | None
    height: int


CHART_ROW = 26


def package_deadline(package_application: PackageApplication) -> datetime | None:
    """The promised total's deadline: `due_at` until every part is decided, then the one kept at the decision
    (`due_at` is the delivery's from there on)."""
    if package_application.decided_at is not None:
        return package_application.decision_due_at
    return package_application.due_at


def parts_chart(package_application: PackageApplication, parts: list[PackagePart]) -> PartsChart | None:
    """Where each started part stands against the package's promised total: a bar from the part's acceptance to its
    decision (or to now), a tick at its own deadline, a line at the package's. None before acceptance."""
    start = package_application.accepted_at
    if start is None:
        return None
    now = timezone.now()
    spans = []
    for part in parts:
        application = part.application
        if application is None:
            continue
        begin = application.accepted_at or application.created_at
        end = application.decided_at or (now if application.is_open else application.closed_at) or now
        # A decided part is measured against its decision's deadline, not the delivery's its `due_at` became.
        due = application.decision_due_at if application.decided_at is not None else application.due_at
        spans.append((part.matter.name, application.status, begin, end, due))
    moments: list[datetime] = [now, *(s[3] for s in spans), *(s[4] for s in spans if s[4] is not None)]
    limit_at = package_deadline(package_application)
    if limit_at is not None:
        moments.append(limit_at)
    total = max((m - start).total_seconds() for m in moments) or 1.0

    def at(moment: datetime) -> float:
        return round(max(0.0, min(100.0, (moment - start).total_seconds() / total * 100)), 2)

    bars = [
        ChartBar(
            label=name,
            status=status,
            x=at(begin),
            width=max(0.5, round(at(end) - at(begin), 2)),
            due_x=at(due) if due is not None else None,
            late=due is not None and end > due,
        )
        for name, status, begin, end, due in spans
    ]
    limit = at(limit_at) if limit_at is not None else None
    return PartsChart(bars=bars, limit_x=limit, height=len(bars) * CHART_ROW + 8)
