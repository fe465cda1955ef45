"""Replay the service hall's recent package applications (一件事一次办) through the real services.

As `applications.py` does for single applications: each package application gets a plan of steps at moments in the
past (submit at the window or online, one 一次性告知 and the supplement, 不予受理, acceptance with its fan-out, then
each part's unit deciding its own matter: sometimes suspending and resuming, rarely denying; the package's one
delivery; sometimes the applicant's rating). Only the actions people take are planned: a part that waits for another
starts by itself when that one is approved, and the package's status follows its parts (its listener does both), so
the planner only has to put a part's decision after the decisions it waits for. `history.replay` runs these steps with
the work orders' and the hall's in one time order; steps after "now" are not executed, which leaves the most recent
packages open, and a few "showcase" packages of the last days are left in a status worth seeing.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from govdesk.applications import services as applications
from govdesk.cases.models import Case
from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.evaluations import services as evaluations
from govdesk.packages import case_services as packages
from govdesk.packages.catalogue import (
    package_form_clean,
    package_form_validate,
    package_items_needed,
    package_materials_needed,
)
from govdesk.packages.models import Package, PackageItem, PackagePart, PackageVersion

from . import texts
from .applications import FormFiller
from .history import Step, clock_tz
from .people import fake_id_number, fake_mobile, fake_name

# The packages people come for most (by name), with how often; a package missing from the catalogue, or one with a
# matter whose unit has no demo handler to decide it, is left out.
POPULAR = {
    "新生儿出生一件事": 14,
    "开办餐饮店一件事": 10,
    "退休一件事": 8,
    "身后一件事": 8,
    "员工录用一件事": 7,
    "企业开办一件事": 7,
    "个体工商户开办一件事": 6,
    "二手房转移登记及水电气网联动过户一件事": 6,
    "入学一件事": 6,
    "结婚一件事": 5,
    "申领居住证一件事": 5,
    "社会保障卡居民服务一卡通一件事": 4,
    "残疾人服务一件事": 4,
    "企业信息变更一件事": 4,
    "城乡居民参保一件事": 4,
    "失业一件事": 3,
    "开办便利店一件事": 3,
    "企业注销一件事": 3,
    "高校毕业生就业一件事": 3,
    "开办运输企业一件事": 2,
}
# What happens to a package application, with weights; recent ones stop wherever "now" finds them.
FATE_WEIGHTS = {"straight": 60, "correction": 18, "suspension": 8, "deny": 5, "refuse": 4, "stuck": 5}
ONLINE_SHARE = 0.3
# A condition's yes/no answer (a situation only some applicants are in: "want vaccination", "has outdoor sign").
CONDITION_YES = 0.5
RATED_SHARE = 0.5
RATING_LEVEL_WEIGHTS = {5: 62, 4: 26, 3: 12}
# The most recent package applications, each left in a status worth seeing (most recent first).
SHOWCASE = ["submitted", "correction", "waiting", "suspended", "decided", "refused"]
FORM_ATTEMPTS = 5


@dataclass
class PackagePlan:
    index: int
    created: datetime
    version: PackageVersion
    channel: str
    data: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    closes_at: datetime | None = None


@dataclass(frozen=True)
class _Part:
    code: str
    depends_on: tuple[str, ...]
    instant: bool
    limit_days: int


class PackagePlanner:
    """Plans `count` package applications over the last `days` days, of the popular packages every part of which a
    demo handler can decide; about half of those delivered are rated by their applicants, unless not `rated`."""

    def __init__(
        self, *, rng: random.Random, now: datetime, days: int, handler_units: set[str], rated: bool = True
    ) -> None:
        self.rng = rng
        self.now = now
        self.days = days
        self.rated = rated
        self.filler = FormFiller(rng, now.date())
        self.plans: list[PackagePlan] = []
        self.weights: dict[int, int] = {}
        self.versions: dict[int, PackageVersion] = {}
        self.items: dict[int, list[PackageItem]] = {}
        packages_ = (
            Package.objects.filter(name__in=list(POPULAR), is_active=True, current_version__isnull=False)
            .select_related("current_version", "current_version__lead_unit")
            .order_by("code")
        )
        for package in packages_:
            version = package.current_version
            assert version is not None
            items = list(
                version.items.select_related("matter__current_version__unit", "matter__unit").order_by("order", "id")
            )
            units = {self._item_unit(item) for item in items}
            if not items or not units <= handler_units:
                continue
            self.versions[version.pk] = version
            self.items[version.pk] = items
            self.weights[version.pk] = POPULAR[package.name]

    @staticmethod
    def _is_instant(code: str, items: list[PackageItem]) -> bool:
        version = next((i.matter.current_version for i in items if i.matter.code == code), None)
        return version is None or version.instant

    @staticmethod
    def _item_unit(item: PackageItem) -> str:
        """The unit that decides the part (the matter's current version's); "" when the catalogue names none."""
        version = item.matter.current_version
        unit = version.unit if version is not None else item.matter.unit
        return unit.code if unit is not None else ""

    # --- building blocks -------------------------------------------------------------------------------------

    def _hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def _working_time(self, days: int) -> timedelta:
        """Calendar time for deciding within a promised limit of `days` working days (weekends included)."""
        return timedelta(days=max(days, 1) * 1.4 * self.rng.uniform(0.15, 0.9))

    def _created(self) -> datetime:
        """A moment in the hall's opening hours (9 to 17 h local time) on one of the last `days` days."""
        day = (self.now - timedelta(days=self.rng.uniform(0.1, self.days))).astimezone(clock_tz())
        moment = day.replace(hour=self.rng.randint(9, 16), minute=self.rng.randint(0, 59), second=0, microsecond=0)
        return min(moment, self.now - timedelta(hours=1))

    def _add(self, plan: PackagePlan, at: datetime, action: str, essential: bool = True, **args: Any) -> datetime:
        plan.steps.append(
            Step(at=at, order=plan.index, seq=len(plan.steps), action=action, args=args, essential=essential)
        )
        return at

    def _form(self, version: PackageVersion, address: str) -> dict[str, Any] | None:
        """Answers every needed matter accepts (checked by the package's own rules), or None if none came out."""
        for _attempt in range(FORM_ATTEMPTS):
            answers = self.filler.form(version, address)  # type: ignore[arg-type]  # the same field specs as a matter's
            for spec in version.fields:
                if spec["type"] == "bool" and not spec.get("required"):
                    answers[spec["name"]] = self.rng.random() < CONDITION_YES
            try:
                package_form_validate(version=version, data=answers)
            except ValidationFailed:
                continue
            return answers
        return None

    def _parts(self, version: PackageVersion, form: dict[str, Any]) -> list[_Part]:
        """The parts this form needs (a matter needed in no situation the answers describe is no part)."""
        needed = package_items_needed(version, package_form_clean(version=version, data=form))
        parts = []
        for item in needed:
            matter_version = item.matter.current_version
            assert matter_version is not None
            parts.append(
                _Part(
                    item.matter.code, tuple(item.depends_on), matter_version.instant, matter_version.promised_limit_days
                )
            )
        return parts

    # --- plans -----------------------------------------------------------------------------------------------

    def plan_all(self, count: int) -> list[PackagePlan]:
        if not self.versions:
            return []
        showcase = SHOWCASE if count >= 3 * len(SHOWCASE) else []
        pool, weights = list(self.weights), list(self.weights.values())
        for index in range(count):
            version = self.versions[self.rng.choices(pool, weights=weights)[0]]
            if index < len(showcase):
                self._plan_showcase(version, showcase[index])
            else:
                self._plan(version)
        return self.plans

    def _plan_showcase(self, version: PackageVersion, fate: str) -> None:
        """A package of the last days in a given status now, whatever the random ones came to (steps compressed)."""
        if fate == "waiting":
            # A package with a part that waits for another's result (新生儿出生: 出生登记 waits for the 出生医学证明).
            waiting = [
                pk
                for pk, items in self.items.items()
                if any(not self._is_instant(d, items) for item in items for d in item.depends_on)
            ]
            version = self.versions[waiting[0]] if waiting else version
        planned_fate = {"correction": "correction", "suspended": "suspension", "refused": "refuse"}.get(
            fate, "straight"
        )
        if not self._plan(version, fate=planned_fate, online=fate == "submitted"):
            return
        plan = self.plans[-1]
        stop = {
            "submitted": lambda s: s.action == "submit",
            "correction": lambda s: s.action == "request_correction",
            "waiting": lambda s: s.action == "accept",
            "suspended": lambda s: s.action == "suspend",
            "decided": lambda s: s.action == "deliver",
            "refused": lambda s: s.action == "refuse",
        }[fate]
        cut = next((i for i, step in enumerate(plan.steps) if stop(step)), len(plan.steps) - 1)
        # "decided" stops before the delivery; the others right after the step that leaves them where they are.
        del plan.steps[cut if fate == "decided" else cut + 1 :]
        plan.closes_at = None
        position = len(self.plans) - 1
        plan.created = self.now - timedelta(days=1 + position * 0.4)
        self._compress(plan)

    def _compress(self, plan: PackagePlan) -> None:
        """Move the plan to start at `plan.created`, its offsets scaled so its last step comes before now."""
        start = plan.steps[0].at
        end = self.now - timedelta(minutes=5)
        last = max(step.at for step in plan.steps)
        span = last - start
        factor = min(1.0, (end - plan.created) / span) if span else 1.0
        for step in plan.steps:
            step.at = plan.created + (step.at - start) * factor

    def _plan(self, version: PackageVersion, *, fate: str = "", online: bool | None = None) -> bool:
        rng = self.rng
        address = f"离石区{rng.choice(['滨河北路', '永宁中路', '凤山路', '北川路', '学府街'])}{rng.randint(1, 300)}号"
        form = self._form(version, address)
        if form is None:
            return False
        online = rng.random() < ONLINE_SHARE if online is None else online
        needed = package_materials_needed(version, package_form_clean(version=version, data=form))
        codes = [m["material"].code for m in needed]
        required = [m["material"].code for m in needed if m["required"]]
        parts = self._parts(version, form)
        fate = fate or rng.choices(list(FATE_WEIGHTS), weights=list(FATE_WEIGHTS.values()))[0]
        deciding = [part.code for part in parts if not part.instant]
        if fate in ("suspension", "deny", "stuck") and not deciding:
            fate = "straight"
        if fate == "correction" and not required:
            fate = "straight"
        missing = rng.sample(required, k=min(len(required), rng.choice([1, 1, 2]))) if fate == "correction" else []
        data: dict[str, Any] = {
            "channel": "online" if online else "window",
            "package": version.package.code,
            "applicant_name": fake_name(rng),
            "applicant_phone": fake_mobile(rng),
            "applicant_id_number": fake_id_number(rng),
            "form": form,
            "materials": [c for c in codes if c not in missing],
        }
        plan = PackagePlan(len(self.plans), self._created(), version, data["channel"], data)
        self.plans.append(plan)
        t = self._add(plan, plan.created, "submit")
        if fate == "refuse":
            self._add(plan, t + self._hours(0.1, 0.5), "refuse", reason=rng.choice(texts.REFUSAL_REASONS))
            plan.closes_at = plan.steps[-1].at
            return True
        if fate == "correction":
            received = data["materials"]
            defective = [rng.choice(received)] if received and rng.random() < 0.3 else []
            defects = {code: rng.choice(texts.DEFECTS) for code in defective}
            t = self._add(plan, t + self._hours(0.1, 0.5), "request_correction", defects=defects)
            t = self._add(plan, t + self._hours(20, 120), "supplement", materials=[*missing, *defective])
        # Online packages wait for the clerk's check of the merged checklist; window ones are accepted at the counter.
        accepted = self._add(plan, t + (self._hours(2, 30) if online else self._hours(0.1, 0.6)), "accept")
        special = rng.choice(deciding) if fate in ("suspension", "deny", "stuck") else ""
        decided = self._plan_parts(plan, parts, accepted, fate, special)
        if decided is None:
            return True  # a part still undecided: the package stays open (overdue once its limit passes)
        delivery = "electronic" if online and rng.random() < 0.5 else rng.choice(["window", "window", "post"])
        plan.closes_at = self._add(plan, decided + self._hours(4, 72), "deliver", delivery=delivery)
        if self.rated and rng.random() < RATED_SHARE:
            self._plan_rating(plan, plan.closes_at, online=online)
        return True

    def _plan_parts(
        self, plan: PackagePlan, parts: list[_Part], accepted: datetime, fate: str, special: str
    ) -> datetime | None:
        """Each part's unit deciding it, after the parts it waits for are approved (it starts then). Returns when the
        last part is decided, or None when one never is ("stuck": urged by the lead unit)."""
        rng = self.rng
        # matter code → when it was decided and whether approved; a part whose dependency was not approved never
        # starts (the package cancels it) and is decided when that one was.
        outcome: dict[str, tuple[datetime, bool]] = {}
        stuck = False
        pending = list(parts)
        while pending:
            # The catalogue refuses dependency cycles, and a needed part's dependencies are needed parts.
            part = next(p for p in pending if all(d in outcome for d in p.depends_on))
            pending.remove(part)
            needs = [outcome[d] for d in part.depends_on if d in outcome]
            start = max([accepted, *(at for at, _ok in needs)])
            if not all(ok for _at, ok in needs):
                outcome[part.code] = (start, False)
                continue
            if part.instant:
                outcome[part.code] = (start, True)  # 即办件: approved as it opens
                continue
            handling = self._working_time(part.limit_days)
            t = start
            if part.code == special and fate == "stuck":
                self._add(
                    plan, start + handling * 1.2, "urge", essential=False, matter=part.code, note=texts.URGE_NOTES[0]
                )
                stuck = True
                outcome[part.code] = (start, False)
                continue
            if part.code == special and fate == "suspension":
                kind, reason = rng.choice(texts.SUSPENSION_REASONS)
                paused = self._add(plan, t + handling * 0.3, "suspend", matter=part.code, kind=kind, reason=reason)
                t = self._add(plan, paused + timedelta(days=rng.uniform(2, 10)), "resume", matter=part.code)
                handling *= 0.7
            if part.code == special and fate == "deny":
                t = self._add(plan, t + handling, "deny", matter=part.code, reason=rng.choice(texts.DENIAL_REASONS))
                outcome[part.code] = (t, False)
            else:
                note = rng.choice(texts.APPROVAL_NOTES)
                t = self._add(plan, t + handling, "approve", matter=part.code, note=note)
                outcome[part.code] = (t, True)
        if stuck:
            return None
        return max(at for at, _ok in outcome.values())

    def _plan_rating(self, plan: PackagePlan, closed: datetime, *, online: bool) -> None:
        """The applicant rates the whole package (好差评 of the one result): on their account or the rating link when
        they applied online, at the counter's pad or the link when at the window."""
        rng = self.rng
        channel = rng.choice(["web", "link"]) if online else rng.choice(["pad", "pad", "link"])
        level = rng.choices(list(RATING_LEVEL_WEIGHTS), weights=list(RATING_LEVEL_WEIGHTS.values()))[0]
        comments = texts.GOOD_COMMENTS if level >= 4 else texts.FAIR_COMMENTS
        minutes = rng.uniform(5, 120) if channel == "pad" else rng.uniform(30, 2880)
        at = closed + timedelta(minutes=minutes)
        self._add(plan, at, "rate", essential=False, level=level, comment=rng.choice(comments), channel=channel)


