"""Realistic applications for the benchmarks: the shipped demo catalogue (216 matters of 离石区, their real forms and
checklists), a window clerk and the units' handlers, and applicant payloads that the services accept.

Payloads are what a window clerk types at the counter: a valid name, mobile number and GB 11643 ID number, every
required form field answered with a value of its kind (GB 32100 credit codes with their check characters, Lishi
addresses, dates inside the supported range, amounts of a plausible size), most optional fields, and the materials
received: every required one for 85% of applicants (the others forgot one), each optional one for half of them.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from govdesk.demo.district import SERVICE_HALL, STREETS
from govdesk.demo.people import fake_id_number, fake_mobile, fake_name

COMPLETE_SHARE = 0.85  # applicants who bring every required material
OPTIONAL_FIELD_SHARE = 0.7
OPTIONAL_MATERIAL_SHARE = 0.5

# GB 32100-2015: the 31 characters of a unified social credit code and the weights of its check character;
# GB 11714-1997: the weights of the organisation code's check digit (characters 9–17 of the credit code).
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
BRANDS = [
    "鑫源", "恒泰", "晋通", "龙凤", "吕梁山", "汇丰", "德顺", "华宇", "永盛",
    "金石", "瑞祥", "兴隆", "宏达", "福佳", "和美", "北川", "凤山", "天成",
]  # fmt: skip
TRADES = [
    "商贸", "餐饮", "建筑工程", "物流", "农业科技", "文化传媒", "医药", "家政服务", "汽车维修",
    "信息技术", "食品", "建材", "物业管理",
]  # fmt: skip
FORMS = ["有限公司", "有限责任公司", "商贸部", "便利店", "农民专业合作社"]
SCOPES = [
    "预包装食品销售；散装食品销售；日用百货、文具用品零售",
    "建筑工程施工总承包；市政公用工程施工；建筑材料销售",
    "餐饮服务；食品小作坊经营；外卖递送服务",
    "普通货物道路运输；货物仓储（不含危险化学品）；装卸搬运",
    "农作物种植；农产品初加工；农业技术推广服务",
    "家政服务；养老服务；物业管理；保洁服务",
    "机动车维修；汽车零配件零售；洗车服务",
]
REASONS = [
    "因经营需要，申请办理本事项，相关材料已按清单准备齐全。",
    "家庭主要劳动力患病，收入减少，生活困难，特申请救助。",
    "原证件遗失，已在报纸登载遗失声明，申请补领。",
    "企业住所迁至新址，需变更登记事项：住所、经营范围。",
    "本人已办理退休手续，申请核准养老保险待遇。",
    "因城市道路改造，需临时占用部分人行道堆放材料，工期结束后恢复原状。",
    "子女随迁入学，申请办理相关手续。",
    "法定代表人变更为张某某，注册资本由100万元增加至300万元。",
]
DEPARTMENTS = ["内科；外科；妇产科", "口腔科；医学检验科", "中医科；康复医学科", "全科医疗科；预防保健科"]
SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治", "音乐", "体育"]
SCOPE_OF_PRACTICE = ["内科专业", "外科专业", "全科医学专业", "口腔专业", "中医专业", "妇产科专业"]
PROJECTS = ["住宅小区", "综合楼", "标准化厂房", "商业综合体", "幼儿园", "社区服务中心", "农产品仓储中心"]
EVENTS = ["离石区迎新春文艺演出", "吕梁山徒步大会", "全民健身广场舞展演", "农民丰收节展销会", "校园招聘会"]
# Number fields: (low, high, decimals) by name; the form's units (万元, 平方米, 人…) make these sizes plausible.
NUMBER_RANGES: dict[str, tuple[float, float, int]] = {
    "registered_capital": (10, 5000, 0),
    "operating_area": (15, 800, 1),
    "family_size": (1, 6, 0),
    "monthly_income": (200, 1100, 0),
    "beds": (10, 300, 0),
    "total_investment": (50, 50000, 1),
    "construction_area": (300, 80000, 0),
    "area": (0.5, 30, 2),
    "vehicle_count": (1, 40, 0),
    "occupied_area": (5, 500, 0),
    "planned_students": (60, 2000, 0),
    "expected_people": (100, 5000, 0),
    "sign_size": (2, 60, 1),
}
# Date fields in the past (days back, low–high); every other date is ahead (days forward, low–high).
PAST_DATES = {"employment_date": (1, 60), "birth_date": (1, 30)}


def _address(rng: random.Random) -> str:
    street = rng.choice(STREETS)
    return f"离石区{street.name}{rng.choice(street.places)}{rng.randint(1, 300)}号"


def _company(rng: random.Random) -> str:
    return f"吕梁市{rng.choice(BRANDS)}{rng.choice(TRADES)}{rng.choice(FORMS)}"


def credit_code(rng: random.Random) -> str:
    """A unified social credit code (GB 32100) of a Lishi company: 9 (market regulation) 1 (enterprise), the region,
    an organisation code with its GB 11714 check digit, and the code's own check character."""
    org8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    org_check = 11 - sum(int(c, 36) * w for c, w in zip(org8, ORG_WEIGHTS, strict=True)) % 11
    org9 = org8 + {10: "X", 11: "0"}.get(org_check, str(org_check))
    first17 = "91141102" + org9
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


