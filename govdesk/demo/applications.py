"""Replay the service hall's recent applications (办件) and citizens' ratings (好差评) through the real services.

Like `history.py` for work orders: each application gets a plan of steps (submit, ask for correction, supplement,
accept, suspend, resume, approve or deny, deliver, refuse) at moments in the past, and every rating of a closed work
order or application a plan of its own (rate; for a 差评 the rectification's verification, answer, appeal, the
citizen's rating of it). `history.replay` runs these steps and the work orders' in one time order, so the audit chain
stays in time order and a rating always follows the close it rates. Steps after "now" are not executed, which leaves
the recent applications and rectifications open.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from govdesk.applications import services as applications
from govdesk.cases.models import Case
from govdesk.common.errors import ApplicationError
from govdesk.evaluations import services as evaluations
from govdesk.matters.models import Matter, MatterVersion

from . import texts
from .history import Plan, Step, clock_tz
from .people import fake_id_number, fake_mobile, fake_name

# Which of HallExecutor's plan lists a step belongs to (their indexes overlap).
SOURCE_APPLICATION = "application"
SOURCE_RATING = "rating"
# What happens to an application, with weights; recent ones stop wherever "now" finds them.
FATE_WEIGHTS = {"straight": 58, "correction": 22, "suspension": 8, "deny": 5, "refuse": 4, "stuck": 3}
ONLINE_SHARE = 0.25
RATING_LEVEL_WEIGHTS = {5: 62, 4: 24, 3: 9, 2: 3, 1: 2}
# What becomes of a 差评's rectification (unless "now" comes first).
RECTIFICATION_FATES = {"rated": 45, "answered": 15, "unjustified": 15, "appeal_upheld": 10, "appeal_rejected": 15}
# The most recent applications, in a status worth seeing in the demo (as history.py's showcase orders).
SHOWCASE = ["suspended", "correction", "handling", "approved"]
# Rectifications left open now by the most recent 差评 (whatever the random ones came to).
RECTIFICATION_SHOWCASE = ["verifying", "rectifying", "appealed"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass
class ApplicationPlan:
    index: int
    created: datetime
    version: MatterVersion
    channel: str
    data: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    closes_at: datetime | None = None


@dataclass
class RatingPlan:
    index: int
    target: tuple[str, int]  # ("order" | "application", plan index)
    steps: list[Step] = field(default_factory=list)


def _fake_uscc(rng: random.Random) -> str:
    return "92" + f"{rng.randrange(10**6):06d}" + "".join(rng.choice(USCC_ALPHABET) for _ in range(10))


class FormFiller:
    """Plausible answers for a matter's form fields, valid under the field's rules."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today

    def value(self, spec: dict[str, Any], address: str) -> Any:
        rng, kind, name = self.rng, spec["type"], spec["name"]
        if kind == "bool":
            return True
        if kind == "choice":
            return rng.choice(spec["choices"])
        if kind == "phone":
            return fake_mobile(rng)
        if kind == "id_number":
            return fake_id_number(rng)
        if kind == "date":
            offset = rng.randint(-400, -1) if "birth" in name or "discharge" in name or "retire" in name else 0
            return (self.today + timedelta(days=offset or rng.randint(-30, 30))).isoformat()
        if kind == "number":
            return rng.choice([1, 2, 3, 4]) if "size" in name or "count" in name else rng.randint(1, 300) * 100
        if name == "uscc":
            return _fake_uscc(rng)
        if name == "project_code":
            # 投资项目代码: year, district, industry, approval kind, sequence (a construction matter's form asks it).
            return f"{self.today.year}-141102-47-0{rng.randint(1, 3)}-{rng.randint(1, 999999):06d}"
        if name == "bank_account":
            return "6222" + "".join(rng.choice(string.digits) for _ in range(15))
        if kind == "textarea":
            return "申请人按要求填写，情况属实。"
        if "address" in name or "location" in name or name in ("venue", "property_address"):
            return address
        if "name" in name:
            return fake_name(rng) if "party" in name or "child" in name or "baby" in name else "离石区便民服务有限公司"
        return spec["label"][:10]

    def form(self, version: MatterVersion, address: str) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        for spec in version.fields:
            value = self.value(spec, address)
            limit = spec.get("max_length")
            answers[spec["name"]] = value[:limit] if isinstance(value, str) and limit else value
        return answers