def part_decide(step: Step, package_number: str, handlers: dict[str, Any]) -> None:
    """A part's unit acting on it (suspend, resume, approve, deny: `step.args["matter"]` names the part), as the
    unit's handler; the part must have started (its application opened when the parts it needs were approved)."""
    part = (
        PackagePart.objects.filter(package_application__number=package_number, matter__code=step.args["matter"])
        .select_related("application__primary_unit")
        .first()
    )
    if part is None or part.application is None or part.application.primary_unit is None:
        raise ApplicationError(f"the part {step.args['matter']} of {package_number} has not started")
    number, a = part.application.number, step.args
    handler = handlers.get(part.application.primary_unit.code)
    if step.action == "suspend":
        applications.application_suspend(application=number, actor=handler, reason=a["reason"], kind=a["kind"])
    elif step.action == "resume":
        applications.application_resume(application=number, actor=handler)
    elif step.action == "approve":
        applications.application_approve(application=number, actor=handler, note=a["note"])
    elif step.action == "deny":
        applications.application_deny(application=number, actor=handler, reason=a["reason"])
    else:  # pragma: no cover - a planner bug
        raise ValueError(step.action)


class PackageExecutor:
    """Runs package steps as the right person: the window clerk or the applicant (online) at intake, the clerk at
    acceptance and delivery, each part's unit's handler deciding it, the lead unit's handler urging a part."""

    def __init__(self, *, plans: list[PackagePlan], people: dict[str, Any], handlers: dict[str, Any]) -> None:
        self.plans = plans
        self.people = people
        self.handlers = handlers
        self.numbers: dict[int, str] = {}
        self.dead: set[int] = set()
        self.failures: Counter[str] = Counter()

    def steps(self, now: datetime) -> list[Step]:
        return [step for plan in self.plans for step in plan.steps if step.at <= now]

    def run_step(self, step: Step) -> None:
        """One step at the current (replayed) time; a refused essential step stops the rest of its plan."""
        if step.order in self.dead:
            return
        try:
            self._run(step)
        except ApplicationError as exc:
            self.failures[f"package {step.action}: {exc.message}"] += 1
            if step.essential:
                self.dead.add(step.order)

    def _run(self, step: Step) -> None:
        plan = self.plans[step.order]
        clerk, a = self.people["clerk"], step.args
        online = plan.channel == "online"
        number = self.numbers.get(step.order, "")
        if step.action == "submit":
            data = dict(plan.data)
            if online:
                # Filed on the applicant's own account: their name, phone and ID number.
                data.update(self.people["applicant_identity"])
            actor = self.people["applicant"] if online else clerk
            self.numbers[step.order] = packages.package_submit(actor=actor, data=data).number
        elif step.action == "request_correction":
            packages.package_request_correction(package_application=number, actor=clerk, defects=a["defects"])
        elif step.action == "supplement":
            actor = self.people["applicant"] if online else clerk
            packages.package_supplement(package_application=number, actor=actor, materials=a["materials"])
        elif step.action == "refuse":
            packages.package_refuse(package_application=number, actor=clerk, reason=a["reason"])
        elif step.action == "accept":
            packages.package_accept(package_application=number, actor=clerk)
        elif step.action == "deliver":
            packages.package_deliver(package_application=number, actor=clerk, delivery=a["delivery"])
        elif step.action == "urge":
            lead = self.handlers.get(plan.version.lead_unit.code)
            packages.package_part_urge(package_application=number, actor=lead, matter=a["matter"], note=a["note"])
        elif step.action == "rate":
            self._rate(number, a, online=online)
        else:
            part_decide(step, number, self.handlers)

    def _rate(self, number: str, a: dict[str, Any], *, online: bool) -> None:
        channel = a["channel"]
        rater: dict[str, Any] = {"channel": channel}
        if channel == "web":
            rater["actor"] = self.people["applicant"]
        elif channel == "pad":
            rater["actor"] = self.people["clerk"]
        else:
            rater["link_token"] = evaluations.evaluation_link_token(Case.objects.get(number=number))
        evaluations.evaluation_create(case=number, level=a["level"], comment=a["comment"], **rater)
