"""What the demo district's units reported into the ledgers for its demo year: data, shaped like the district's 2022
(section 一 of its 2023 report) — the totals are the report's, the way they spread over months, townships, villages
and projects is plausible invention. `ledger_rows.py` turns these into the monthly rows each unit writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

D = Decimal

# Annual indicators (month 0): code → (value in the indicator's measure, the year before or None).
ANNUAL_INDICATORS: dict[str, tuple[Decimal, Decimal | None]] = {
    "tax_fee_reduction": (D("89000"), D("61200")),
    "bonds_used": (D("26100"), D("18600")),
    "market_entities_net": (D("7036"), D("6120")),
    "new_above_scale": (D("5"), D("3")),
    "little_giants": (D("1"), D("0")),
    "specialized_new": (D("2"), D("1")),
    "listing_reserve": (D("6"), D("4")),
    "shareholding_listed": (D("3"), D("1")),
    "farmland_built": (D("10000"), D("8000")),
    "grain_output": (D("2.65"), D("2.58")),
    "pigs_slaughtered": (D("7.12"), D("6.68")),
    "agri_processing_sales": (D("3.48"), D("3.02")),
    "weak_villages_helped": (D("67"), D("52")),
    "festival_main_venues": (D("1"), None),
    "festival_sub_venues": (D("5"), None),
    "festival_activities": (D("23"), None),
    "festival_products": (D("32"), None),
    "demolition_area": (D("20.4"), D("12.6")),
    "land_expropriated": (D("201.8"), D("156.3")),
    "vaccine_doses": (D("105"), D("86")),
    "nucleic_tests": (D("1494.7"), D("212.5")),
    "outbreaks_handled": (D("4"), D("1")),
}


@dataclass(frozen=True)
class Monthly:
    """A monthly indicator: December's (cumulative) value and the same period of last year, the months' shape."""

    december: Decimal
    last_december: Decimal
    places: int
    # Cumulative share of the year reached by each month (latest), or each month's share of the year (sum).
    shape: tuple[float, ...]
    rank_city: int | None = None
    rank_province: int | None = None
    target: Decimal | None = None


# Cumulative shares: a quarter's figures are strongest at its end; the heating season and the autumn outbreak show.
CUMULATIVE = (0.062, 0.121, 0.214, 0.289, 0.368, 0.481, 0.556, 0.634, 0.742, 0.812, 0.889, 1.0)
QUARTERLY = (0.07, 0.14, 0.245, 0.32, 0.40, 0.51, 0.585, 0.66, 0.765, 0.84, 0.915, 1.0)
INCOME = (0.085, 0.16, 0.262, 0.335, 0.41, 0.52, 0.598, 0.675, 0.772, 0.848, 0.922, 1.0)
# Coal: each month's share of the year's output (the Spring Festival's February low, the winter supply push).
COAL = (0.086, 0.071, 0.084, 0.081, 0.083, 0.082, 0.08, 0.083, 0.082, 0.085, 0.089, 0.094)
# Pigs in stock (not cumulative): the month's stock against December's.
PIGS = (0.952, 0.931, 0.944, 0.958, 0.965, 0.972, 0.981, 0.99, 0.996, 1.004, 1.012, 1.0)

MONTHLY_INDICATORS: dict[str, Monthly] = {
    "gdp": Monthly(D("250.2"), D("232.9"), 2, QUARTERLY, target=D("255")),
    "industrial_value_added": Monthly(D("127.68"), D("120.00"), 2, CUMULATIVE),
    "retail_sales": Monthly(D("76.4"), D("74.6"), 2, CUMULATIVE),
    "fixed_asset_investment": Monthly(D("51.4"), D("47.2"), 2, CUMULATIVE),
    "urban_income": Monthly(D("41840"), D("39886"), 0, INCOME),
    "rural_income": Monthly(D("17552"), D("16481"), 0, INCOME),
    "budget_revenue": Monthly(D("31.65"), D("17.30"), 2, CUMULATIVE, rank_city=3, rank_province=9),
    "coal_output": Monthly(D("1208.34"), D("1163.20"), 2, COAL, target=D("1150")),
    "pigs_stock": Monthly(D("5.02"), D("4.86"), 2, PIGS),
}
SUM_INDICATORS = frozenset({"coal_output"})
STOCK_INDICATORS = frozenset({"pigs_stock"})
# Indicators the catalogue gives no source unit: the units that report them in the demo district.
REPORTING_UNITS = {"urban_income": "LS-FG", "rural_income": "LS-FG"}

# Programmes: code → months → (amount 万元, spending driven 万元 or None, beneficiaries or None).
VOUCHERS: dict[int, tuple[Decimal, Decimal | None, int | None]] = {
    5: (D("150"), D("4210"), 18230),
    6: (D("180"), D("5160"), 21840),
    7: (D("95"), D("2570"), 11020),
    8: (D("110"), D("3050"), 12860),
    9: (D("160"), D("4420"), 19310),
    10: (D("142"), D("3880"), 16950),
    11: (D("90"), D("2440"), 10480),
    12: (D("160"), D("4370"), 19100),
}
BRIDGING: dict[int, tuple[Decimal, Decimal | None, int | None]] = {
    3: (D("1320"), None, None),
    4: (D("860"), None, None),
    6: (D("1150"), None, None),
    8: (D("700"), None, None),
    10: (D("680"), None, None),
    12: (D("500"), None, None),
}
Disbursements = dict[int, tuple[Decimal, Decimal | None, int | None]]
PROGRAMMES: dict[str, Disbursements] = {"consumer_vouchers": VOUCHERS, "bridging_fund": BRIDGING}

# The townships' villages (rural collective contracts, toilets), by the township's unit code.
VILLAGES: dict[str, tuple[str, ...]] = {
    "LS-XY": ("信义村", "归化村", "石盘村", "千年村", "孟家沟村", "王家坡村"),
    "LS-WC": ("吴城村", "向阳村", "凤城村", "上安村", "后冯家沟村", "高家沟村"),
    "LS-PT": ("坪头村", "彩家庄村", "大东沟村", "马家庄村", "麻峪村", "赵家湾村"),
    "LS-HYC": ("红眼川村", "王营庄村", "大东川村", "车家湾村", "西坡村", "阳坡村"),
    "LS-ZL": ("枣林村", "五里铺村", "李家沟村", "暖泉头村", "小神头村", "南坪村"),
    "LS-JK": ("交口村", "石门墕村", "金罗村", "下庄村"),
    "LS-TJH": ("田家会村", "胡家堡村", "韩家沟村", "陈家湾村"),
}
CONTRACTS_CLEANED = 7229
DEBTS_RESOLVED = D("4500")
FUNDS_RECOVERED = D("11400")
ASSETS_RECOVERED = D("55000")
CONTRACT_MONTHS = (3, 4, 5, 6, 7, 8, 9, 10, 11)
TOILETS_COMPLETED = 1000
TOILET_MONTHS = (4, 5, 6, 7, 8, 9, 10)

# Roads: (name, township unit code, km, started, completed, investment 万元).
UPGRADES = [
    ("离石至信义公路提质改造", "LS-XY", D("8.6"), date(2022, 3, 20), date(2022, 9, 28), D("2580")),
    ("吴城至向阳公路提质改造", "LS-WC", D("6.4"), date(2022, 4, 6), date(2022, 8, 30), D("1860")),
    ("坪头至大东沟旅游公路提质改造", "LS-PT", D("7.2"), date(2022, 3, 28), date(2022, 10, 15), D("2310")),
    ("红眼川至王营庄公路提质改造", "LS-HYC", D("5.8"), date(2022, 4, 12), date(2022, 9, 10), D("1720")),
    ("枣林至五里铺公路提质改造", "LS-ZL", D("4.9"), date(2022, 4, 20), date(2022, 8, 18), D("1390")),
    ("交口至石门墕公路提质改造", "LS-JK", D("3.7"), date(2022, 5, 5), date(2022, 9, 2), D("1080")),
    ("田家会至胡家堡公路提质改造", "LS-TJH", D("4.2"), date(2022, 5, 10), date(2022, 10, 8), D("1240")),
    ("大东川沿河公路提质改造", "LS-HYC", D("6.1"), date(2022, 3, 25), date(2022, 11, 5), D("1950")),
    ("信义至千年村公路提质改造", "LS-XY", D("3.3"), date(2022, 6, 1), date(2022, 10, 20), D("960")),
    ("吴城老街至上安公路提质改造", "LS-WC", D("4.5"), date(2022, 5, 16), date(2022, 9, 25), D("1310")),
    ("李家沟至南坪公路提质改造", "LS-ZL", D("5.6"), date(2022, 4, 8), date(2022, 10, 30), D("1680")),
    ("彩家庄至赵家湾公路提质改造", "LS-PT", D("5.7"), date(2022, 6, 10), date(2022, 11, 18), D("1730")),
]
# Still under way at the year's end: in the ledger, not in the year's 66 km.
UPGRADES_OPEN: list[tuple[str, str, Decimal, date, date | None, Decimal]] = [
    ("马家庄至麻峪公路提质改造", "LS-PT", D("4.8"), date(2022, 9, 15), None, D("1420")),
    ("高家沟至后冯家沟公路提质改造", "LS-WC", D("3.9"), date(2022, 10, 10), None, D("1150")),
]
# The July and August rains: 21 places repaired.
FLOOD_REPAIRS = [
    ("信义村段", "LS-XY"),
    ("归化村段", "LS-XY"),
    ("石盘村段", "LS-XY"),
    ("吴城村段", "LS-WC"),
    ("凤城村段", "LS-WC"),
    ("上安村段", "LS-WC"),
    ("坪头村段", "LS-PT"),
    ("大东沟段", "LS-PT"),
    ("麻峪村段", "LS-PT"),
    ("红眼川村段", "LS-HYC"),
    ("车家湾村段", "LS-HYC"),
    ("西坡村段", "LS-HYC"),
    ("阳坡村段", "LS-HYC"),
    ("枣林村段", "LS-ZL"),
    ("暖泉头村段", "LS-ZL"),
    ("小神头村段", "LS-ZL"),
    ("交口村段", "LS-JK"),
    ("金罗村段", "LS-JK"),
    ("下庄村段", "LS-JK"),
    ("胡家堡村段", "LS-TJH"),
    ("韩家沟村段", "LS-TJH"),
]

# The 13 street parks built on idle plots, and one park still under construction: (name, location, m², completed).
STREET_PARKS = [
    ("滨河北路街头游园", "滨河北路与永宁中路交叉口东北角", 3200, date(2022, 6, 18)),
    ("永宁中路口袋公园", "永宁中路东侧闲置地块", 1850, date(2022, 7, 2)),
    ("凤山路街头游园", "凤山路与七一路交叉口", 2600, date(2022, 7, 20)),
    ("东关街口袋公园", "东关街中段", 1400, date(2022, 8, 5)),
    ("北川路街头游园", "北川路西侧闲置地块", 4100, date(2022, 8, 16)),
    ("久安路街头游园", "久安路与世纪大道交叉口", 2900, date(2022, 8, 28)),
    ("龙凤北大街口袋公园", "龙凤北大街东侧", 1650, date(2022, 9, 6)),
    ("莲花池路街头游园", "莲花池路南侧闲置地块", 3500, date(2022, 9, 15)),
    ("西关街口袋公园", "西关街与永宁西路交叉口", 1200, date(2022, 9, 24)),
    ("红旗路街头游园", "红旗路北段", 2750, date(2022, 10, 8)),
    ("学府街街头游园", "学府街与马茂庄路交叉口", 3050, date(2022, 10, 19)),
    ("交口大街口袋公园", "交口大街中段", 1580, date(2022, 10, 30)),
    ("世纪大道街头游园", "世纪大道南侧闲置地块", 3900, date(2022, 11, 12)),
]
PARKS_OPEN: list[tuple[str, str, str, int, date | None]] = [
    ("北川河滨河公园（二期）", "北川河东岸", "park", 68000, None)
]
# Self-built houses inspected (自建房排查) from May, after the province's special campaign began: per township unit.
HOUSES = 36_852
HOUSE_MONTHS = (5, 6, 7, 8, 9, 10, 11, 12)
HOUSE_MONTH_SHARES = (0.13, 0.2, 0.19, 0.15, 0.12, 0.1, 0.07, 0.04)
BUSINESS_SHARE = 0.082


@dataclass(frozen=True)
class MajorProjectData:
    name: str
    category: str
    owner: str  # unit code
    total: Decimal  # 万元
    planned: Decimal  # this year's planned investment, 万元
    start: date | None
    finish: date | None  # planned completion
    status: str  # at the year's end
    completed_on: date | None = None
    is_key: bool = False
    # Share of the planned investment done by the year's end.
    done: float = 0.92


P = MajorProjectData
# The year's 33 major projects (重大项目), 68.43亿元 in all: the report's named ones first.
MAJOR_PROJECTS = [
    P(
        "交口煤业矿井兼并重组整合项目",
        "industry",
        "LS-GX",
        D("112300"),
        D("36800"),
        date(2020, 4, 1),
        date(2022, 9, 30),
        "completed",
        date(2022, 9, 26),
        True,
        1.0,
    ),
    P(
        "晋西北产业园区基础设施项目",
        "industry",
        "LS-FG",
        D("86500"),
        D("24600"),
        date(2021, 3, 15),
        date(2022, 11, 30),
        "completed",
        date(2022, 11, 22),
        True,
        1.0,
    ),
    P(
        "中心养老院建设项目",
        "social",
        "LS-MZ",
        D("18600"),
        D("7200"),
        date(2022, 3, 10),
        date(2023, 10, 31),
        "under_construction",
        None,
        True,
        0.96,
    ),
    P(
        "王营庄文旅小镇",
        "rural",
        "LS-WL",
        D("32800"),
        D("9800"),
        date(2021, 4, 20),
        date(2022, 8, 31),
        "completed",
        date(2022, 8, 18),
        True,
        1.0,
    ),
    P(
        "信义文旅综合体",
        "rural",
        "LS-WL",
        D("46500"),
        D("12600"),
        date(2022, 3, 1),
        date(2024, 6, 30),
        "under_construction",
        None,
        True,
        0.93,
    ),
    P(
        "大东沟野炊露营基地",
        "rural",
        "LS-WL",
        D("6800"),
        D("3900"),
        date(2022, 4, 15),
        date(2023, 5, 31),
        "under_construction",
        None,
        False,
        0.9,
    ),
    P(
        "野生红茶加工项目",
        "rural",
        "LS-NY",
        D("5200"),
        D("3100"),
        date(2022, 5, 8),
        date(2023, 6, 30),
        "under_construction",
        None,
        False,
        0.88,
    ),
    P(
        "大东川污水治理工程",
        "rural",
        "LS-HB",
        D("9600"),
        D("5400"),
        date(2022, 4, 1),
        date(2023, 9, 30),
        "under_construction",
        None,
        False,
        0.91,
    ),
    P(
        "李家沟棚户区改造项目",
        "urban",
        "LS-ZJ",
        D("42300"),
        D("6800"),
        date(2022, 10, 18),
        date(2024, 12, 31),
        "under_construction",
        None,
        True,
        0.85,
    ),
    P(
        "市区长输集中供热项目",
        "infrastructure",
        "LS-ZJ",
        D("58600"),
        D("9200"),
        date(2022, 9, 20),
        date(2024, 10, 31),
        "under_construction",
        None,
        True,
        0.87,
    ),
    P(
        "新城-东城-信义快速专线",
        "infrastructure",
        "LS-JT",
        D("42800"),
        D("3600"),
        date(2022, 11, 28),
        date(2025, 6, 30),
        "under_construction",
        None,
        True,
        0.8,
    ),
    P(
        "离石区第二中学教学楼改扩建工程",
        "social",
        "LS-JY",
        D("8600"),
        D("5200"),
        date(2022, 3, 20),
        date(2023, 8, 31),
        "under_construction",
    ),
    P(
        "区人民医院门诊医技综合楼",
        "social",
        "LS-WJ",
        D("26500"),
        D("8800"),
        date(2021, 6, 1),
        date(2023, 12, 31),
        "under_construction",
    ),
    P(
        "北川河生态修复及滨水景观工程",
        "urban",
        "LS-SL",
        D("21800"),
        D("7600"),
        date(2022, 3, 8),
        date(2023, 10, 31),
        "under_construction",
    ),
    P(
        "城区老旧小区改造工程（一期）",
        "urban",
        "LS-ZJ",
        D("15600"),
        D("9800"),
        date(2022, 4, 1),
        date(2022, 11, 30),
        "completed",
        date(2022, 11, 25),
        False,
        1.0,
    ),
    P(
        "永宁中路雨污分流管网改造工程",
        "infrastructure",
        "LS-CG",
        D("7400"),
        D("5200"),
        date(2022, 4, 10),
        date(2022, 10, 31),
        "completed",
        date(2022, 10, 28),
        False,
        1.0,
    ),
    P(
        "城北片区集中供热管网工程",
        "infrastructure",
        "LS-ZJ",
        D("9800"),
        D("6100"),
        date(2022, 4, 15),
        date(2022, 10, 15),
        "completed",
        date(2022, 10, 12),
        False,
        1.0,
    ),
    P(
        "吕梁新城商业综合体",
        "urban",
        "LS-SW",
        D("30600"),
        D("8200"),
        date(2021, 8, 1),
        date(2024, 6, 30),
        "under_construction",
    ),
    P(
        "久安路农产品冷链物流中心",
        "industry",
        "LS-SW",
        D("12800"),
        D("6400"),
        date(2022, 5, 1),
        date(2023, 7, 31),
        "under_construction",
    ),
    P(
        "田家会新能源汽车充电站",
        "infrastructure",
        "LS-GX",
        D("3600"),
        D("2800"),
        date(2022, 5, 20),
        date(2022, 12, 20),
        "completed",
        date(2022, 12, 16),
        False,
        1.0,
    ),
    P(
        "机场路物流仓储园",
        "industry",
        "LS-FG",
        D("16800"),
        D("5600"),
        date(2022, 6, 1),
        date(2023, 12, 31),
        "under_construction",
    ),
    P(
        "离石区光伏发电扶贫电站扩容项目",
        "industry",
        "LS-GX",
        D("11200"),
        D("7800"),
        date(2022, 3, 15),
        date(2022, 12, 31),
        "under_construction",
        None,
        False,
        0.94,
    ),
    P(
        "归化村农产品加工园",
        "rural",
        "LS-NY",
        D("4600"),
        D("3200"),
        date(2022, 4, 25),
        date(2023, 4, 30),
        "under_construction",
    ),
    P(
        "吴城镇小杂粮精深加工项目",
        "rural",
        "LS-NY",
        D("3800"),
        D("2600"),
        date(2022, 5, 12),
        date(2023, 3, 31),
        "under_construction",
    ),
    P(
        "区全民健身中心",
        "social",
        "LS-WL",
        D("12600"),
        D("4800"),
        date(2022, 6, 18),
        date(2023, 12, 31),
        "under_construction",
    ),
    P(
        "区第三幼儿园新建工程",
        "social",
        "LS-JY",
        D("4200"),
        D("2600"),
        date(2022, 4, 6),
        date(2023, 6, 30),
        "under_construction",
    ),
    P(
        "区应急物资储备库",
        "infrastructure",
        "LS-YJ",
        D("3100"),
        D("2400"),
        date(2022, 5, 3),
        date(2022, 12, 15),
        "completed",
        date(2022, 12, 10),
        False,
        1.0,
    ),
    P(
        "信义镇污水处理站",
        "rural",
        "LS-HB",
        D("2900"),
        D("2200"),
        date(2022, 4, 20),
        date(2022, 11, 30),
        "completed",
        date(2022, 11, 26),
        False,
        1.0,
    ),
    P(
        "凤山街道社区卫生服务中心",
        "social",
        "LS-WJ",
        D("2600"),
        D("1900"),
        date(2022, 5, 15),
        date(2023, 5, 31),
        "under_construction",
    ),
    P(
        "离石区智慧城市运营中心",
        "urban",
        "LS-GX",
        D("6800"),
        D("3600"),
        date(2022, 7, 1),
        date(2023, 9, 30),
        "under_construction",
    ),
    P(
        "北川河东岸防洪治理工程",
        "infrastructure",
        "LS-SL",
        D("8900"),
        D("5100"),
        date(2022, 3, 28),
        date(2023, 5, 31),
        "under_construction",
    ),
    P(
        "区档案馆新馆",
        "social",
        "LS-DA",
        D("4600"),
        D("2200"),
        date(2022, 8, 8),
        date(2023, 12, 31),
        "under_construction",
    ),
    P(
        "坪头乡中药材种植加工基地",
        "rural",
        "LS-NY",
        D("3500"),
        D("2400"),
        date(2022, 4, 1),
        date(2023, 3, 31),
        "under_construction",
    ),
]
MAJOR_PROJECTS_TOTAL = D("684300")
