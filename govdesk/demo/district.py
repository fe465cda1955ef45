"""A demo district shaped like Lishi (离石区, 吕梁市, 山西省): its units, place names, dispatch catalogue and accounts.

Data, not logic: a deployment for another district loads its own units and catalogue through the admin or
`catalog_import`; only this demo writes these.
"""

from __future__ import annotations

from dataclasses import dataclass

from govdesk.org.models import Role

GOVERNMENT = ("LS", "离石区人民政府")
CENTRE = ("LS-12345", "离石区12345政务服务便民热线中心")
# The district government service hall: its window clerks accept applications (一窗受理); it takes no work orders.
SERVICE_HALL = ("LS-ZWFW", "区政务服务中心")

# code, name (委办局)
DEPARTMENTS: list[tuple[str, str]] = [
    ("LS-ZFB", "区政府办公室"),
    ("LS-FG", "区发展和改革局"),
    ("LS-GX", "区工业和信息化局"),
    ("LS-JY", "区教育局"),
    ("LS-GA", "市公安局离石分局"),
    ("LS-MZ", "区民政局"),
    ("LS-SF", "区司法局"),
    ("LS-CZ", "区财政局"),
    ("LS-RS", "区人力资源和社会保障局"),
    ("LS-ZR", "区自然资源局"),
    ("LS-HB", "市生态环境局离石分局"),
    ("LS-ZJ", "区住房和城乡建设局"),
    ("LS-CG", "区城市管理局"),
    ("LS-JT", "区交通运输局"),
    ("LS-SL", "区水利局"),
    ("LS-NY", "区农业农村局"),
    ("LS-SW", "区商务局"),
    ("LS-WL", "区文化和旅游局"),
    ("LS-WJ", "区卫生健康局"),
    ("LS-YJ", "区应急管理局"),
    ("LS-SJ", "区市场监督管理局"),
    ("LS-JW", "区纪委监委"),
    ("LS-YB", "区医疗保障局"),
    # City-level bodies with a district office or branch, in the district's tree like the police and ecology branches.
    ("LS-GJJ", "吕梁市住房公积金管理中心离石管理部"),
    ("LS-SWJ", "国家税务总局吕梁市离石区税务局"),
    ("LS-CL", "区残疾人联合会"),
    ("LS-TY", "区退役军人事务局"),
    # Construction approval (工程建设项目审批): civil air defence design review and acceptance, project archives.
    ("LS-RF", "区人民防空办公室"),
    ("LS-DA", "区档案馆"),
]


@dataclass(frozen=True)
class Street:
    code: str
    name: str
    # Roads, neighbourhoods and villages in the street's area: `street_for_address` matches addresses on them.
    places: tuple[str, ...]
    communities: tuple[str, ...]


STREETS: list[Street] = [
    Street(
        "LS-BH",
        "滨河街道",
        ("滨河北路", "滨河南路", "永宁中路", "龙凤南大街", "北川河东岸"),
        ("滨河社区", "永宁社区", "龙凤社区"),
    ),
    Street(
        "LS-FS", "凤山街道", ("凤山路", "七一路", "东关街", "凤山公园", "城内街"), ("凤山社区", "七一社区", "东关社区")
    ),
    Street(
        "LS-CB",
        "城北街道",
        ("北川路", "久安路", "世纪大道", "龙凤北大街", "乔家沟"),
        ("北川社区", "久安社区", "世纪社区"),
    ),
    Street(
        "LS-LHC", "莲花池街道", ("莲花池路", "西关街", "永宁西路", "袁家庄"), ("莲花池社区", "西关社区", "袁家庄社区")
    ),
    Street("LS-TJH", "田家会街道", ("田家会", "307国道田家会段", "红旗路", "东川河西岸"), ("田家会社区", "红旗社区")),
    Street(
        "LS-XSB", "西属巴街道", ("西属巴", "学府街", "马茂庄", "吕梁学院东门"), ("西属巴社区", "学府社区", "马茂庄社区")
    ),
    Street("LS-JK", "交口街道", ("交口村", "交口大街", "石门墕", "机场路"), ("交口社区", "石门墕村")),
    Street("LS-XY", "信义镇", ("信义村", "归化村", "信义文旅综合体"), ("信义村", "归化村")),
    Street("LS-WC", "吴城镇", ("吴城村", "向阳村", "吴城老街"), ("吴城村", "向阳村")),
    Street("LS-PT", "坪头乡", ("坪头村", "彩家庄", "大东沟"), ("坪头村", "彩家庄村")),
    Street("LS-HYC", "红眼川乡", ("红眼川村", "王营庄", "大东川"), ("红眼川村", "王营庄村")),
    Street("LS-ZL", "枣林乡", ("枣林村", "五里铺", "李家沟"), ("枣林村", "五里铺村")),
]

