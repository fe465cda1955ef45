"""Demo data, only ever on request (`manage.py seed_demo`): the district, its catalogue, accounts and history."""

from __future__ import annotations

import binascii
import json
import random
import secrets
from base64 import b32decode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from govdesk.audit.services import audit_append
from govdesk.catalog.models import Category, DispatchRule
from govdesk.catalog.services import category_tree_import
from govdesk.common import clock
from govdesk.common.errors import ValidationFailed
from govdesk.evaluations.models import Evaluation
from govdesk.matters.models import Matter
from govdesk.matters.transfer import matters_import
from govdesk.org.models import Role, Unit, UnitKind, User
from govdesk.org.services import STAFF_ROLES, role_groups_sync
from govdesk.packages.models import Package
from govdesk.packages.transfer import packages_import
from govdesk.projects.flows import project_types_import
from govdesk.projects.models import ProjectType
from govdesk.security.selectors import twofactor_required

from .applications import SOURCE_APPLICATION, SOURCE_RATING, ApplicationPlanner, HallExecutor, RatingPlanner
from .district import CENTRE, DEPARTMENTS, DISPATCH_RULES, GOVERNMENT, SERVICE_HALL, STREETS
from .history import Executor, Planner, replay
from .packages import PackageExecutor, PackagePlan, PackagePlanner
from .people import fake_id_number, fake_mobile
from .projects import PROJECT_DAYS, ProjectExecutor, ProjectPlanner
from .selectors import demo_accounts_wanted

DEMO_TOTP_DEVICE = "demo"
CATEGORIES_CSV = Path(__file__).resolve().parents[1] / "catalog" / "data" / "categories.csv"
DEMO_CATALOGUE = Path(__file__).resolve().parents[1] / "matters" / "data" / "demo_catalogue.json"
DEMO_PACKAGES = Path(__file__).resolve().parents[1] / "packages" / "data" / "demo_packages.json"
DEMO_PROJECT_TYPES = Path(__file__).resolve().parents[1] / "projects" / "data" / "project_types.json"


def demo_categories_ensure() -> int:
    """Load the shipped category tree when the database has none; returns how many were created."""
    if Category.objects.exists():
        return 0
    return category_tree_import(text=CATEGORIES_CSV.read_text(encoding="utf-8-sig"), commit=True).created


@transaction.atomic
def demo_district_ensure() -> dict[str, Unit]:
    """Create or update the demo district's units (idempotent, matched by code)."""

    def put(code: str, name: str, kind: str, parent: Unit | None, order: int, **extra: Any) -> Unit:
        unit, _created = Unit.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "parent": parent, "sort_order": order, **extra}
        )
        return unit

    gov = put(*GOVERNMENT, UnitKind.GOVERNMENT, None, 0, accepts_orders=False)
    put(*CENTRE, UnitKind.HOTLINE_CENTRE, gov, 1, accepts_orders=False)
    for order, (code, name) in enumerate(DEPARTMENTS, start=10):
        put(code, name, UnitKind.DEPARTMENT, gov, order)
    for order, street in enumerate(STREETS, start=100):
        parent = put(street.code, street.name, UnitKind.STREET, gov, order, place_names="\n".join(street.places))
        for number, community in enumerate(street.communities, start=1):
            put(f"{street.code}-{number:02d}", community, UnitKind.COMMUNITY, parent, order * 10 + number)
    # Added only if missing: the matter catalogue may already have placed the hall (its windows, its matters).
    Unit.objects.get_or_create(
        code=SERVICE_HALL[0],
        defaults={
            "name": SERVICE_HALL[1],
            "kind": UnitKind.DEPARTMENT,
            "parent": gov,
            "sort_order": 2,
            "accepts_orders": False,
        },
    )
    return {u.code: u for u in Unit.objects.all()}


@transaction.atomic
def demo_dispatch_rules_ensure() -> int:
    categories = {c.path: c for c in Category.objects.filter(path__in=[path for path, _u, _b in DISPATCH_RULES])}
    units = {u.code: u for u in Unit.objects.all()}
    count = 0
    for path, code, by_place in DISPATCH_RULES:
        category = categories.get(path)
        if category is None:  # a deployment's own tree may lack a branch the demo expects
            continue
        DispatchRule.objects.update_or_create(category=category, defaults={"unit": units[code], "by_place": by_place})
        count += 1
    return count