def _text_value(name: str, rng: random.Random) -> str:
    makers: dict[str, Any] = {
        "company_name": lambda: _company(rng),
        "institution_name": lambda: f"离石区{rng.choice(BRANDS)}{rng.choice(['诊所', '养老院', '卫生院', '门诊部'])}",
        "school_name": lambda: f"离石区{rng.choice(BRANDS)}{rng.choice(['幼儿园', '培训学校', '实验学校'])}",
        "school_wanted": lambda: f"离石区{rng.choice(['第一', '第二', '第五', '凤山', '城北'])}小学",
        "work_unit": lambda: _company(rng),
        "uscc": lambda: credit_code(rng),
        "bank_account": lambda: rng.choice(["6217", "6228", "6222", "6210"]) + f"{rng.randrange(10**15):015d}",
        "certificate_number": lambda: f"晋（{rng.randint(2015, 2025)}）离石区不动产权第{rng.randrange(10**7):07d}号",
        "project_name": lambda: f"{rng.choice(STREETS).places[0]}{rng.choice(PROJECTS)}建设项目",
        # 投资项目代码: year, district, industry, approval kind, sequence (the construction matters ask it).
        "project_code": lambda: f"2026-141102-47-0{rng.randint(1, 3)}-{rng.randrange(1, 10**6):06d}",
        "event_name": lambda: rng.choice(EVENTS),
        "village": lambda: f"{rng.choice(STREETS[-6:]).name}{rng.choice(['一', '二', '三', '四'])}组",
        "practice_scope": lambda: rng.choice(SCOPE_OF_PRACTICE),
        "subject": lambda: rng.choice(SUBJECTS),
        "party_b_name": lambda: fake_name(rng),
        "baby_name": lambda: fake_name(rng),
        "child_name": lambda: fake_name(rng),
        "birth_place": lambda: rng.choice(["吕梁市人民医院", "离石区人民医院", "吕梁市妇幼保健院"]),
    }
    return str(makers[name]() if name in makers else _address(rng))  # every other text field is an address


def _textarea_value(name: str, rng: random.Random) -> str:
    if name == "business_scope":
        return rng.choice(SCOPES)
    if name == "departments":
        return rng.choice(DEPARTMENTS)
    return rng.choice(REASONS)


def field_value(field: dict[str, Any], rng: random.Random, today: date) -> Any:
    """A value a person would enter for one form field of the catalogue, valid for its type and limits."""
    name, kind = field["name"], field["type"]
    if kind == "text":
        value = _text_value(name, rng)
        return value[: field.get("max_length") or 200]
    if kind == "textarea":
        return _textarea_value(name, rng)[: field.get("max_length") or 2000]
    if kind == "number":
        low, high, decimals = NUMBER_RANGES.get(name, (1, 100, 0))
        number = round(rng.uniform(low, high), decimals)
        return int(number) if decimals == 0 else number
    if kind == "date":
        if name in PAST_DATES:
            low, high = PAST_DATES[name]
            return (today - timedelta(days=rng.randint(low, high))).isoformat()
        ahead = rng.randint(7, 90) + (120 if name == "end_date" else 0)
        return (today + timedelta(days=ahead)).isoformat()
    if kind == "choice":
        return rng.choice(field["choices"])
    if kind == "bool":
        return True if field["required"] else rng.random() < 0.5
    if kind == "phone":
        return fake_mobile(rng)
    return fake_id_number(rng)  # id_number


