"""The demo year (`manage.py seed_review_demo`): the district's 2022 built so that the work review generated from the
records (`govdesk.review`) reproduces every figure of the district's own 2022 review (section 一 of the 2023 report).

Three parts, each added once (a second run finds it and adds nothing):
- the platform's own records of the year: 43 construction projects replayed through the services at the moments of
  2022, then the work orders, applications and package applications written in bulk (`platform.py`) so that they
  add up, with the projects' stages, to the review's 4.79万 citizen matters; the packages of the catalogue in service
  in 2022 dated so (`packages_in_service`);
- the ledgers of the year (`ledger_rows.py`), written through the ledgers' service as each unit reported them, month
  by month (the 36,852 self-built houses too: a township's month of houses is one write, inserted in bulk by it);
- the statistics rebuilt from the cases (`stats_rollup_rebuild`) and one audit event saying what was added.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from govdesk.audit.models import AuditEvent
from govdesk.audit.services import audit_append
from govdesk.common import clock
from govdesk.common.errors import ValidationFailed
from govdesk.ledgers.models import ContractCleanup, IndicatorValue, MajorProject, SelfBuiltHouse
from govdesk.ledgers.services import ledger_definitions_load
from govdesk.org.models import User
from govdesk.projects.models import Project
from govdesk.review.figures import citizen_matter_querysets

from .. import seed
from ..history import Step, replay
from ..people import fake_id_number, fake_mobile
from ..projects import PROJECTS, ProjectExecutor, ProjectPlanner
from .catalogue import packages_date, packages_of_year
from .ledger_rows import SOURCE, LedgerPlan
from .platform import PlatformYear, year_cases

YEAR = 2022
SEED = 2022
# The review's 4.79万件: work orders + applications not part of a package + package applications of the year.
CITIZEN_MATTERS = 47_953
APPLICATIONS = 6_480
PACKAGE_APPLICATIONS = 1_260  # besides the construction projects' stages
MIN_ORDERS = 30_000


Progress = Callable[[str], None]


@dataclass
class YearResult:
    added: dict[str, int] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)


def tz_moment(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.get_default_timezone())


def year_projects(year: int) -> int:
    start, end = tz_moment(year, 1, 1, 0), tz_moment(year + 1, 1, 1, 0)
    return Project.objects.filter(registered_at__gte=start, registered_at__lt=end).count()


def citizen_matters(year: int) -> int:
    """The review's own count (`citizen_matters`), so the bulk part adds exactly what is missing."""
    return sum(rows.count() for rows in citizen_matter_querysets(year).values())


def base_ensure(*, password: str, say: Progress) -> None:
    """The demo district, its accounts and catalogues (`seed_demo`'s first part), when missing. On an empty audit
    trail they are dated before the demo year, so the year's events follow them in time as in the chain."""
    created = seed.demo_categories_ensure()
    if created:
        say(f"categories: loaded {created} from the shipped tree")
    seed.demo_district_ensure()
    seed.demo_dispatch_rules_ensure()
    # The definitions' migration ran before the district's units existed: give the indicators their source units.
    ledger_definitions_load()
    fresh = not AuditEvent.objects.exists()
    with clock.at(tz_moment(YEAR - 1, 12, 1) if fresh else clock.now()):
        seed.demo_accounts_ensure(password=password)
        loaded = (seed.demo_catalogue_ensure(), seed.demo_packages_ensure(), seed.demo_project_types_ensure())
    say("district, accounts and catalogues in place" + (f" (loaded {loaded})" if any(loaded) else ""))


def ledgers_present(year: int) -> int:
    """Rows the demo year's ledgers already hold (written by an earlier run)."""
    return sum(
        model.objects.filter(year=year, source=SOURCE).count()
        for model in (IndicatorValue, MajorProject, ContractCleanup, SelfBuiltHouse)
    )