def demo_password(password_file: Path, env_value: str | None) -> str:
    """GOVDESK_DEMO_PASSWORD when set; otherwise the one generated on the first run (kept in var/, mode 600)."""
    if env_value:
        return env_value
    if password_file.exists():
        stored = password_file.read_text().strip()
        if stored:
            return stored
    # Four character classes, 20 characters: passes the platform's own password policy.
    generated = f"Gd-{secrets.token_urlsafe(12)}-7x"
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.write_text(generated + "\n")
    password_file.chmod(0o600)
    return generated


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    unit: str
    name: str


@transaction.atomic
def demo_accounts_ensure(*, password: str) -> list[DemoAccount]:
    """One account per role (plus a handler for every unit that takes orders), all with `password`.

    The password is hashed once and shared, because hashing it per account would cost seconds (PBKDF2).
    Creating an account is audited like any other; updating a demo account only resets its password and roles.
    """
    role_groups_sync()
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValidationFailed("GOVDESK_DEMO_PASSWORD: " + " ".join(exc.messages)) from None
    encoded = make_password(password)
    groups = {g.name: g for g in Group.objects.all()}
    units = {u.code: u for u in Unit.objects.all()}
    result = []
    for wanted in demo_accounts_wanted():
        username, role, unit_code, name = wanted.username, wanted.role, wanted.unit_code, wanted.name
        unit = units.get(unit_code) if unit_code else None
        user = User.objects.filter(username=username).first()
        created = user is None
        if user is None:
            user = User(username=username)
        user.unit, user.display_name, user.password = unit, name, encoded
        user.is_staff, user.is_superuser, user.is_active = role in STAFF_ROLES, False, True
        user.password_changed_at = clock.now()
        user.save()
        user.groups.set([groups[role]])
        if created:
            audit_append(action="account.create", object_type="user", object_id=username, note=role)
        result.append(DemoAccount(username, role, unit.name if unit else "", name))
    return result


def demo_totp_key(secret: str) -> str:
    """GOVDESK_DEMO_TOTP_SECRET (base32, as authenticator apps take it) as the hex key django-otp stores."""
    cleaned = "".join(secret.split()).upper().rstrip("=")
    try:
        raw = b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (binascii.Error, ValueError):
        raise ValidationFailed("GOVDESK_DEMO_TOTP_SECRET: not a base32 string (letters A-Z and digits 2-7).") from None
    if not 10 <= len(raw) <= 40:
        raise ValidationFailed("GOVDESK_DEMO_TOTP_SECRET: use 16 to 64 base32 characters (80 to 320 bits).")
    return raw.hex()


@transaction.atomic
def demo_totp_ensure(*, secret: str, usernames: list[str]) -> list[str]:
    """Give each of these demo accounts whose role needs two-factor login `secret` as its confirmed authenticator,
    so a demo can log in as the administrators with a code from an app set up once. Returns those accounts."""
    key = demo_totp_key(secret)
    done = []
    for user in User.objects.filter(username__in=usernames).order_by("username"):
        if not twofactor_required(user):
            continue
        device = TOTPDevice.objects.filter(user=user, name=DEMO_TOTP_DEVICE).first()
        others = TOTPDevice.objects.filter(user=user)
        (others.exclude(pk=device.pk) if device is not None else others).delete()
        if device is not None and device.key == key and device.confirmed:
            done.append(user.username)
            continue
        if device is None:
            device = TOTPDevice(user=user, name=DEMO_TOTP_DEVICE)
        device.key, device.confirmed, device.last_t, device.drift = key, True, -1, 0
        device.save()
        audit_append(
            action="twofactor.enrol", object_type="user", object_id=user.username, note="GOVDESK_DEMO_TOTP_SECRET"
        )
        done.append(user.username)
    return done