class ApplicationPlanner:
    """Plans `count` applications over the last `days` days, for matters whose unit has a handler to decide them."""

    def __init__(self, *, rng: random.Random, now: datetime, days: int, handler_units: set[str]) -> None:
        self.rng = rng
        self.now = now
        self.days = days
        current = Matter.objects.filter(is_active=True, current_version__isnull=False).values_list(
            "current_version_id", flat=True
        )
        self.versions = [
            v
            for v in MatterVersion.objects.filter(pk__in=list(current))
            .select_related("unit", "matter")
            .prefetch_related("materials")
            .order_by("pk")
            if v.unit.code in handler_units
        ]
        self.filler = FormFiller(rng, now.date())
        self.plans: list[ApplicationPlan] = []

    def _hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def _working_time(self, days: int) -> timedelta:
        """Calendar time for handling within a promised limit of `days` working days (weekends included)."""
        return timedelta(days=max(days, 1) * 1.4 * self.rng.uniform(0.15, 0.9))

    def _created(self) -> datetime:
        """A moment in the hall's opening hours (9 to 17 h local time) on one of the last `days` days."""
        day = (self.now - timedelta(days=self.rng.uniform(0.1, self.days))).astimezone(clock_tz())
        moment = day.replace(hour=self.rng.randint(9, 16), minute=self.rng.randint(0, 59), second=0, microsecond=0)
        return min(moment, self.now - timedelta(hours=1))

    def _add(self, plan: ApplicationPlan, at: datetime, action: str, **args: Any) -> datetime:
        plan.steps.append(Step(at=at, order=plan.index, seq=len(plan.steps), action=action, args=args))
        return at

    def plan_all(self, count: int) -> list[ApplicationPlan]:
        if not self.versions:
            return []
        instant = [v for v in self.versions if v.instant]
        regular = [v for v in self.versions if not v.instant]
        showcase = SHOWCASE if regular and count >= 2 * len(SHOWCASE) else []
        for index in range(count):
            if index < len(showcase):
                self._plan_showcase(index, self.rng.choice(regular), showcase[index])
                continue
            # About a quarter are 即办件, decided on the spot.
            pool = instant if instant and (self.rng.random() < 0.25 or not regular) else regular
            self._plan(index, self.rng.choice(pool))
        return self.plans

    def _plan_showcase(self, index: int, version: MatterVersion, fate: str) -> None:
        """An application of the last days left in a given status now, whatever the random ones came to."""
        self._plan(index, version, fate="correction" if fate == "correction" else "straight", online=False)
        plan = self.plans[-1]
        plan.created, plan.closes_at = self.now - timedelta(days=1 + index * 0.5), None
        del plan.steps[1:]
        plan.steps[0].at = plan.created
        t = plan.created + self._hours(0.1, 0.3)
        if fate == "correction":
            self._add(plan, t, "request_correction", defects={})
            return
        self._add(plan, t, "accept")
        if fate == "suspended":
            kind, reason = self.rng.choice(texts.SUSPENSION_REASONS)
            self._add(plan, t + self._hours(2, 6), "suspend", kind=kind, reason=reason)
        elif fate == "approved":
            self._add(plan, t + self._hours(2, 6), "approve", note=texts.APPROVAL_NOTES[0])

    def _plan(self, index: int, version: MatterVersion, *, fate: str = "", online: bool | None = None) -> None:
        rng = self.rng
        online = rng.random() < ONLINE_SHARE if online is None else online
        materials = [m.code for m in version.materials.all()]
        required = [m.code for m in version.materials.all() if m.required]
        fate = fate or rng.choices(list(FATE_WEIGHTS), weights=list(FATE_WEIGHTS.values()))[0]
        if version.instant and fate in ("suspension", "deny"):
            fate = "straight"
        missing = rng.sample(required, k=min(len(required), rng.choice([1, 1, 2]))) if fate == "correction" else []
        address = f"离石区{rng.choice(['滨河北路', '永宁中路', '凤山路', '北川路', '学府街'])}{rng.randint(1, 300)}号"
        data: dict[str, Any] = {
            "channel": "online" if online else "window",
            "applicant_name": fake_name(rng),
            "applicant_phone": fake_mobile(rng),
            "applicant_id_number": fake_id_number(rng),
            "form": self.filler.form(version, address),
            "materials": [c for c in materials if c not in missing],
        }
        plan = ApplicationPlan(index, self._created(), version, data["channel"], data)
        self.plans.append(plan)
        t = self._add(plan, plan.created, "submit")
        if fate == "refuse":
            self._add(plan, t + self._hours(0.1, 0.5), "refuse", reason=rng.choice(texts.REFUSAL_REASONS))
            plan.closes_at = plan.steps[-1].at
            return
        if fate == "correction":
            defects = {} if rng.random() < 0.7 or not data["materials"] else {rng.choice(data["materials"]): ""}
            defects = {code: rng.choice(texts.DEFECTS) for code in defects}
            t = self._add(plan, t + self._hours(0.1, 0.5), "request_correction", defects=defects)
            t = self._add(plan, t + self._hours(20, 120), "supplement", materials=[*missing, *defects])
        # Online applications wait for the clerk's check; window ones are accepted at the counter.
        t = self._add(plan, t + (self._hours(2, 30) if online else self._hours(0.1, 0.6)), "accept")
        if fate == "stuck":
            return  # a handler who has not decided yet (overdue once its limit passes)
        if version.instant:
            t = self._add(plan, t + self._hours(0.05, 2), "deliver", delivery="window")
            plan.closes_at = t
            return
        handling = self._working_time(version.promised_limit_days)
        if fate == "suspension":
            kind, reason = rng.choice(texts.SUSPENSION_REASONS)
            paused = self._add(plan, t + handling * 0.3, "suspend", kind=kind, reason=reason)
            t = self._add(plan, paused + timedelta(days=rng.uniform(2, 12)), "resume")
            handling *= 0.7
        if fate == "deny":
            t = self._add(plan, t + handling, "deny", reason=rng.choice(texts.DENIAL_REASONS))
        else:
            t = self._add(plan, t + handling, "approve", note=rng.choice(texts.APPROVAL_NOTES))
        delivery = "electronic" if online and rng.random() < 0.5 else rng.choice(["window", "window", "post"])
        plan.closes_at = self._add(plan, t + self._hours(4, 72), "deliver", delivery=delivery)


