"""Replay a district's recent history of work orders through the real services.

Every order gets a plan: a list of steps (register, dispatch, sign, reply, visit, …) at moments in the past. All
steps of all orders are sorted by time and executed one by one with `clock.at(moment)`, so numbers, deadlines,
timelines and the audit chain come out exactly as if the history had happened. Steps planned after "now" are simply
not executed, which is what leaves recent orders open. A handful of "showcase" orders from the last day are planned
so that every status (and reopened, extended, urged and supervised orders) is present even in a small seed.
`replay` runs these steps and the service hall's (applications and ratings, `applications.py`) in one time order.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from govdesk.catalog.models import Category
from govdesk.catalog.selectors import dispatch_unit_suggest
from govdesk.common import clock
from govdesk.common.errors import ApplicationError
from govdesk.org.models import Unit
from govdesk.workorders import services
from govdesk.workorders.models import Satisfaction

from . import texts
from .district import DISPATCH_RULES, STREETS, Street
from .people import fake_id_number, fake_mobile, fake_name

DATA_DIR = Path(__file__).resolve().parent / "data"
# Completion limits in working days by type (the migration's defaults), used only to plan realistic durations.
LIMIT_DAYS = {"consultation": 2, "help": 10, "complaint": 15, "report": 15, "suggestion": 10, "praise": 10}
TYPE_WEIGHTS = {"complaint": 35, "help": 25, "consultation": 20, "suggestion": 10, "report": 7, "praise": 3}
TYPE_HINTS = [
    (re.compile("举报|违法|违规|偷排|骗"), "report"),
    (re.compile("建议|希望|能否"), "suggestion"),
    (re.compile("咨询|请问|如何|怎么|怎样|是否|多久"), "consultation"),
    (re.compile("投诉|不作为|乱收费|扰民"), "complaint"),
    (re.compile("感谢|表扬|点赞"), "praise"),
]
URGENT_HINT = re.compile("紧急|危险|隐患|停水|停电|漏水|塌|火")
CHANNEL_WEIGHTS = {"phone": 70, "web": 20, "api": 5, "other": 5}


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    label: str


def messages_load() -> list[Message]:
    with gzip.open(DATA_DIR / "messages.csv.gz", "rt", encoding="utf-8") as f:
        return [Message(r["title"], r["body"], r["label"]) for r in csv.DictReader(io.StringIO(f.read()))]


def replies_load() -> list[str]:
    with gzip.open(DATA_DIR / "replies.csv.gz", "rt", encoding="utf-8") as f:
        return [r["reply"] for r in csv.DictReader(io.StringIO(f.read()))]


class LeafPicker:
    """A leaf under the message's level-1 label: the one whose name words occur most in the text, else a random one."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        leaves = Category.objects.filter(is_active=True, children__isnull=True, level=3)
        self.by_root: dict[str, list[Category]] = {}
        for leaf in leaves:
            self.by_root.setdefault(leaf.path.split("/", 1)[0], []).append(leaf)

    @staticmethod
    def _score(leaf: Category, text: str) -> int:
        score = 0
        for name in leaf.path.split("/")[1:]:
            if name in ("其他", "其他污染"):
                continue
            if name in text:
                score += 3 * len(name)
            score += sum(1 for i in range(len(name) - 1) if name[i : i + 2] in text)
        return score

    def pick(self, message: Message) -> Category:
        leaves = self.by_root.get(message.label) or [leaf for group in self.by_root.values() for leaf in group]
        text = message.title + message.title + message.body[:600]
        scored = [(self._score(leaf, text), leaf) for leaf in leaves]
        best = max(score for score, _leaf in scored)
        if best >= 4:
            return self.rng.choice([leaf for score, leaf in scored if score == best])
        return self.rng.choice(leaves)


@dataclass
class Step:
    at: datetime
    order: int
    seq: int
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    # An essential step that fails stops the order's plan; optional ones (notes, urges) are just skipped.
    essential: bool = True


@dataclass
class Plan:
    index: int
    created: datetime
    data: dict[str, Any]
    street: Street
    kind: str  # flow, answer, cancel, merge
    steps: list[Step] = field(default_factory=list)
    # When the order leaves the open statuses for the first time (closed or cancelled), if it does.
    closes_at: datetime | None = None