def handlers_by_unit() -> dict[str, User]:
    """The first handler of each unit, to act for it in the replayed history."""
    found: dict[str, User] = {}
    for user in (
        User.objects.filter(groups__name=Role.HANDLER.value, unit__isnull=False).select_related("unit").order_by("id")
    ):
        assert user.unit is not None
        found.setdefault(user.unit.code, user)
    return found


def demo_catalogue_ensure() -> int:
    """Load the shipped matter catalogue when the database has no matters; returns how many were created.

    The demo's applications need it before their history is replayed (`make run` imports it again afterwards, which
    changes nothing while the file is unchanged)."""
    if Matter.objects.exists():
        return 0
    result = matters_import(content=DEMO_CATALOGUE.read_bytes(), filename=DEMO_CATALOGUE.name, commit=True)
    if result.errors:
        raise ValidationFailed(f"{DEMO_CATALOGUE.name}: {result.errors[0]}")
    return result.created


def demo_packages_ensure() -> int:
    """Load the shipped packages (一件事) when the database has none; returns how many were created.

    They bundle matters of the shipped catalogue, so the catalogue is imported first (unchanged matters write
    nothing; a database seeded before the packages came gets the matters they added)."""
    if Package.objects.exists():
        return 0
    matters = matters_import(content=DEMO_CATALOGUE.read_bytes(), filename=DEMO_CATALOGUE.name, commit=True)
    if matters.errors:
        raise ValidationFailed(f"{DEMO_CATALOGUE.name}: {matters.errors[0]}")
    result = packages_import(content=DEMO_PACKAGES.read_bytes(), filename=DEMO_PACKAGES.name, commit=True)
    if result.errors:
        raise ValidationFailed(f"{DEMO_PACKAGES.name}: {result.errors[0]}")
    return result.created


def demo_project_types_ensure() -> int:
    """Load the shipped construction project types when the database has none; returns how many were created.

    Their stages are packages of the shipped catalogue, so matters and packages are imported first when one of those
    packages is missing (a database seeded before the project types came gets the matters and packages they added);
    on a fresh database `demo_packages_ensure` has just imported them, and checking them all again takes half a
    minute."""
    if ProjectType.objects.exists():
        return 0
    flows = json.loads(DEMO_PROJECT_TYPES.read_text(encoding="utf-8")).get("project_types", [])
    codes = {stage.get("package") for flow in flows for stage in flow.get("stages", [])}
    have = Package.objects.filter(code__in=codes, current_version__isnull=False).count()
    imports = ((DEMO_CATALOGUE, matters_import), (DEMO_PACKAGES, packages_import)) if have < len(codes) else ()
    for path, load in imports:
        loaded = load(content=path.read_bytes(), filename=path.name, commit=True)
        if loaded.errors:
            raise ValidationFailed(f"{path.name}: {loaded.errors[0]}")
    result = project_types_import(
        content=DEMO_PROJECT_TYPES.read_bytes(), filename=DEMO_PROJECT_TYPES.name, commit=True
    )
    if result.errors:
        raise ValidationFailed(f"{DEMO_PROJECT_TYPES.name}: {result.errors[0]}")
    return result.created


@dataclass(frozen=True)
class OrdersResult:
    orders: int
    steps: int
    failures: dict[str, int]
    applications: int = 0
    ratings: int = 0
    rectifications: int = 0
    packages: int = 0
    projects: int = 0


# Applications and ratings cover the last 60 days: the service hall's part of the history is younger.
APPLICATION_DAYS = 60


