"""The platform's own records of the demo year: a year of 12345 work orders, applications and package applications
(一件事), written in bulk (a year of history through the services would take hours), shaped like a real year.

Seasons: the heating season (January, November, December) and the autumn outbreak (October, November) bring more
calls; the Spring Festival (February) and the National Day week fewer applications; weekends are quiet at the hall.
Every case of the year is finished by now: work orders closed after their reply and return visit (a few answered on
the call, merged into an earlier order or cancelled), applications delivered (a few refused or denied), package
applications delivered with one application per bundled matter. Numbers, deadlines (working days of the calendar),
units (the dispatch catalogue), assignments and timelines are as the services write them; personal data is
encrypted by the models' fields; the statistics are rebuilt afterwards (`stats_rollup_rebuild`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from govdesk.applications.models import Application
from govdesk.applications.services import NUMBER_PREFIX as APPLICATION_PREFIX
from govdesk.calendar.core import deadline_add, deadline_add_working_days
from govdesk.calendar.selectors import calendar_get
from govdesk.cases.models import Case, CaseEvent, CaseKind, CaseUnit
from govdesk.catalog.models import Category, RequestType
from govdesk.catalog.selectors import time_limit_policy_for
from govdesk.matters.models import Matter, MatterVersion
from govdesk.org.models import Unit
from govdesk.packages.case_services import NUMBER_PREFIX as PACKAGE_PREFIX
from govdesk.packages.models import Package, PackageApplication, PackageItem, PackagePart, PackageVersion
from govdesk.workorders.models import Satisfaction, WorkOrder

from .. import texts
from ..applications import FormFiller
from ..district import STREETS, Street
from ..history import CHANNEL_WEIGHTS, Message, Planner
from ..people import fake_id_number, fake_mobile, fake_name
from .bulk import Numbers, assignments_for, cases_insert, event, plain_insert

# Share of each month in the year's calls and in the hall's applications (see the module doc).
ORDER_MONTHS = (9.6, 7.2, 8.0, 7.4, 7.6, 8.1, 8.9, 8.7, 8.0, 9.3, 10.4, 9.8)
HALL_MONTHS = (8.6, 5.6, 9.4, 8.7, 8.9, 9.1, 8.6, 8.5, 8.8, 6.9, 7.4, 9.5)
CONSULTATION_ANSWERED = 0.55
CANCELLED = 0.012
MERGED = 0.045
SATISFACTION = {Satisfaction.SATISFIED: 84, Satisfaction.BASICALLY: 11, Satisfaction.UNSATISFIED: 5}
REFUSED = 0.015
DENIED = 0.01
WINDOW_SHARE = 0.7


def split(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, whole numbers that add up (largest remainders)."""
    raw = [total * w / sum(weights) for w in weights]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: total - sum(out)]:
        out[i] += 1
    return out