def history_replay(*, year: int, projects: int, ledgers: bool, say: Progress) -> YearResult:
    """`projects` construction projects registered over `year`, replayed through the projects' and packages'
    services at their moments (`demo/projects.py`), and (with `ledgers`) the units' ledger reports of the year
    (`ledger_rows.py`), in one time order and one transaction."""
    result = YearResult()
    end = tz_moment(year, 12, 28, 18)
    streams: list[tuple[list[Step], Callable[[Step], None]]] = []
    executor: ProjectExecutor | None = None
    if projects:
        names = ("operator", "dispatcher", "supervisor", "citizen", "clerk", "applicant")
        people: dict[str, Any] = {u.username: u for u in User.objects.filter(username__in=names)}
        rng = random.Random(SEED + 3)  # noqa: S311 - demo data, reproducible on purpose
        people["applicant_identity"] = {
            "applicant_name": people["applicant"].display_name.split()[-1],
            "applicant_phone": fake_mobile(rng),
            "applicant_id_number": fake_id_number(rng),
        }
        handlers = seed.handlers_by_unit()
        # 355 days back from the 28th of December: registrations (± 3 days) stay within the year.
        with clock.at(end):
            plans = ProjectPlanner(rng=rng, now=end, days=355, handler_units=set(handlers)).plan_all(projects)
        executor = ProjectExecutor(plans=plans, people=people, handlers=handlers)
        streams.append((executor.steps(end), executor.run_step))
    ledger_plan = LedgerPlan(year=year, seed=SEED + 4)
    if ledgers:
        streams.append((ledger_plan.plan(), ledger_plan.run_step))

    def progress(done: int, total: int) -> None:
        if done % 400 == 0 or done == total:
            say(f"construction projects and ledger reports: {done}/{total} steps replayed")

    with transaction.atomic():
        # On PostgreSQL the planner's statistics are refreshed as the tables fill (one transaction: autovacuum
        # never sees it), as seed_demo's replay does.
        replay(streams, seed._with_statistics(progress))
    if executor is not None:
        result.added["construction projects"] = len(executor.codes)
        result.failures.update(executor.failures)
    for kind, n in ledger_plan.written.items():
        result.added[f"ledger rows ({kind})"] = n
    return result


def platform_write(*, year: int, say: Progress) -> dict[str, int]:
    """The year's work orders, applications and package applications, in bulk, adding up to CITIZEN_MATTERS with
    what the projects' stages already filed."""
    writer = PlatformYear(year=year, seed=SEED, progress=lambda what, done, total: say(f"{what}: {done}/{total}"))
    with transaction.atomic():
        writer.packages_write(PACKAGE_APPLICATIONS, packages_of_year(year))
        writer.applications_write(APPLICATIONS)
        orders = CITIZEN_MATTERS - citizen_matters(year)
        if orders < MIN_ORDERS:
            raise ValidationFailed(
                f"{year} already holds {citizen_matters(year):,} applications and package applications: the demo year "
                f"cannot make {CITIZEN_MATTERS:,} citizen matters of them with a year of work orders. Use a fresh "
                "database (or one seeded by seed_demo only)."
            )
        writer.orders_write(orders)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # the statistics' rebuild reads these tables next
    counts = writer.counts
    return {
        "work orders": counts.orders,
        "applications": counts.applications,
        "package applications": counts.packages,
        "applications of packages' parts": counts.package_parts,
        "timeline events": counts.events,
    }


def review_year_seed(*, password: str, say: Progress) -> YearResult:
    """Build the demo year (see the module doc); what was added and what was already there."""
    base_ensure(password=password, say=say)
    have_projects, have_ledgers = year_projects(YEAR), ledgers_present(YEAR)
    result = history_replay(year=YEAR, projects=0 if have_projects else PROJECTS, ledgers=not have_ledgers, say=say)
    if have_projects:
        result.present["construction projects"] = have_projects
        say(f"construction projects of {YEAR}: {have_projects} already present; none added")
    if have_ledgers:
        result.present["ledger rows"] = have_ledgers
        say(f"ledgers of {YEAR}: {have_ledgers} rows already present; none added")
    dated = packages_date(YEAR, seed=SEED)
    if dated:
        result.added["packages dated in service"] = dated
    cases = year_cases(YEAR)
    if cases["workorder"]:
        result.present.update({f"cases ({kind})": n for kind, n in cases.items()})
        say(f"platform records of {YEAR}: already present; none added")
    else:
        result.added.update(platform_write(year=YEAR, say=say))
    return result


def audit_summary(result: YearResult) -> None:
    if result.added:
        note = ", ".join(f"{k} {v}" for k, v in result.added.items())
        audit_append(action="demo.review_year", object_type="demo", object_id=str(YEAR), note=note[:2000])