def demo_orders_create(
    *,
    count: int,
    days: int,
    seed: int,
    applications: int = 0,
    ratings: int = 0,
    packages: int = 0,
    projects: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> OrdersResult:
    """Plan `count` orders over the last `days` days, `applications` applications, `packages` package applications
    (一件事) and about `ratings` ratings (of closed orders and applications; with ratings, about half of the delivered
    packages are rated too) over the last 60, and replay them all through the services in one time order, in one
    transaction. Applications need the matter catalogue (`demo_catalogue_ensure`), packages theirs
    (`demo_packages_ensure`). `projects` construction projects are registered over the last year (PROJECT_DAYS) and
    taken through their stages (they need the project types: `demo_project_types_ensure`)."""
    now = clock.now()
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    planner = Planner(rng=rng, now=now, days=days)
    plans = planner.plan_all(count)
    names = ("operator", "dispatcher", "supervisor", "citizen", "clerk", "applicant")
    people: dict[str, Any] = {u.username: u for u in User.objects.filter(username__in=names)}
    handlers = handlers_by_unit()
    executor = Executor(plans=plans, people=people, handlers=handlers)
    # Their own random stream: adding applications leaves the work orders' history as it was.
    hall_rng = random.Random(seed + 1)  # noqa: S311
    window = min(days, APPLICATION_DAYS)
    app_plans = (
        ApplicationPlanner(rng=hall_rng, now=now, days=window, handler_units=set(handlers)).plan_all(applications)
        if applications
        else []
    )
    rating_plans = (
        RatingPlanner(rng=hall_rng, now=now, days=window).plan_all(count=ratings, orders=plans, applications=app_plans)
        if ratings
        else []
    )
    applicant = people.get("applicant")
    if applicant is not None:
        # Online applications are filed on the applicant's own account, under one identity.
        people["applicant_identity"] = {
            "applicant_name": applicant.display_name.split()[-1],
            "applicant_phone": fake_mobile(hall_rng),
            "applicant_id_number": fake_id_number(hall_rng),
        }
    hall = HallExecutor(
        applications=app_plans, ratings=rating_plans, people=people, handlers=handlers, order_numbers=executor.numbers
    )
    # Their own random stream too: adding packages leaves the applications' history as it was.
    package_rng = random.Random(seed + 2)  # noqa: S311
    package_plans: list[PackagePlan] = []
    if packages:
        package_planner = PackagePlanner(
            rng=package_rng, now=now, days=window, handler_units=set(handlers), rated=ratings > 0
        )
        package_plans = package_planner.plan_all(packages)
    package_executor = PackageExecutor(plans=package_plans, people=people, handlers=handlers)
    project_plans = (
        ProjectPlanner(
            rng=random.Random(seed + 3),  # noqa: S311
            now=now,
            days=PROJECT_DAYS,
            handler_units=set(handlers),
        ).plan_all(projects)
        if projects
        else []
    )
    project_executor = ProjectExecutor(plans=project_plans, people=people, handlers=handlers)
    # Work orders first at equal moments: a rating planned at the instant of its order's close comes after it.
    streams = [
        (executor.steps(now), executor.run_step),
        (hall.application_steps(now), lambda step: hall.run_step(SOURCE_APPLICATION, step)),
        (hall.rating_steps(now), lambda step: hall.run_step(SOURCE_RATING, step)),
        (package_executor.steps(now), package_executor.run_step),
        (project_executor.steps(now), project_executor.run_step),
    ]
    # One transaction: SQLite commits once instead of per step, and an interrupted seed leaves nothing behind.
    with transaction.atomic():
        steps = replay(streams, _with_statistics(progress))
    return OrdersResult(
        orders=len(executor.numbers),
        steps=steps,
        failures=dict(executor.failures + hall.failures + package_executor.failures + project_executor.failures),
        applications=len(hall.numbers),
        packages=len(package_executor.numbers),
        projects=len(project_executor.codes),
        ratings=Evaluation.objects.count(),
        rectifications=len(hall.rectifications),
    )


# How often (in replayed steps) PostgreSQL's planner statistics are refreshed during the replay.
ANALYZE_EVERY = 1000
FIRST_ANALYZE = 200  # early too: a caller's transaction (a test's) may hold the catalogue and accounts as well


def _with_statistics(progress: Callable[[int, int], None] | None) -> Callable[[int, int], None] | None:
    """`progress`, plus an ANALYZE every ANALYZE_EVERY steps on PostgreSQL: the whole history is written in one
    transaction, which autovacuum never sees, so without it the planner keeps planning for the empty tables it
    started with and the package and project queries slow to seconds each as the tables fill."""
    if connection.vendor != "postgresql":
        return progress

    def step(done: int, total: int) -> None:
        if done % ANALYZE_EVERY == 0 or done == FIRST_ANALYZE:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        if progress is not None:
            progress(done, total)

    return step


def history_start(days: int) -> datetime:
    return clock.now() - timedelta(days=days + 1)