# The dispatch catalogue (派单目录): category path → (unit code, by_place). The most specific rule wins; by_place
# sends local matters to the street of the address and falls back to the unit when no street matches.
DISPATCH_RULES: list[tuple[str, str, bool]] = [
    ("城乡建设", "LS-ZJ", False),
    ("城乡建设/城市建设和市政管理", "LS-CG", True),
    ("城乡建设/城市建设和市政管理/自来水供应", "LS-SL", False),
    ("城乡建设/城市建设和市政管理/燃气供应", "LS-ZJ", False),
    ("城乡建设/城市建设和市政管理/冬季采暖", "LS-ZJ", False),
    ("城乡建设/城市建设和市政管理/公共汽车", "LS-JT", False),
    ("城乡建设/城市建设和市政管理/电力供应", "LS-GX", False),
    ("城乡建设/住房保障与房地产", "LS-ZJ", False),
    ("城乡建设/住房保障与房地产/物业服务", "LS-ZJ", True),
    ("城乡建设/住房保障与房地产/修缮装修", "LS-ZJ", True),
    ("城乡建设/城乡规划", "LS-ZR", False),
    ("城乡建设/集体土地上房屋拆迁与补偿", "LS-ZR", False),
    ("城乡建设/村镇建设", "LS-NY", True),
    ("城乡建设/安全生产", "LS-YJ", False),
    ("劳动和社会保障", "LS-RS", False),
    ("劳动和社会保障/城镇居民社会保险/城镇居民医疗保险", "LS-YB", False),
    ("劳动和社会保障/城镇居民社会保险/新农村合作医疗", "LS-YB", False),
    ("劳动和社会保障/城镇职工社会保险/职工医疗保险", "LS-YB", False),
    ("劳动和社会保障/工资福利/住房公积金", "LS-GJJ", False),
    ("城乡建设/住房保障与房地产/住房公积金", "LS-GJJ", False),
    ("经济管理/金融财税/税收征管", "LS-SWJ", False),
    ("民政/优抚", "LS-TY", False),
    ("民政/复退安置", "LS-TY", False),
    ("教育文体", "LS-JY", False),
    ("教育文体/体育", "LS-WL", False),
    ("教育文体/文化", "LS-WL", False),
    ("教育文体/文物管理", "LS-WL", False),
    ("商贸旅游", "LS-SW", False),
    ("商贸旅游/市场监管", "LS-SJ", False),
    ("商贸旅游/质监检验检疫", "LS-SJ", False),
    ("商贸旅游/旅游管理", "LS-WL", False),
    ("环境保护", "LS-HB", False),
    ("卫生计生", "LS-WJ", False),
    ("卫生计生/食品药品监管", "LS-SJ", False),
    ("交通运输", "LS-JT", False),
    ("国土资源", "LS-ZR", False),
    ("民政", "LS-MZ", False),
    ("民政/基层选举和社区建设", "LS-MZ", True),
    ("政法", "LS-GA", False),
    ("政法/法律服务", "LS-SF", False),
    ("政法/法制建设", "LS-SF", False),
    ("政法/仲裁与调解", "LS-SF", False),
    ("政法/行政复议", "LS-SF", False),
    ("农村农业", "LS-NY", False),
    ("农村农业/水利水电", "LS-SL", False),
    ("农村农业/林业管理", "LS-ZR", False),
    ("农村农业/村务管理", "LS-NY", True),
    ("党务政务", "LS-ZFB", False),
    ("纪检监察", "LS-JW", False),
    ("经济管理", "LS-FG", False),
    ("经济管理/金融财税", "LS-CZ", False),
    ("经济管理/安全生产", "LS-YJ", False),
    ("科技与信息产业", "LS-GX", False),
]


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    unit_code: str | None
    display_name: str


# One account per role (the list), plus a unit administrator and a street handler.
ACCOUNTS: list[Account] = [
    Account("operator", Role.OPERATOR, CENTRE[0], "话务员 刘芳"),
    Account("dispatcher", Role.DISPATCHER, CENTRE[0], "派单员 王强"),
    Account("supervisor", Role.SUPERVISOR, CENTRE[0], "督办员 赵敏"),
    Account("leader", Role.LEADER, GOVERNMENT[0], "区政府领导 孙立"),
    Account("handler_a", Role.HANDLER, "LS-ZJ", "住建局承办人 李伟"),
    Account("handler_b", Role.HANDLER, "LS-RS", "人社局承办人 张静"),
    Account("street_handler", Role.HANDLER, "LS-BH", "滨河街道承办人 陈刚"),
    Account("unit_admin", Role.UNIT_ADMIN, "LS-ZJ", "住建局单位管理员 杨帆"),
    Account("citizen", Role.CITIZEN, None, "市民 郭小红"),
    Account("clerk", Role.WINDOW_CLERK, SERVICE_HALL[0], "政务服务中心综合窗口 周婷"),
    Account("applicant", Role.CITIZEN, None, "申请人 马建国"),
    Account("sysadmin", Role.SYSADMIN, None, "系统管理员"),
    Account("secadmin", Role.SECADMIN, None, "安全管理员"),
    Account("auditor", Role.AUDITOR, None, "审计管理员"),
]


def unit_handler_username(unit_code: str) -> str:
    """Every other unit that takes orders gets one handler, e.g. `handler_cg` for LS-CG."""
    return "handler_" + unit_code.removeprefix("LS-").lower()