def _days_of(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    return [first + timedelta(days=n) for n in range(31) if (first + timedelta(days=n)).month == month]


def moments(
    rng: random.Random, year: int, months: Sequence[float], total: int, *, weekend: float, hours: tuple[int, int]
) -> list[datetime]:
    """`total` local moments of `year`, by month share, weekends weighted `weekend`, mostly within `hours`."""
    tz = timezone.get_default_timezone()
    out: list[datetime] = []
    for month, count in enumerate(split(total, months), start=1):
        days = _days_of(year, month)
        weights = [weekend if d.weekday() >= 5 else 1.0 for d in days]
        for day in rng.choices(days, weights=weights, k=count):
            low, high = hours if rng.random() < 0.85 else (7, 22)
            minute = rng.randint(low * 60, high * 60 - 1)
            out.append(datetime.combine(day, time(minute // 60, minute % 60, rng.randint(0, 59)), tzinfo=tz))
    out.sort()
    return out


@dataclass
class PlatformCounts:
    orders: int = 0
    applications: int = 0
    packages: int = 0
    package_parts: int = 0
    events: int = 0


class PlatformYear:
    """Builds and writes the year's cases; `progress(what, done, total)` is told after each batch."""

    def __init__(self, *, year: int, seed: int, progress: Callable[[str, int, int], None]) -> None:
        self.year = year
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
        self.progress = progress
        self.cal = calendar_get()
        self.counts = PlatformCounts()
        self.year_end = datetime(year, 12, 31, 23, 59, tzinfo=timezone.get_default_timezone())

    # --- work orders ----------------------------------------------------------------------------------------

    def orders_write(self, count: int) -> None:
        rng = self.rng
        planner = Planner(rng=rng, now=self.year_end, days=365)
        types = {t.code: t for t in RequestType.objects.all()}
        categories: dict[int, Category] = {}
        picked: dict[int, int] = {}
        policies: dict[tuple[int, str, int], Any] = {}
        numbers = Numbers(prefix="", counter="workorder")
        created = moments(rng, self.year, ORDER_MONTHS, count, weekend=0.55, hours=(8, 18))
        done = 0
        for start in range(0, count, 4000):
            orders: list[WorkOrder] = []
            for at in created[start : start + 4000]:
                index = rng.randrange(len(planner.messages))
                message: Message = planner.messages[index]
                if index not in picked:
                    category = planner.leaves.pick(message)
                    categories[category.pk] = category
                    picked[index] = category.pk
                category = categories[picked[index]]
                street = rng.choice(STREETS)
                request_type = types[planner._request_type(message)]
                orders.append(
                    self._order(planner, message, category, street, request_type, at, numbers, policies, orders)
                )
            cases_insert(WorkOrder, orders)
            plain_insert(CaseUnit, assignments_for([o for o in orders if o.dispatched_at is not None]))
            self._events_write([e for o in orders for e in self._order_events(o)])
            done += len(orders)
            self.progress("work orders", done, count)
        numbers.save()
        self.counts.orders += count

    def _order(
        self,
        planner: Planner,
        message: Message,
        category: Category,
        street: Street,
        request_type: RequestType,
        at: datetime,
        numbers: Numbers,
        policies: dict[tuple[int, str, int], Any],
        batch: list[WorkOrder],
    ) -> WorkOrder:
        rng = self.rng
        urgent = rng.random() < 0.03
        urgency = "urgent" if urgent else "normal"
        key = (request_type.pk, urgency, category.pk)
        if key not in policies:
            policies[key] = time_limit_policy_for(request_type=request_type, urgency=urgency, category=category)
        policy = policies[key]
        sign_due = deadline_add(at, float(policy.sign_amount), policy.sign_unit, self.cal).due_at
        due = deadline_add(at, float(policy.finish_amount), policy.finish_unit, self.cal).due_at
        unit_code = planner._unit_for(category, street)
        order = WorkOrder(
            kind=CaseKind.WORKORDER,
            number=numbers.next(at),
            title=message.title[:200],
            created_at=at,
            sign_due_at=sign_due,
            due_at=due,
            is_open=False,
            channel=rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0],
            request_type=request_type,
            category=category,
            urgency=urgency,
            content=message.body[:4000],
            address=planner._address(street),
            citizen_name=fake_name(rng),
            citizen_phone=fake_mobile(rng),
            citizen_id_number=fake_id_number(rng) if rng.random() < 0.6 else "",
            confidential=request_type.code == "report" and rng.random() < 0.4,
        )
        roll = rng.random()
        if request_type.code == "consultation" and roll < CONSULTATION_ANSWERED:
            order.status, order.answer = "closed", rng.choice(texts.DIRECT_ANSWERS)
            order.closed_at = at + timedelta(minutes=rng.uniform(2, 15))
        elif roll < CANCELLED:
            order.status, order.closed_at = "cancelled", at + timedelta(minutes=rng.uniform(10, 60))
        elif roll < CANCELLED + MERGED and batch:
            master = rng.choice(batch[-50:])
            order.master = master if master.master_id is None and master.dispatched_at else None
        if order.status:
            assert order.closed_at is not None
            order.updated_at = order.closed_at
            return order
        self._order_flow(order, planner, unit_code)
        return order

    def _order_flow(self, order: WorkOrder, planner: Planner, unit_code: str) -> None:
        rng = self.rng
        master = order.master
        if master is not None:
            order.status, order.primary_unit_id = "closed", master.primary_unit_id
            order.closed_at = max(master.closed_at or order.created_at, order.created_at + timedelta(hours=1))
            order.updated_at = order.closed_at
            return
        at = order.created_at
        order.primary_unit_id = planner.units[unit_code].pk
        order.dispatched_at = at + timedelta(minutes=rng.uniform(10, 150))
        late_sign = rng.random() < 0.04
        # A limit already passed at dispatch (an order registered at night) still takes some time to sign and reply.
        sign_limit = max((order.sign_due_at or at) - order.dispatched_at, timedelta(hours=1))
        order.signed_at = order.dispatched_at + sign_limit * (
            rng.uniform(1.1, 2.0) if late_sign else rng.uniform(0.1, 0.8)
        )
        late = rng.random() < 0.06
        span = max((order.due_at or at) - order.signed_at, timedelta(hours=2))
        order.replied_at = order.signed_at + span * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.15, 0.9))
        subject = order.title.strip("。！？!? ")
        order.reply = (
            f"您好！关于您反映的“{subject}”问题，{rng.choice(texts.REPLY_VERIFIED)}"
            f"{rng.choice(texts.REPLY_ACTION)}{rng.choice(texts.REPLY_RESULT)}"
        )
        order.visited_at = order.replied_at + timedelta(hours=rng.uniform(4, 60))
        order.visit_satisfaction = rng.choices(list(SATISFACTION), weights=list(SATISFACTION.values()))[0]
        order.visit_resolved = order.visit_satisfaction != Satisfaction.UNSATISFIED or rng.random() < 0.3
        order.status, order.closed_at, order.updated_at = "closed", order.visited_at, order.visited_at

    @staticmethod
    def _order_events(order: WorkOrder) -> list[CaseEvent]:
        out = [event(order, order.created_at, "register", "", "new")]
        assert order.closed_at is not None
        if order.answer:
            out.append(event(order, order.closed_at, "answer", "new", "closed", note=order.answer))
        elif order.status == "cancelled":
            out.append(event(order, order.closed_at, "cancel", "new", "cancelled", note="市民来电撤销诉求。"))
        elif order.master is not None:
            merged = order.created_at + timedelta(minutes=20)
            out.append(event(order, merged, "merge", "new", "merged", master=order.master.number))
            out.append(event(order, order.closed_at, "close-with-master", "merged", "closed"))
        else:
            assert order.dispatched_at and order.signed_at and order.replied_at and order.visited_at
            unit = order.primary_unit_id
            out += [
                event(order, order.dispatched_at, "dispatch", "new", "dispatched", is_public=False, unit=unit),
                event(order, order.signed_at, "sign", "dispatched", "handling", actor_unit_id=unit),
                event(order, order.replied_at, "reply", "handling", "replied", actor_unit_id=unit, note=order.reply),
                event(order, order.visited_at, "visit", "replied", "closed", satisfaction=order.visit_satisfaction),
            ]
        return out

    def _events_write(self, events: list[CaseEvent]) -> None:
        plain_insert(CaseEvent, events)
        self.counts.events += len(events)

    # --- applications ---------------------------------------------------------------------------------------

    def _versions(self) -> list[MatterVersion]:
        current = Matter.objects.filter(is_active=True, current_version__isnull=False).values_list(
            "current_version_id", flat=True
        )
        return list(MatterVersion.objects.filter(pk__in=list(current)).select_related("unit").order_by("pk"))

    def _application(
        self, version: MatterVersion, at: datetime, numbers: Numbers, applicant: dict[str, Any], *, part: bool
    ) -> Application:
        rng = self.rng
        filler = FormFiller(rng, at.date())
        street = rng.choice(STREETS)
        app = Application(
            kind=CaseKind.APPLICATION,
            number=numbers.next(at),
            title=version.name[:200],
            primary_unit_id=version.unit_id,
            created_at=at,
            is_open=False,  # by the year's end each is refused or delivered (below)
            matter_id=version.matter_id,
            matter_version=version,
            form=filler.form(version, f"离石区{rng.choice(street.places)}{rng.randint(1, 300)}号"),
            **applicant,
        )
        roll = 1.0 if part else rng.random()
        if roll < REFUSED:
            app.status, app.closed_at = "refused", at + timedelta(minutes=rng.uniform(15, 90))
            app.decision_reason = "申请事项不属于本机关职权范围，请向有关机关申请。"
            app.updated_at = app.closed_at
            return app
        app.accepted_at = at + timedelta(minutes=rng.uniform(5, 40))
        limit = max(version.promised_limit_days, 1)
        app.decision_due_at = deadline_add_working_days(app.accepted_at, limit, self.cal).due_at
        if version.instant:
            app.decided_at = app.accepted_at
        else:
            app.decided_at = app.accepted_at + (app.decision_due_at - app.accepted_at) * rng.uniform(0.2, 0.95)
        denied = roll < REFUSED + DENIED
        app.decision_reason = "经审查，申请材料反映的情况不符合法定条件。" if denied else ""
        app.delivery = rng.choice(["window", "window", "post", "electronic"])
        app.delivered_at = app.decided_at + timedelta(hours=rng.uniform(0.2, 72))
        app.due_at = deadline_add_working_days(app.decided_at, 10, self.cal).due_at
        app.status, app.closed_at, app.updated_at = "closed", app.delivered_at, app.delivered_at
        app.dispatched_at = app.accepted_at
        return app

    @staticmethod
    def _application_events(app: Application) -> list[CaseEvent]:
        out = [event(app, app.created_at, "submit", "", "submitted")]
        if app.status == "refused":
            assert app.closed_at is not None
            return [*out, event(app, app.closed_at, "refuse", "submitted", "refused", note=app.decision_reason)]
        assert app.accepted_at and app.decided_at and app.delivered_at
        decision = "denied" if app.decision_reason else "approved"
        return [
            *out,
            event(app, app.accepted_at, "accept", "submitted", "handling", actor_unit_id=app.primary_unit_id),
            event(app, app.decided_at, "deny" if app.decision_reason else "approve", "handling", decision),
            event(app, app.delivered_at, "deliver", decision, "closed", delivery=app.delivery),
        ]

    def _applicant(self) -> dict[str, Any]:
        rng = self.rng
        return {
            "channel": "window" if rng.random() < WINDOW_SHARE else "online",
            "applicant_name": fake_name(rng),
            "applicant_phone": fake_mobile(rng),
            "applicant_id_number": fake_id_number(rng),
        }

    def applications_write(self, count: int) -> None:
        rng = self.rng
        versions = self._versions()
        # Some matters are asked for far more than others (a few dozen make most of a hall's work).
        weights = [rng.paretovariate(1.2) for _ in versions]
        numbers = Numbers(prefix=APPLICATION_PREFIX, counter="application")
        created = moments(rng, self.year, HALL_MONTHS, count, weekend=0.04, hours=(9, 17))
        apps = [
            self._application(version, at, numbers, self._applicant(), part=False)
            for version, at in zip(rng.choices(versions, weights=weights, k=count), created, strict=True)
        ]
        self._applications_insert(apps)
        numbers.save()
        self.counts.applications += count
        self.progress("applications", count, count)

    def _applications_insert(self, apps: list[Application]) -> None:
        for start in range(0, len(apps), 4000):
            chunk = apps[start : start + 4000]
            cases_insert(Application, chunk)
            plain_insert(CaseUnit, assignments_for(chunk))
            self._events_write([e for a in chunk for e in self._application_events(a)])

    # --- package applications ------------------------------------------------------------------------------

    def packages_write(self, count: int, packages: Sequence[Package]) -> None:
        """`count` package applications of `packages` (each at least once), each with one application per bundled
        matter that is always needed (its parts, decided by their own units)."""
        rng = self.rng
        versions = {
            v.pk: v
            for v in PackageVersion.objects.filter(pk__in=[p.current_version_id for p in packages]).select_related(
                "lead_unit"
            )
        }
        items: dict[int, list[PackageItem]] = {}
        for item in PackageItem.objects.filter(version__in=list(versions)).select_related("matter").order_by("order"):
            if not item.condition:
                items.setdefault(item.version_id, []).append(item)
        matter_versions = {
            v.matter_id: v
            for v in MatterVersion.objects.filter(
                pk__in=[i.matter.current_version_id for group in items.values() for i in group]
            )
        }
        chosen = list(packages) + rng.choices(list(packages), k=max(0, count - len(packages)))
        created = moments(rng, self.year, HALL_MONTHS, len(chosen), weekend=0.04, hours=(9, 17))
        rng.shuffle(chosen)
        numbers = Numbers(prefix=PACKAGE_PREFIX, counter="package")
        part_numbers = Numbers(prefix=APPLICATION_PREFIX, counter="application")
        pkg_apps: list[PackageApplication] = []
        parts: list[tuple[PackageApplication, PackageItem, Application]] = []
        for package, at in zip(chosen, created, strict=True):
            version = versions[package.current_version_id or 0]
            applicant = self._applicant()
            pkg = PackageApplication(
                kind=CaseKind.PACKAGE,
                number=numbers.next(at),
                title=version.name[:200],
                primary_unit_id=version.lead_unit_id,
                created_at=at,
                is_open=False,  # delivered (below)
                package=package,
                package_version=version,
                **applicant,
            )
            pkg.accepted_at = at + timedelta(minutes=rng.uniform(10, 45))
            limit = max(version.promised_limit_days, 1)
            pkg.decision_due_at = deadline_add_working_days(pkg.accepted_at, limit, self.cal).due_at
            decided = pkg.accepted_at
            for item in items.get(version.pk, []):
                mv = matter_versions.get(item.matter_id)
                if mv is None:
                    continue
                part = self._application(mv, pkg.accepted_at, part_numbers, applicant, part=True)
                assert part.decided_at is not None
                if part.decided_at > pkg.decision_due_at:
                    part.decided_at = pkg.decision_due_at - timedelta(minutes=rng.uniform(5, 600))
                    part.delivered_at = part.closed_at = part.updated_at = part.decided_at + timedelta(hours=1)
                decided = max(decided, part.decided_at)
                parts.append((pkg, item, part))
            pkg.decided_at = decided
            pkg.delivered_at = decided + timedelta(hours=rng.uniform(1, 48))
            pkg.delivery = rng.choice(["window", "post", "electronic"])
            pkg.due_at = deadline_add_working_days(decided, 10, self.cal).due_at
            pkg.status, pkg.closed_at, pkg.updated_at = "closed", pkg.delivered_at, pkg.delivered_at
            pkg.dispatched_at = pkg.accepted_at
            pkg_apps.append(pkg)
        cases_insert(PackageApplication, pkg_apps)
        plain_insert(CaseUnit, assignments_for(pkg_apps))
        self._events_write([e for p in pkg_apps for e in self._package_events(p)])
        self._applications_insert([a for _p, _i, a in parts])
        plain_insert(
            PackagePart,
            [
                PackagePart(
                    package_application_id=pkg.pk,
                    item=item,
                    matter_id=item.matter_id,
                    application_id=app.pk,
                    state="started",
                    order=item.order,
                )
                for pkg, item, app in parts
            ],
        )
        numbers.save()
        part_numbers.save()
        self.counts.packages += len(pkg_apps)
        self.counts.package_parts += len(parts)
        self.progress("package applications", len(pkg_apps), len(pkg_apps))

    @staticmethod
    def _package_events(pkg: PackageApplication) -> list[CaseEvent]:
        assert pkg.accepted_at and pkg.decided_at and pkg.delivered_at
        return [
            event(pkg, pkg.created_at, "submit", "", "submitted"),
            event(pkg, pkg.accepted_at, "accept", "submitted", "handling"),
            event(pkg, pkg.decided_at, "decide", "handling", "decided"),
            event(pkg, pkg.delivered_at, "deliver", "decided", "closed", delivery=pkg.delivery),
        ]


def year_cases(year: int) -> dict[str, int]:
    """How many cases of each kind were created in `year` (what the platform part has written, and what was there)."""
    tz = timezone.get_default_timezone()
    start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    found = Case.objects.filter(created_at__gte=start, created_at__lt=end)
    return {kind: found.filter(kind=kind).count() for kind in (CaseKind.WORKORDER, CaseKind.APPLICATION, "package")}


def unit_codes() -> dict[int, str]:
    return dict(Unit.objects.values_list("pk", "code"))
