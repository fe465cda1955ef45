"""Replay a year of the district's construction projects (工程建设项目) through the real services.

43 projects of every type, registered over the last year: each gets a plan of steps at moments in the past, as the
work orders, applications and packages do (`history.py`, `applications.py`, `packages.py`): registration, then per
stage of its type's flow the application (form and the materials not handed in before: the project's documents are
reused), sometimes a correction and the supplement, acceptance by the window, each part decided by its own unit's
handler (a 告知承诺 part is approved on commitment at acceptance, a 即办件 as it opens: nobody plans those), the joint
acceptance scheduled by the stage's lead unit and inspected by its units, and the delivery. A stage opens when the
one before is done (or with it, where the flow says so), so each stage is planned after the decisions it waits for.

Steps after "now" are not executed: the older projects are completed, the younger ones stand at every stage. A few are
made to show what the portfolio must show: two stages not passed and applied for again (one of them a joint
acceptance), one not passed just now, and a few slow stages whose projects are at risk.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from govdesk.common.errors import ApplicationError, ValidationFailed
from govdesk.matters.models import MatterVersion
from govdesk.packages import case_services as packages
from govdesk.packages.catalogue import package_form_clean, package_form_validate, package_materials_needed
from govdesk.packages.models import PackageVersion
from govdesk.projects import services as projects
from govdesk.projects.models import FlowStage, Project, ProjectType

from . import texts
from .applications import FormFiller, _fake_uscc
from .district import STREETS
from .history import Step
from .packages import part_decide
from .people import fake_id_number, fake_mobile, fake_name

PROJECTS = 43
PROJECT_DAYS = 365
# How many of the 43 each type gets (types missing from the database give theirs to the others).
TYPE_SHARES = {"government": 12, "social": 14, "low_risk": 10, "with_design": 7}
ONLINE_SHARE = 0.2
CORRECTION_SHARE = 0.15
SUSPENSION_SHARE = 0.08
AT_RISK = 3
# Registration ages are the year's share to this power: >1 puts more projects in the recent months (still under way).
AGE_SKEW = 1.6
DENIAL_REASONS = [
    "施工图设计文件与审查合格的文件不一致，不符合法定条件，不予许可。",
    "经现场核查，建设项目用地范围与批准文件不符，请整改后重新申报。",
]
JOINT_DENIAL_REASONS = [
    "联合验收现场核查发现建筑退让距离不符合规划许可要求，规划条件核实不予通过，请整改后重新申请。",
    "联合验收现场检查发现消防设施未按审查合格的设计文件施工，不予通过，请整改后重新申请。",
]
NAMES = {
    "government": [
        "离石区第二中学教学楼改扩建工程",
        "滨河北路市政道路提质改造工程",
        "区人民医院门诊医技综合楼",
        "北川河生态修复及滨水景观工程",
        "凤山街道社区卫生服务中心",
        "城区老旧小区改造工程（一期）",
        "区全民健身中心",
        "永宁中路雨污分流管网改造工程",
        "区档案馆新馆",
        "交口街道便民服务中心",
        "区第三幼儿园新建工程",
        "信义镇污水处理站",
        "城北片区集中供热管网工程",
        "区应急物资储备库",
    ],
    "social": [
        "吕梁新城商业综合体",
        "龙凤北大街商住小区（二期）",
        "世纪大道写字楼项目",
        "北川河畔住宅小区",
        "学府街学生公寓",
        "莲花池路养老服务中心",
        "久安路农产品冷链物流中心",
        "田家会新能源汽车充电站及配套用房",
        "七一路酒店改建项目",
        "东关街历史文化街区商业项目",
        "马茂庄民办高中新校区",
        "袁家庄安置住宅项目",
        "红旗路汽车销售服务中心",
        "机场路物流仓储园",
        "凤山路民营医院综合楼",
        "西关街商住楼",
    ],
    "low_risk": [
        "吕梁华晋食品有限公司生产车间",
        "离石区丰源农业公司仓储用房",
        "交口大街汽车维修车间",
        "归化村农产品加工厂房",
        "吴城镇小杂粮加工车间",
        "石门墕建材仓库",
        "彩家庄光伏运维用房",
        "王营庄果品冷藏库",
        "五里铺饮用水厂房",
        "乔家沟电商仓储用房",
        "李家沟中药材晾晒加工房",
    ],
    "with_design": [
        "滨河南路带方案出让地块商住项目",
        "世纪大道东侧带方案出让地块",
        "城北新区带方案出让商业地块",
        "永宁西路带方案出让住宅地块",
        "龙凤南大街带方案出让办公地块",
        "信义文旅综合体带方案出让地块",
        "北川路带方案出让社区商业地块",
        "红旗路带方案出让产业用地",
    ],
}
OWNERS = {
    "government": ["离石区教育局", "离石区住房和城乡建设局", "离石区城市建设投资有限公司", "离石区卫生健康局"],
    "social": ["吕梁宏达置业有限公司", "山西龙凤房地产开发有限公司", "吕梁世纪商贸有限公司", "离石区康养产业有限公司"],
    "low_risk": ["吕梁华晋食品有限公司", "离石区丰源农业科技有限公司", "吕梁晋西汽车服务有限公司"],
    "with_design": ["吕梁城投置业有限公司", "山西北川城市发展有限公司", "吕梁信义文旅开发有限公司"],
}
INVESTMENT = {
    "government": (2000, 60000),
    "social": (5000, 90000),
    "low_risk": (100, 900),
    "with_design": (3000, 40000),
}
LAND = {
    "government": "国有建设用地（划拨）",
    "social": "国有建设用地（出让）",
    "low_risk": "国有建设用地（出让），地上建筑面积不大于2000平方米",
    "with_design": "国有建设用地（带设计方案出让）",
}


# Stands for the project's code (given at registration) while a stage's answers are checked in planning.
PLACEHOLDER_CODE = "2026-141102-47-01-000001"


def project_answers(version: PackageVersion, project: dict[str, Any], *, code: str) -> dict[str, Any]:
    """The answers of a stage's form that the project's registration gives (its code, name, place, investment,
    contact phone), for the fields this stage's package asks."""
    known = {
        "project_code": code,
        "project_name": project["name"],
        "project_address": project["location"],
        "total_investment": int(float(project["investment"])),
        "contact_phone": project["contact_phone"],
    }
    names = {spec["name"]: spec for spec in version.fields}
    answers: dict[str, Any] = {}
    for name, value in known.items():
        spec = names.get(name)
        if spec is not None:
            limit = spec.get("max_length")
            answers[name] = value[:limit] if isinstance(value, str) and limit else value
    return answers