class RatingPlanner:
    """~`count` ratings of work orders and applications that close in the window, with their rectifications."""

    def __init__(self, *, rng: random.Random, now: datetime, days: int) -> None:
        self.rng = rng
        self.now = now
        self.since = now - timedelta(days=days)
        self.plans: list[RatingPlan] = []

    def plan_all(self, *, count: int, orders: list[Plan], applications: list[ApplicationPlan]) -> list[RatingPlan]:
        rng = self.rng
        app_targets = [p for p in applications if p.closes_at is not None and p.closes_at < self.now]
        order_targets = [
            p for p in orders if p.closes_at is not None and self.since < p.closes_at < self.now and p.kind != "cancel"
        ]
        # About two in three closed applications are rated; work orders make up the rest.
        chosen_apps = rng.sample(app_targets, k=min(len(app_targets), round(count * 0.3), len(app_targets) * 2 // 3))
        chosen_orders = rng.sample(order_targets, k=min(len(order_targets), max(count - len(chosen_apps), 0)))
        for plan in chosen_orders:
            assert plan.closes_at is not None
            # A direct answer has no unit to rectify a bad rating: those get at worst a 3.
            registrar = plan.steps[0].args.get("who") if plan.steps and plan.steps[0].action == "register" else None
            channel = "web" if registrar == "citizen" else rng.choice(["link", "link", "pad"])
            self._plan(("order", plan.index), plan.closes_at, channel, can_be_bad=plan.kind == "flow")
        # The latest rated applications get 差评 whose rectifications are still open now, one per open status.
        latest = sorted(chosen_apps, key=lambda app: app.closes_at or self.now, reverse=True)
        showcase = dict(zip((app.index for app in latest), RECTIFICATION_SHOWCASE, strict=False))
        for app in chosen_apps:
            assert app.closes_at is not None
            channel = rng.choice(["web", "link"]) if app.channel == "online" else rng.choice(["pad", "pad", "link"])
            target = ("application", app.index)
            self._plan(target, app.closes_at, channel, can_be_bad=True, showcase=showcase.get(app.index, ""))
        return self.plans

    def _plan_showcase(self, plan: RatingPlan, closed: datetime, channel: str, fate: str) -> None:
        """A 差评 between the close and now whose rectification is in status `fate` now (steps compressed to fit)."""
        at = closed + (self.now - closed) * 0.2
        self._add(
            plan,
            at,
            "rate",
            level=1 + len(self.plans) % 2,
            comment=self.rng.choice(texts.BAD_COMMENTS),
            channel=channel,
        )
        later = at + (self.now - at) * 0.5
        if fate == "rectifying":
            self._add(plan, later, "verify", justified=True)
        elif fate == "appealed":
            self._add(plan, later, "appeal", reason=texts.APPEAL_REASONS[0])

    def _plan(
        self, target: tuple[str, int], closed: datetime, channel: str, *, can_be_bad: bool, showcase: str = ""
    ) -> None:
        rng = self.rng
        plan = RatingPlan(index=len(self.plans), target=target)
        self.plans.append(plan)
        if showcase:
            self._plan_showcase(plan, closed, channel, showcase)
            return
        level = rng.choices(list(RATING_LEVEL_WEIGHTS), weights=list(RATING_LEVEL_WEIGHTS.values()))[0]
        if level <= 2 and not can_be_bad:
            level = 3
        comments = texts.GOOD_COMMENTS if level >= 4 else texts.FAIR_COMMENTS if level == 3 else texts.BAD_COMMENTS
        minutes = rng.uniform(5, 600) if channel == "pad" else rng.uniform(30, 2880)
        at = closed + timedelta(minutes=minutes)
        t = self._add(plan, at, "rate", level=level, comment=rng.choice(comments), channel=channel)
        if level > 2:
            return
        fate = rng.choices(list(RECTIFICATION_FATES), weights=list(RECTIFICATION_FATES.values()))[0]
        if fate == "appeal_upheld" or fate == "appeal_rejected":
            t = self._add(plan, t + timedelta(hours=rng.uniform(2, 20)), "appeal", reason=texts.APPEAL_REASONS[0])
            t = self._add(
                plan, t + timedelta(hours=rng.uniform(4, 30)), "decide_appeal", upheld=fate == "appeal_upheld"
            )
            if fate == "appeal_upheld":
                return
        justified = fate != "unjustified"
        t = self._add(plan, t + timedelta(hours=rng.uniform(2, 30)), "verify", justified=justified)
        if not justified:
            return
        t = self._add(
            plan, t + timedelta(days=rng.uniform(0.5, 5)), "answer", answer=rng.choice(texts.RECTIFICATION_ANSWERS)
        )
        if fate != "answered":
            self._add(
                plan, t + timedelta(days=rng.uniform(0.3, 3)), "rate_rectification", level=rng.choice([3, 4, 4, 5])
            )

    def _add(self, plan: RatingPlan, at: datetime, action: str, **args: Any) -> datetime:
        plan.steps.append(Step(at=at, order=plan.index, seq=len(plan.steps), action=action, args=args))
        return at


class HallExecutor:
    """Runs application and rating steps as the right person: the window clerk, the applicant, the unit's handler,
    the supervisor, the operator at the phone pad, or a citizen's rating link."""

    def __init__(
        self,
        *,
        applications: list[ApplicationPlan],
        ratings: list[RatingPlan],
        people: dict[str, Any],
        handlers: dict[str, Any],
        order_numbers: dict[int, str],
    ) -> None:
        self.applications = applications
        self.ratings = ratings
        self.people = people
        self.handlers = handlers
        self.order_numbers = order_numbers
        self.numbers: dict[int, str] = {}
        self.rectifications: dict[int, str] = {}
        self.dead: set[tuple[str, int]] = set()
        self.failures: Counter[str] = Counter()

    def application_steps(self, now: datetime) -> list[Step]:
        return [step for plan in self.applications for step in plan.steps if step.at <= now]

    def rating_steps(self, now: datetime) -> list[Step]:
        return [step for plan in self.ratings for step in plan.steps if step.at <= now]

    def run_step(self, source: str, step: Step) -> None:
        key = (source, step.order)
        if key in self.dead:
            return
        try:
            if source == SOURCE_APPLICATION:
                self._application(step)
            else:
                self._rating(step)
        except ApplicationError as exc:
            self.failures[f"{source} {step.action}: {exc.message}"] += 1
            self.dead.add(key)

    def _application(self, step: Step) -> None:
        plan = self.applications[step.order]
        clerk, a = self.people["clerk"], step.args
        number = self.numbers.get(step.order, "")
        handler = self.handlers.get(plan.version.unit.code)
        if step.action == "submit":
            actor = self.people["applicant"] if plan.channel == "online" else clerk
            data = dict(plan.data, matter=plan.version.matter.code)
            if plan.channel == "online":
                # Filed on the applicant's own account: their name, phone and ID number.
                data.update(self.people["applicant_identity"])
            self.numbers[step.order] = applications.application_submit(actor=actor, data=data).number
        elif step.action == "request_correction":
            applications.application_request_correction(application=number, actor=clerk, defects=a["defects"])
        elif step.action == "supplement":
            actor = self.people["applicant"] if plan.channel == "online" else clerk
            applications.application_supplement(application=number, actor=actor, materials=a["materials"])
        elif step.action == "accept":
            applications.application_accept(application=number, actor=clerk)
        elif step.action == "refuse":
            applications.application_refuse(application=number, actor=clerk, reason=a["reason"])
        elif step.action == "suspend":
            applications.application_suspend(application=number, actor=handler, reason=a["reason"], kind=a["kind"])
        elif step.action == "resume":
            applications.application_resume(application=number, actor=handler)
        elif step.action == "approve":
            applications.application_approve(application=number, actor=handler, note=a["note"])
        elif step.action == "deny":
            applications.application_deny(application=number, actor=handler, reason=a["reason"])
        elif step.action == "deliver":
            applications.application_deliver(application=number, actor=clerk, delivery=a["delivery"])
        else:  # pragma: no cover - a planner bug
            raise ValueError(step.action)

    def _rated_number(self, plan: RatingPlan) -> str | None:
        kind, index = plan.target
        return (self.order_numbers if kind == "order" else self.numbers).get(index)

    def _rating(self, step: Step) -> None:
        plan = self.ratings[step.order]
        a, p = step.args, self.people
        number = self._rated_number(plan)
        if number is None:
            self.failures["rating: the rated case was never created"] += 1
            self.dead.add((SOURCE_RATING, step.order))
            return
        if step.action == "rate":
            evaluation = evaluations.evaluation_create(
                case=number, level=a["level"], comment=a["comment"], **self._rater(plan, a["channel"], number)
            )
            rectification = getattr(evaluation, "rectification", None) if evaluation.is_bad else None
            if rectification is not None:
                self.rectifications[step.order] = rectification.number
            return
        rectification_number = self.rectifications[step.order]
        if step.action == "verify":
            note = "" if a["justified"] else texts.UNJUSTIFIED_NOTES[0]
            evaluations.rectification_verify(
                number=rectification_number, actor=p["supervisor"], justified=a["justified"], note=note
            )
        elif step.action == "decide_appeal":
            evaluations.rectification_decide_appeal(
                number=rectification_number, actor=p["supervisor"], upheld=a["upheld"]
            )
        elif step.action in ("answer", "appeal"):
            unit = Case.objects.filter(number=rectification_number).values_list("primary_unit__code", flat=True).get()
            handler = self.handlers.get(unit or "")
            if step.action == "answer":
                evaluations.rectification_answer(number=rectification_number, actor=handler, answer=a["answer"])
            else:
                evaluations.rectification_appeal(number=rectification_number, actor=handler, reason=a["reason"])
        elif step.action == "rate_rectification":
            token = evaluations.evaluation_link_token(Case.objects.get(number=number))
            evaluations.evaluation_create(case=rectification_number, level=a["level"], channel="link", link_token=token)
        else:  # pragma: no cover - a planner bug
            raise ValueError(step.action)

    def _rater(self, plan: RatingPlan, channel: str, number: str) -> dict[str, Any]:
        """Who rates through `channel`: the citizen's own account (web), the signed link sent to them, or the
        operator (a phone rating) or window clerk (the counter pad) recording it."""
        order = plan.target[0] == "order"
        if channel == "web":
            return {"channel": channel, "actor": self.people["citizen" if order else "applicant"]}
        if channel == "pad":
            return {"channel": channel, "actor": self.people["operator" if order else "clerk"]}
        token = evaluations.evaluation_link_token(Case.objects.get(number=number))
        return {"channel": channel, "link_token": token}