@dataclass(frozen=True)
class CatalogueMatter:
    """What the payload generator needs of a matter's current version."""

    code: str
    instant: bool
    fields: list[dict[str, Any]]
    required: list[str]  # material codes
    optional: list[str]


def catalogue_matters() -> list[CatalogueMatter]:
    from govdesk.matters.models import Matter

    matters = (
        Matter.objects.filter(is_active=True, current_version__isnull=False)
        .select_related("current_version")
        .prefetch_related("current_version__materials")
        .order_by("code")
    )
    result = []
    for matter in matters:
        version = matter.current_version
        assert version is not None
        materials = list(version.materials.all())
        result.append(
            CatalogueMatter(
                code=matter.code,
                instant=version.instant,
                fields=list(version.fields),
                required=[m.code for m in materials if m.required],
                optional=[m.code for m in materials if not m.required],
            )
        )
    return result


def applications(
    matters: list[CatalogueMatter], *, seed: int = 11, complete: bool | None = None
) -> Iterator[dict[str, Any]]:
    """An endless stream of payloads for POST /api/v1/applications/ (window channel). `complete` forces every
    required material to be there (True) or one to be missing (False); None draws it (COMPLETE_SHARE)."""
    from govdesk.common import clock

    rng = random.Random(seed)
    today = clock.now().date()
    while True:
        matter = rng.choice(matters)
        form = {
            field["name"]: field_value(field, rng, today)
            for field in matter.fields
            if field["required"] or rng.random() < OPTIONAL_FIELD_SHARE
        }
        materials = list(matter.required)
        whole = rng.random() < COMPLETE_SHARE if complete is None else complete
        if not whole and materials:
            materials.remove(rng.choice(materials))
        materials += [code for code in matter.optional if rng.random() < OPTIONAL_MATERIAL_SHARE]
        yield {
            "matter": matter.code,
            "channel": "window",
            "applicant_name": fake_name(rng),
            "applicant_phone": fake_mobile(rng),
            "applicant_id_number": fake_id_number(rng),
            "form": form,
            "materials": materials,
        }


@dataclass(frozen=True)
class Hall:
    clerk: Any  # the window clerk (a User)
    clerk_password: str
    handlers: dict[str, Any]  # unit code → a handler of that unit (the result notice's issuer)


def hall_prepare() -> Hall:
    """Migrate, load the demo district and the shipped catalogue, and create the window clerk (a real password, for
    a real token) and one handler per unit that has matters. Idempotent: a database can be prepared twice."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from govdesk.demo.seed import demo_district_ensure
    from govdesk.matters.management.commands.matters_import import DEMO_CATALOGUE
    from govdesk.matters.models import Matter
    from govdesk.matters.transfer import matters_import
    from govdesk.org.models import Role, Unit, User

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    demo_district_ensure()
    result = matters_import(content=DEMO_CATALOGUE.read_bytes(), filename=DEMO_CATALOGUE.name, commit=True)
    if result.errors:
        raise SystemExit("the demo catalogue did not import: " + "; ".join(result.errors[:3]))

    def account(username: str, role: str, unit: Any, display_name: str) -> Any:
        user, _created = User.objects.get_or_create(
            username=username, defaults={"unit": unit, "display_name": display_name}
        )
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    password = "Bench-" + secrets.token_urlsafe(12)
    clerk = account("bench_clerk", Role.WINDOW_CLERK.value, Unit.objects.get(code=SERVICE_HALL[0]), "综合窗口 周婷")
    clerk.set_password(password)
    clerk.save()
    handlers = {}
    for unit in Unit.objects.filter(pk__in=Matter.objects.values("unit")):
        handlers[unit.code] = account(f"bench_handler_{unit.code}", Role.HANDLER.value, unit, f"{unit.name}审批人")
    return Hall(clerk, password, handlers)