@dataclass(frozen=True)
class _Part:
    code: str
    depends_on: tuple[str, ...]
    auto: bool  # approved as it opens: a 即办件, or a 告知承诺 matter approved on commitment
    joint: bool


@dataclass(frozen=True)
class _Stage:
    no: int
    limit_days: int
    opens_with_previous: bool
    joint_limit_days: int
    version: PackageVersion
    parts: tuple[_Part, ...]


@dataclass
class ProjectPlan:
    index: int
    type_code: str
    registered: datetime
    channel: str
    data: dict[str, Any]
    steps: list[Step] = field(default_factory=list)


@dataclass
class _Fate:
    """What is special about one project's history."""

    deny_stage: int = 0  # the first attempt of this stage has a part denied (then the stage is applied for again)
    deny_joint: bool = False  # … a part of its joint acceptance
    reapply: bool = True  # False: "now" comes before the new attempt (the stage stands not passed)
    slow_stage: int = 0  # this stage's parts run long: the project is at risk now


class ProjectPlanner:
    """Plans `count` projects over the last `days` days, of every active type whose stages' units all have a demo
    handler to decide their parts."""

    def __init__(self, *, rng: random.Random, now: datetime, days: int, handler_units: set[str]) -> None:
        self.rng = rng
        self.now = now
        self.days = days
        self.filler = FormFiller(rng, now.date())
        self.plans: list[ProjectPlan] = []
        self.flows: dict[str, list[_Stage]] = {}
        self._versions: dict[str, MatterVersion] = {}
        for project_type in ProjectType.objects.filter(is_active=True).order_by("order", "code"):
            stages = [self._stage(flow) for flow in project_type.stages.select_related("package__current_version")]
            if stages and all(stage is not None for stage in stages):
                flow_stages = [stage for stage in stages if stage is not None]
                units = {self._unit(part.code) for stage in flow_stages for part in stage.parts if not part.auto} | {
                    stage.version.lead_unit.code for stage in flow_stages if stage.joint_limit_days
                }
                if units <= handler_units:
                    self.flows[project_type.code] = flow_stages

    def _unit(self, matter: str) -> str:
        return self._versions[matter].unit.code

    def _stage(self, flow: FlowStage) -> _Stage | None:
        version = flow.package.current_version
        if version is None:
            return None
        items = list(version.items.select_related("matter__current_version__unit").order_by("order", "id"))
        parts = []
        for item in items:
            matter_version = item.matter.current_version
            if matter_version is None:
                return None
            self._versions[item.matter.code] = matter_version
            auto = matter_version.instant or item.matter.code in set(flow.commitment_matters or [])
            parts.append(
                _Part(
                    code=item.matter.code,
                    depends_on=tuple(item.depends_on),
                    auto=auto,
                    joint=item.matter.code in set(flow.joint_matters or []),
                )
            )
        return _Stage(
            no=flow.no,
            limit_days=flow.limit_days,
            opens_with_previous=flow.opens_with_previous,
            joint_limit_days=flow.joint_limit_days or (flow.limit_days if flow.joint_matters else 0),
            version=version,
            parts=tuple(parts),
        )

    # --- building blocks -------------------------------------------------------------------------------------

    def _hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def _days(self, low: float, high: float) -> timedelta:
        return timedelta(days=self.rng.uniform(low, high))

    def _add(self, plan: ProjectPlan, at: datetime, action: str, **args: Any) -> datetime:
        plan.steps.append(Step(at=at, order=plan.index, seq=len(plan.steps), action=action, args=args))
        return at

    def _form(self, version: PackageVersion, project: dict[str, Any]) -> dict[str, Any]:
        """Answers the stage's package accepts; what the project's registration says is answered from it (the code,
        given at registration, is put in when the step runs: `project_answers`)."""
        for _attempt in range(5):
            answers = self.filler.form(version, project["location"])  # type: ignore[arg-type]  # a matter's field specs
            answers.update(project_answers(version, project, code=PLACEHOLDER_CODE))
            try:
                package_form_validate(version=version, data=answers)
            except ValidationFailed:
                continue
            return answers
        raise ValidationFailed(f"{version.name}: no valid demo answers")

    # --- plans -----------------------------------------------------------------------------------------------

    def plan_all(self, count: int) -> list[ProjectPlan]:
        if not self.flows or count <= 0:
            return []
        types = list(self.flows)
        shares = {code: TYPE_SHARES.get(code, 10) for code in types}
        total = sum(shares.values())
        counts = {code: count * share // total for code, share in shares.items()}
        for code in types[: count - sum(counts.values())]:
            counts[code] += 1
        # Each type's projects spread over the year (the oldest first), more of them in the recent months: every
        # type has projects completed and projects at each stage. The showcases go to the middle-aged and young ones.
        order = [(code, i, n) for code, n in counts.items() for i in range(n)]
        fates = self._fates(order)
        for position, (code, i, n) in enumerate(order):
            age = self.days * ((n - i - 0.5) / n) ** AGE_SKEW
            registered = self.now - timedelta(days=age) + self._days(-3, 3)
            self._plan(code, min(registered, self.now - timedelta(days=1)), i, fates.get(position, _Fate()))
        return self.plans

    def _fates(self, order: list[tuple[str, int, int]]) -> dict[int, _Fate]:
        """Positions in `order` → special fates: a re-applied stage and a re-applied joint acceptance among the older
        projects, a stage not passed just now and `AT_RISK` slow stages among the younger ones."""
        fates: dict[int, _Fate] = {}
        oldest = [p for p, (c, i, n) in enumerate(order) if i / n < 0.35 and self._has_joint(c)]
        older = [p for p, (_c, i, n) in enumerate(order) if 0.35 <= i / n < 0.5]
        younger = [p for p, (_c, i, n) in enumerate(order) if 0.55 < i / n < 0.95]
        for group in (oldest, older, younger):
            self.rng.shuffle(group)
        if oldest:
            fates[oldest[0]] = _Fate(deny_stage=-1, deny_joint=True)
        if older:
            fates[older[0]] = _Fate(deny_stage=2)
        if younger:
            fates[younger.pop()] = _Fate(deny_stage=-2, reapply=False)
        for position in younger[:AT_RISK]:
            fates[position] = _Fate(slow_stage=-2)
        return fates

    def _has_joint(self, code: str) -> bool:
        return any(stage.joint_limit_days for stage in self.flows[code])

    def _register_data(self, code: str, i: int) -> dict[str, Any]:
        rng = self.rng
        names = NAMES.get(code) or [f"离石区建设项目{i + 1}号"]
        name = names[i % len(names)] + ("" if i < len(names) else f"（{i // len(names) + 1}期）")
        street = rng.choice(STREETS)
        low, high = INVESTMENT.get(code, (500, 20000))
        return {
            "name": name,
            "type": code,
            "owner": rng.choice(OWNERS.get(code) or ["吕梁建设发展有限公司"]),
            "owner_credit_code": _fake_uscc(rng),
            "contact_name": fake_name(rng),
            "contact_phone": fake_mobile(rng),
            "contact_id_number": fake_id_number(rng),
            "investment": str(rng.randint(low, high)),
            "location": f"离石区{rng.choice(street.places)}",
            "land": LAND.get(code, ""),
        }

    def _plan(self, code: str, registered: datetime, i: int, fate: _Fate) -> None:
        rng = self.rng
        online = rng.random() < ONLINE_SHARE
        data = self._register_data(code, i)
        plan = ProjectPlan(len(self.plans), code, registered, "online" if online else "window", data)
        self.plans.append(plan)
        flow = self.flows[code]
        # Negative stage numbers count from the end (-1: the last stage, the joint acceptance).
        joint_stages = [s.no for s in flow if s.joint_limit_days]
        deny_stage = fate.deny_stage
        if fate.deny_joint and joint_stages:
            deny_stage = joint_stages[-1]
        elif deny_stage < 0:
            deny_stage = flow[max(len(flow) + deny_stage, 0)].no
        slow_stage = flow[max(len(flow) + fate.slow_stage, 0)].no if fate.slow_stage < 0 else fate.slow_stage
        t = self._add(plan, registered, "register")
        opened: dict[int, datetime] = {}
        decided: dict[int, datetime] = {}
        for position, stage in enumerate(flow):
            if position == 0:
                opened[stage.no] = t
            elif stage.opens_with_previous:
                opened[stage.no] = opened[flow[position - 1].no]
            else:
                opened[stage.no] = max(decided[s.no] for s in flow[:position])
            # The owner prepares the stage's documents: hours for the first, days to weeks for the later ones.
            gap = self._hours(0.5, 30) if position == 0 else self._days(2, 25)
            start = opened[stage.no] + gap
            if stage.no == deny_stage:
                end, _accepted = self._plan_attempt(plan, stage, start, project=data, deny=fate)
                if not fate.reapply:
                    # The whole plan moved so the denial falls just before now: the stage stands not passed.
                    self._shift_to(plan, end, self.now - self._days(1, 3))
                    return
                start = end + self._days(4, 15)
            end, first_accept = self._plan_attempt(plan, stage, start, project=data, slow=stage.no == slow_stage)
            decided[stage.no] = end
            if stage.no == slow_stage:
                # The slow stage was accepted long enough ago for 80% of its limit to have passed now.
                target = self.now - timedelta(days=stage.limit_days * 1.4 * rng.uniform(0.95, 1.15))
                self._shift_to(plan, first_accept, target)
                return

    def _shift_to(self, plan: ProjectPlan, moment: datetime, target: datetime) -> None:
        """Move the whole plan so that `moment` falls at `target` (the registration stays within the year)."""
        delta = target - moment
        earliest = self.now - timedelta(days=self.days)
        if plan.steps[0].at + delta < earliest:
            delta = earliest - plan.steps[0].at
        for step in plan.steps:
            step.at += delta
        plan.registered = plan.steps[0].at

    def _plan_attempt(
        self,
        plan: ProjectPlan,
        stage: _Stage,
        start: datetime,
        *,
        project: dict[str, Any],
        deny: _Fate | None = None,
        slow: bool = False,
    ) -> tuple[datetime, datetime]:
        """One application for a stage: apply (a correction sometimes), accept, the parts decided (the joint
        acceptance scheduled first), delivered. `deny`: one part is denied (a joint part, for a joint acceptance).
        Returns (when the package is decided, when it was accepted)."""
        rng = self.rng
        correction = rng.random() < CORRECTION_SHARE
        form = self._form(stage.version, project)
        t = self._add(plan, start, "apply", no=stage.no, form=form, missing=rng.choice([1, 2]) if correction else 0)
        if correction:
            t = self._add(plan, t + self._hours(0.2, 3), "request_correction", no=stage.no)
            t = self._add(plan, t + self._days(1, 5), "supplement", no=stage.no)
        accepted = self._add(plan, t + self._hours(0.3, 20), "accept", no=stage.no)
        joint_at: datetime | None = None
        if stage.joint_limit_days and any(part.joint for part in stage.parts):
            days_after = rng.randint(1, max(1, min(3, stage.joint_limit_days // 2)))
            self._add(plan, accepted + self._hours(1, 3), "joint_schedule", no=stage.no, days_after=days_after)
            joint_at = accepted + timedelta(days=days_after)
        deciding = [p for p in stage.parts if not p.auto]
        denied = ""
        if deny is not None and deciding:
            pool = [p for p in deciding if p.joint] if deny.deny_joint else [p for p in deciding if not p.joint]
            denied = rng.choice(pool or deciding).code
        suspended = rng.choice(deciding).code if deciding and rng.random() < SUSPENSION_SHARE else ""
        # The stage's calendar time, shared along its longest chain of parts that are decided by a person.
        depth = max(self._depth(stage, p.code) for p in stage.parts) or 1
        budget = timedelta(days=stage.limit_days * 1.4 / depth)
        outcome: dict[str, tuple[datetime, bool]] = {}
        pending = list(stage.parts)
        while pending:
            part = next(p for p in pending if all(d in outcome for d in p.depends_on))
            pending.remove(part)
            needs = [outcome[d] for d in part.depends_on if d in outcome]
            begins = max([accepted, *(at for at, _ok in needs)])
            if not all(ok for _at, ok in needs):
                outcome[part.code] = (begins, False)  # cancelled by the package
                continue
            if part.auto:
                outcome[part.code] = (begins, True)
                continue
            if part.joint and joint_at is not None:
                at = max(begins, joint_at) + self._hours(2, 8)  # inspected on the day, recorded that afternoon
            else:
                share = rng.uniform(1.6, 2.2) if slow else rng.uniform(0.25, 0.8)
                at = begins + budget * share
            if part.code == suspended:
                kind, reason = rng.choice(texts.SUSPENSION_REASONS)
                paused = self._add(
                    plan,
                    begins + (at - begins) * 0.3,
                    "suspend",
                    no=stage.no,
                    matter=part.code,
                    kind=kind,
                    reason=reason,
                )
                resumed = self._add(plan, paused + self._days(2, 6), "resume", no=stage.no, matter=part.code)
                at = max(at + timedelta(days=4), resumed + self._hours(2, 48))
            if part.code == denied:
                reasons = JOINT_DENIAL_REASONS if part.joint else DENIAL_REASONS
                self._add(plan, at, "deny", no=stage.no, matter=part.code, reason=rng.choice(reasons))
                outcome[part.code] = (at, False)
            else:
                self._add(plan, at, "approve", no=stage.no, matter=part.code, note=rng.choice(texts.APPROVAL_NOTES))
                outcome[part.code] = (at, True)
        end = max(at for at, _ok in outcome.values())
        self._add(plan, end + self._hours(2, 48), "deliver", no=stage.no)
        return end, accepted

    def _depth(self, stage: _Stage, code: str) -> int:
        """How many parts decided by a person lie on the longest chain ending at `code`."""
        parts = {p.code: p for p in stage.parts}
        part = parts[code]
        below = max((self._depth(stage, d) for d in part.depends_on if d in parts), default=0)
        return below + (0 if part.auto or part.joint else 1)


class ProjectExecutor:
    """Runs project steps as the right person: the window clerk (or the owner's contact online) registering and
    applying, the clerk checking, accepting and delivering, each part's unit's handler deciding it, the stage's lead
    unit's handler scheduling the joint inspection."""

    def __init__(self, *, plans: list[ProjectPlan], people: dict[str, Any], handlers: dict[str, Any]) -> None:
        self.plans = plans
        self.people = people
        self.handlers = handlers
        self.codes: dict[int, str] = {}
        self.numbers: dict[tuple[int, int], str] = {}  # (plan, stage no) → the current attempt's package number
        self.missing: dict[tuple[int, int], list[str]] = {}
        self.dead: set[int] = set()
        self.failures: Counter[str] = Counter()

    def steps(self, now: datetime) -> list[Step]:
        return [step for plan in self.plans for step in plan.steps if step.at <= now]

    def run_step(self, step: Step) -> None:
        if step.order in self.dead:
            return
        try:
            self._run(step)
        except ApplicationError as exc:
            self.failures[f"project {step.action}: {exc.message}"] += 1
            self.dead.add(step.order)

    def _applicant(self, plan: ProjectPlan) -> Any:
        return self.people["applicant"] if plan.channel == "online" else self.people["clerk"]

    def _run(self, step: Step) -> None:
        plan = self.plans[step.order]
        clerk, a = self.people["clerk"], step.args
        if step.action == "register":
            data = dict(plan.data)
            if plan.channel == "online":
                identity = self.people["applicant_identity"]
                data.update(contact_name=identity["applicant_name"], contact_phone=identity["applicant_phone"])
                data["contact_id_number"] = identity["applicant_id_number"]
            self.codes[step.order] = projects.project_register(actor=self._applicant(plan), data=data).code
            return
        key = (step.order, a["no"])
        code = self.codes[step.order]
        number = self.numbers.get(key, "")
        if step.action == "apply":
            self._apply(plan, step, code)
        elif step.action == "request_correction":
            if self.missing.get(key):
                packages.package_request_correction(package_application=number, actor=clerk, defects={})
        elif step.action == "supplement":
            if self.missing.get(key):
                packages.package_supplement(
                    package_application=number, actor=self._applicant(plan), materials=self.missing.pop(key)
                )
        elif step.action == "accept":
            packages.package_accept(package_application=number, actor=clerk)
        elif step.action == "joint_schedule":
            project = Project.objects.get(code=code)
            lead = project.stages.select_related("flow_stage__package__lead_unit").get(no=a["no"])
            unit = lead.flow_stage.package.lead_unit
            day = timezone.localdate(step.at) + timedelta(days=a["days_after"])
            handler = self.handlers.get(unit.code if unit is not None else "")
            projects.project_joint_schedule(actor=handler, project=code, no=a["no"], inspect_on=day)
        elif step.action == "deliver":
            packages.package_deliver(package_application=number, actor=clerk, delivery="window")
        else:
            part_decide(step, number, self.handlers)

    def _apply(self, plan: ProjectPlan, step: Step, code: str) -> None:
        """The stage's application: the answers, and the materials this form needs that the project has not handed
        in before (the service adds those it has); for a correction, the last `missing` required ones are left out."""
        a = step.args
        project = Project.objects.get(code=code)
        stage = project.stages.select_related("flow_stage__package__current_version").get(no=a["no"])
        version = stage.flow_stage.package.current_version
        assert version is not None
        form = dict(a["form"] or {})
        if form:
            registered = {
                "name": project.name,
                "location": project.location,
                "investment": project.investment,
                "contact_phone": project.contact_phone,
            }
            form.update(project_answers(version, registered, code=code))
        answers = projects.project_stage_answers(project, version, form)
        needed = package_materials_needed(version, package_form_clean(version=version, data=answers))
        have = set(project.documents.values_list("code", flat=True))
        new = [m["material"].code for m in needed if m["material"].code not in have]
        required = [m["material"].code for m in needed if m["required"] and m["material"].code not in have]
        missing = required[len(required) - min(a["missing"], len(required)) :] if a["missing"] else []
        package_application = projects.project_stage_apply(
            actor=self._applicant(plan),
            project=code,
            no=a["no"],
            data={"form": form, "materials": [c for c in new if c not in missing]},
        )
        self.numbers[(step.order, a["no"])] = package_application.number
        self.missing[(step.order, a["no"])] = missing