class Planner:
    def __init__(self, *, rng: random.Random, now: datetime, days: int) -> None:
        self.rng = rng
        self.now = now
        self.days = days
        self.messages = messages_load()
        self.replies = replies_load()
        self.leaves = LeafPicker(rng)
        self.units = {u.code: u for u in Unit.objects.all()}
        self._unit_cache: dict[tuple[int, str], str] = {}
        self.plans: list[Plan] = []

    # --- building blocks -------------------------------------------------------------------------------------

    def _weighted(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def _address(self, street: Street) -> str:
        place = self.rng.choice(street.places)
        suffix = self.rng.choice(
            [
                f"{self.rng.randint(1, 300)}号",
                f"{self.rng.randint(1, 60)}号院",
                "附近",
                "路口",
                f"{self.rng.choice(street.communities)}{self.rng.randint(1, 30)}号楼",
            ]
        )
        return f"离石区{place}{suffix}"

    def _request_type(self, message: Message) -> str:
        for pattern, code in TYPE_HINTS:
            if pattern.search(message.title) and self.rng.random() < 0.6:
                return code
        return self._weighted(TYPE_WEIGHTS)

    def _unit_for(self, category: Category, street: Street) -> str:
        """The dispatch catalogue's answer for this category at this street (memoised: one query per pair)."""
        key = (category.pk, street.code)
        if key not in self._unit_cache:
            unit = dispatch_unit_suggest(category=category, address=self._address(street))
            self._unit_cache[key] = unit.code if unit is not None else DISPATCH_RULES[0][1]
        return self._unit_cache[key]

    def _other_unit(self, current: str, street: Street) -> str:
        """Where a justified return is re-dispatched: the address's street, or a department for a street's order."""
        if current != street.code:
            return street.code
        return self.rng.choice([code for code in ("LS-ZJ", "LS-CG", "LS-SJ") if code != current])

    def _created(self) -> datetime:
        day = self.now - timedelta(days=self.rng.uniform(0.05, self.days))
        local = day.astimezone(clock_tz())
        if self.rng.random() < 0.8:
            minute = self.rng.randint(8 * 60 + 30, 18 * 60)
        else:
            minute = self.rng.choice([self.rng.randint(7 * 60, 8 * 60 + 29), self.rng.randint(18 * 60, 22 * 60)])
        moment = local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randint(0, 59), microsecond=0)
        return moment if moment < self.now - timedelta(minutes=30) else self.now - timedelta(minutes=30)

    def _intake(self, message: Message, street: Street, *, request_type: str | None = None) -> dict[str, Any]:
        category = self.leaves.pick(message)
        code = request_type or self._request_type(message)
        urgent = self.rng.random() < (0.25 if URGENT_HINT.search(message.title) else 0.03)
        channel = self._weighted(CHANNEL_WEIGHTS)
        data: dict[str, Any] = {
            "channel": channel,
            "request_type": code,
            "category": category,
            "urgency": "urgent" if urgent else "normal",
            "title": message.title,
            "content": message.body,
            "address": self._address(street),
            "citizen_name": fake_name(self.rng),
            "citizen_phone": fake_mobile(self.rng),
            "citizen_id_number": fake_id_number(self.rng) if self.rng.random() < 0.6 else "",
            "confidential": code == "report" and self.rng.random() < 0.4,
        }
        return data

    # --- plans -----------------------------------------------------------------------------------------------

    def plan_all(self, count: int) -> list[Plan]:
        showcase = showcase_fates()
        for index in range(count):
            if index < len(showcase):
                self._plan_showcase(index, showcase[index])
            else:
                self._plan_random(index)
            self.plans[-1].closes_at = _first_close(self.plans[-1])
        return self.plans

    def _new_plan(self, created: datetime, *, request_type: str | None = None, message: Message | None = None) -> Plan:
        index = len(self.plans)
        street = self.rng.choice(STREETS)
        data = self._intake(message or self.rng.choice(self.messages), street, request_type=request_type)
        plan = Plan(index=index, created=created, data=data, street=street, kind="flow")
        self.plans.append(plan)
        return plan

    def _reply(self, plan: Plan) -> str:
        """A reply about this order's own problem; one in ten is a real reply to some other message, so the demo
        shows what the reply check flags."""
        rng = self.rng
        if rng.random() < 0.1:
            return rng.choice(self.replies)
        subject = plan.data["title"].strip("。！？!? ")
        contact = rng.choice(texts.REPLY_CONTACT).format(n=rng.randint(1000000, 9999999))
        return (
            f"您好！关于您反映的“{subject}”问题，{rng.choice(texts.REPLY_VERIFIED)}"
            f"{rng.choice(texts.REPLY_ACTION)}{rng.choice(texts.REPLY_RESULT)}{contact}"
        )

    def _add(self, plan: Plan, at: datetime, action: str, essential: bool = True, **args: Any) -> datetime:
        plan.steps.append(
            Step(at=at, order=plan.index, seq=len(plan.steps), action=action, args=args, essential=essential)
        )
        return at

    def _register(self, plan: Plan) -> None:
        channel = plan.data["channel"]
        who = "operator"
        if channel == "web":
            who = self.rng.choice(["public", "public", "public", "citizen"])
        self._add(plan, plan.created, "register", who=who)

    def _plan_random(self, index: int) -> None:
        plan = self._new_plan(self._created())
        self._register(plan)
        roll = self.rng.random()
        if plan.data["request_type"] == "consultation" and roll < 0.55:
            self._plan_answer(plan)
        elif roll < 0.03:
            self._plan_cancel(plan)
        elif roll < 0.08 and self._plan_merge(plan):
            pass
        else:
            self._plan_flow(plan)

    def _plan_answer(self, plan: Plan) -> None:
        plan.kind = "answer"
        self._add(plan, plan.created + self._minutes(2, 15), "answer", answer=self.rng.choice(texts.DIRECT_ANSWERS))

    def _plan_cancel(self, plan: Plan, *, after_dispatch: bool | None = None) -> None:
        plan.kind = "cancel"
        t = plan.created
        if after_dispatch if after_dispatch is not None else self.rng.random() < 0.5:
            t = self._add(
                plan, t + self._minutes(10, 120), "dispatch", unit=self._unit_for(plan.data["category"], plan.street)
            )
            self._add(plan, t + self._minutes(60, 1800), "cancel", who="dispatcher")
        else:
            self._add(plan, t + self._minutes(10, 60), "cancel", who="operator")

    def _plan_merge(self, plan: Plan, *, master: Plan | None = None) -> bool:
        """A second call about the same problem: merged into an order that is open when the call comes in."""
        merge_at = plan.created + self._minutes(15, 90)
        if master is not None:
            # The duplicate may have come in first; it is merged once the master is registered.
            merge_at = max(merge_at, master.created + self._minutes(5, 30))
        else:
            candidates = [
                p
                for p in self.plans
                if p.kind == "flow"
                and p.created < plan.created
                and (p.closes_at is None or p.closes_at > merge_at)
                and p.created > plan.created - timedelta(days=10)
            ]
            same = [
                p
                for p in candidates
                if p.data["category"].path.split("/")[0] == plan.data["category"].path.split("/")[0]
            ]
            if not candidates:
                return False
            master = self.rng.choice(same or candidates)
        plan.kind = "merge"
        plan.street = master.street
        plan.data.update(
            title=("（重复来电）" + master.data["title"])[:200],
            content=master.data["content"],
            category=master.data["category"],
            address=master.data["address"],
        )
        self._add(plan, merge_at, "merge", master=master.index)
        return True

    def _plan_flow(
        self,
        plan: Plan,
        *,
        returned: bool | None = None,
        late_sign: bool | None = None,
        extension: bool | None = None,
        urge: bool | None = None,
        supervise: bool | None = None,
        unsatisfied: bool | None = None,
        reopen: bool | None = None,
        stop_after: str | None = None,
    ) -> None:
        rng = self.rng

        def chance(forced: bool | None, p: float) -> bool:
            return forced if forced is not None else rng.random() < p

        data = plan.data
        urgent = data["urgency"] == "urgent"
        unit = self._unit_for(data["category"], plan.street)
        co_units = [rng.choice(["LS-CG", "LS-SJ", "LS-ZR"])] if rng.random() < 0.08 else []
        co_units = [c for c in co_units if c != unit]
        t = plan.created + (self._minutes(3, 15) if urgent else self._minutes(10, 240))
        t = self._add(plan, t, "dispatch", unit=unit, co_units=co_units)
        if stop_after == "dispatch":
            return
        if chance(returned, 0.07):
            reason, basis = rng.choice(texts.RETURN_REASONS)
            t = self._add(
                plan,
                t + (self._minutes(3, 15) if urgent else self._minutes(10, 50)),
                "return",
                reason=reason,
                legal_basis=basis,
            )
            if stop_after == "return":
                return
            approve = rng.random() < 0.6
            new_unit = self._other_unit(unit, plan.street) if approve else None
            note = rng.choice(texts.RETURN_APPROVE_NOTES if approve else texts.RETURN_REJECT_NOTES)
            t = self._add(plan, t + self._minutes(20, 300), "review_return", approve=approve, unit=new_unit, note=note)
            unit = new_unit or unit
        if chance(late_sign, 0.05) and not urgent:
            t += timedelta(hours=rng.uniform(20, 60))
        else:
            t += self._minutes(3, 20) if urgent else self._minutes(5, 100)
        sign_at = self._add(plan, t, "sign")
        if stop_after == "sign":
            return
        limit = 1.0 if urgent else LIMIT_DAYS[data["request_type"]] * 1.4
        late = rng.random() < 0.1
        handle = timedelta(days=limit * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.1, 0.85)))
        if urgent:
            handle = timedelta(hours=rng.uniform(2, 20))
        if chance(extension, 0.07) and not urgent and LIMIT_DAYS[data["request_type"]] >= 10:
            asked = self._add(
                plan,
                sign_at + handle * 0.3,
                "request_extension",
                essential=False,
                working_days=rng.choice([5, 7, 10]),
                reason=rng.choice(texts.EXTENSION_REASONS),
            )
            if stop_after == "request_extension":
                return
            approve = rng.random() < 0.8
            # Reviewed within a day, and always before the reply (handle * 0.7 is left until then).
            review_in = min(self._minutes(60, 1200), handle * 0.35)
            self._add(
                plan,
                asked + review_in,
                "review_extension",
                essential=False,
                approve=approve,
                note=texts.EXTENSION_NOTES[0 if approve else 1],
            )
        if rng.random() < 0.25:
            self._add(
                plan,
                sign_at + handle * rng.uniform(0.1, 0.5),
                "note",
                essential=False,
                note=rng.choice(texts.PROCESS_NOTES),
            )
        if chance(urge, 0.15 if not late else 0.6):
            self._add(
                plan,
                sign_at + handle * rng.uniform(0.55, 0.9),
                "urge",
                essential=False,
                note=rng.choice(texts.URGE_NOTES),
            )
        if chance(supervise, 0.06):
            self._add(
                plan,
                sign_at + handle * rng.uniform(0.4, 0.95),
                "supervise",
                essential=False,
                note=rng.choice(texts.SUPERVISE_NOTES),
            )
        t = self._add(plan, sign_at + handle, "reply", reply=self._reply(plan))
        if stop_after == "reply":
            return
        t += self._minutes(120, 2880)
        if chance(unsatisfied, 0.07):
            note = rng.choice(texts.VISIT_NOTES_UNSATISFIED)
            t = self._add(plan, t, "visit", resolved=False, satisfaction=Satisfaction.UNSATISFIED, note=note)
            if stop_after == "visit_unsatisfied":
                return
            t = self._add(plan, t + timedelta(days=rng.uniform(1, 4)), "reply", reply=self._reply(plan))
            t += self._minutes(120, 1440)
        basic = rng.random() < 0.15
        note = rng.choice(texts.VISIT_NOTES_BASIC if basic else texts.VISIT_NOTES_SATISFIED)
        satisfaction = Satisfaction.BASICALLY if basic else Satisfaction.SATISFIED
        t = self._add(plan, t, "visit", resolved=True, satisfaction=satisfaction, note=note)
        if stop_after == "visit":
            return
        if chance(reopen, 0.03):
            self._add(plan, t + timedelta(days=rng.uniform(1, 10)), "reopen", reason=rng.choice(texts.REOPEN_REASONS))
            if stop_after == "reopen":
                return
            t = self._add(plan, t + timedelta(days=rng.uniform(11, 14)), "reply", reply=self._reply(plan))
            self._add(
                plan,
                t + self._minutes(120, 1440),
                "visit",
                resolved=True,
                satisfaction=Satisfaction.SATISFIED,
                note=texts.VISIT_NOTES_SATISFIED[0],
            )

    # --- showcase --------------------------------------------------------------------------------------------

    def _plan_showcase(self, index: int, fate: str) -> None:
        """An order from the last day that is in a given situation now (times compressed to fit)."""
        created = self.now - timedelta(hours=1.5 * (index + 1))
        request_type = "consultation" if fate == "answered" else "complaint"
        plan = self._new_plan(created, request_type=request_type)
        plan.data["urgency"] = "normal"
        self._register(plan)
        if fate == "answered":
            self._plan_answer(plan)
        elif fate == "cancelled":
            self._plan_cancel(plan, after_dispatch=True)
        elif fate == "merged":
            master = next(p for p in self.plans if p.kind == "flow" and p.steps[-1].action == "sign")
            self._plan_merge(plan, master=master)
        elif fate != "new":
            options: dict[str, Any] = {
                "dispatched": {"stop_after": "dispatch", "returned": False},
                "handling": {"stop_after": "sign", "returned": False},
                "returned": {"stop_after": "return", "returned": True},
                "extension": {"stop_after": "request_extension", "returned": False, "extension": True},
                "replied": {"stop_after": "reply", "returned": False, "urge": True, "supervise": True},
                "redo": {"stop_after": "visit_unsatisfied", "returned": False, "unsatisfied": True},
                "closed": {"stop_after": "visit", "returned": True, "unsatisfied": False},
                "reopened": {"stop_after": "reopen", "returned": False, "unsatisfied": False, "reopen": True},
            }[fate]
            self._plan_flow(plan, late_sign=False, **options)
        self._compress(plan)

    def _compress(self, plan: Plan) -> None:
        """Scale the plan's offsets so its last step happens before now (keeping their order and proportions)."""
        end = self.now - timedelta(minutes=5)
        last = max(step.at for step in plan.steps)
        if last <= end:
            return
        factor = (end - plan.created) / (last - plan.created)
        for step in plan.steps:
            step.at = plan.created + (step.at - plan.created) * factor


def _first_close(plan: Plan) -> datetime | None:
    """When the plan first takes the order out of the open statuses (a merge is not a close)."""
    for step in plan.steps:
        closing_visit = step.action == "visit" and step.args["resolved"] and step.args["satisfaction"] != "unsatisfied"
        if step.action in ("answer", "cancel") or closing_visit:
            return step.at
    return None


def showcase_fates() -> list[str]:
    """Most recent first: each leaves one order in a situation worth seeing in the demo."""
    return [
        "new",
        "dispatched",
        "handling",
        "returned",
        "extension",
        "replied",
        "merged",
        "redo",
        "closed",
        "answered",
        "cancelled",
        "reopened",
    ]


def clock_tz() -> Any:
    from django.utils import timezone

    return timezone.get_default_timezone()


class Executor:
    """Runs the planned steps in global time order, each at its moment, as the right person."""

    def __init__(self, *, plans: list[Plan], people: dict[str, Any], handlers: dict[str, Any]) -> None:
        self.plans = plans
        self.people = people
        self.handlers = handlers
        self.numbers: dict[int, str] = {}
        self.current_unit: dict[int, str] = {}
        self.dead: set[int] = set()
        self.failures: Counter[str] = Counter()

    def steps(self, now: datetime) -> list[Step]:
        return sorted(
            (step for plan in self.plans for step in plan.steps if step.at <= now),
            key=lambda s: (s.at, s.order, s.seq),
        )

    def run_step(self, step: Step) -> None:
        """One step at the current (replayed) time; a refused essential step stops the rest of its order's plan."""
        if step.order in self.dead:
            return
        try:
            self._run(step)
        except ApplicationError as exc:
            self.failures[f"{step.action}: {exc.message}"] += 1
            if step.essential:
                self.dead.add(step.order)

    def _handler(self, order: int) -> Any:
        return self.handlers[self.current_unit[order]]

    def _run(self, step: Step) -> None:
        p = self.people
        plan = self.plans[step.order]
        a = step.args
        number = self.numbers.get(step.order, "")
        if step.action == "register":
            who = a["who"]
            actor = None if who == "public" else p[who]
            order = services.workorder_register(
                actor=actor, data=plan.data, citizen_user=p["citizen"] if who == "citizen" else None
            )
            self.numbers[step.order] = order.number
        elif step.action == "dispatch":
            services.workorder_dispatch(
                order=number, actor=p["dispatcher"], unit=a["unit"], co_units=a.get("co_units", [])
            )
            self.current_unit[step.order] = a["unit"]
        elif step.action == "answer":
            services.workorder_answer(order=number, actor=p["operator"], answer=a["answer"])
        elif step.action == "cancel":
            reason = texts.CANCEL_REASONS[step.order % len(texts.CANCEL_REASONS)]
            services.workorder_cancel(order=number, actor=p[a["who"]], reason=reason)
        elif step.action == "merge":
            master = self.numbers.get(a["master"])
            if master is None or a["master"] in self.dead:
                self.failures["merge: master missing"] += 1
                self.dead.add(step.order)
                return
            services.workorder_merge(
                order=number, actor=p["operator"], master=master, note="同一问题重复来电，并单处理。"
            )
        elif step.action == "sign":
            services.workorder_sign(order=number, actor=self._handler(step.order))
        elif step.action == "return":
            services.workorder_return(
                order=number, actor=self._handler(step.order), reason=a["reason"], legal_basis=a["legal_basis"]
            )
        elif step.action == "review_return":
            services.workorder_review_return(
                order=number, actor=p["dispatcher"], approve=a["approve"], unit=a["unit"], note=a["note"]
            )
            if a["approve"]:
                self.current_unit[step.order] = a["unit"]
        elif step.action == "request_extension":
            services.workorder_request_extension(
                order=number, actor=self._handler(step.order), working_days=a["working_days"], reason=a["reason"]
            )
        elif step.action == "review_extension":
            services.workorder_review_extension(
                order=number, actor=p["supervisor"], approve=a["approve"], note=a["note"]
            )
        elif step.action == "note":
            services.workorder_note(order=number, actor=self._handler(step.order), note=a["note"])
        elif step.action == "urge":
            services.workorder_urge(order=number, actor=p["supervisor"], note=a["note"])
        elif step.action == "supervise":
            services.workorder_supervise(order=number, actor=p["supervisor"], note=a["note"])
        elif step.action == "reply":
            services.workorder_reply(order=number, actor=self._handler(step.order), reply=a["reply"])
        elif step.action == "visit":
            services.workorder_visit(
                order=number,
                actor=p["operator"],
                resolved=a["resolved"],
                satisfaction=a["satisfaction"],
                note=a["note"],
            )
        elif step.action == "reopen":
            services.workorder_reopen(order=number, actor=p["dispatcher"], reason=a["reason"])
        else:  # pragma: no cover - a planner bug
            raise ValueError(step.action)


def replay(
    streams: Sequence[tuple[list[Step], Callable[[Step], None]]],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Run the steps of several executors in one time order, each at its moment: (steps, run) per executor, where
    `run` executes one step. Ties keep the streams' order, so a rating planned at the very moment of its close still
    comes after it. Returns how many steps there were."""
    merged = sorted(
        (
            (step.at, rank, step.order, step.seq, step, run)
            for rank, (steps, run) in enumerate(streams)
            for step in steps
        ),
        key=lambda item: item[:4],
    )
    total = len(merged)
    for position, (at, _rank, _order, _seq, step, run) in enumerate(merged, start=1):
        with clock.at(at):
            run(step)
        if progress is not None and (position % 200 == 0 or position == total):
            progress(position, total)
    return total
