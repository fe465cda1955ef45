"""The vocabulary of the exported files.

Exports and monthly reports are Chinese documents (the 12345 centre's official reporting format) whatever the
interface language of the person who clicks, so their headings are fixed here rather than translated per request.
"""

from __future__ import annotations

ORDER_HEADERS = (
    ("编号", 18),
    ("标题", 36),
    ("状态", 12),
    ("类型", 8),
    ("分类", 36),
    ("渠道", 10),
    ("紧急程度", 8),
    ("受理时间", 17),
    ("签收期限", 17),
    ("办结期限", 17),
    ("办结时间", 17),
    ("主办单位", 16),
    ("来电人", 10),
    ("电话", 14),
    ("地址", 36),
    ("是否超期", 8),
    ("退单次数", 8),
    ("回访时间", 17),
    ("回访结果", 10),
    ("满意度", 10),
)

STATUS = {
    "new": "待派单",
    "dispatched": "待签收",
    "handling": "办理中",
    "returned": "退单待审",
    "replied": "待回访",
    "merged": "已并单",
    "closed": "已办结",
    "cancelled": "已撤销",
}
CHANNEL = {"phone": "电话", "web": "网站/移动端", "api": "接口", "open311": "Open311", "other": "信件/其他"}
URGENCY = {"normal": "一般", "urgent": "紧急", "very_urgent": "特急"}
SATISFACTION = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
YES_NO = {True: "是", False: "否"}
RESOLVED = {True: "已解决", False: "未解决"}

RATE_LABELS = {
    "sign_on_time": "按时签收率",
    "finish_on_time": "按时办结率",
    "response": "响应率",
    "resolution": "解决率",
    "satisfaction": "满意率",
    "return": "退单率",
    "repeat_call": "重复来电率",
    "visit": "回访率",
}
RATE_KEYS = tuple(RATE_LABELS)

REPORT_TITLE = "12345热线月度报告"
MONTHLY_FILE_PREFIX = "12345月度报告"

# 办件台账: one row per application.
APPLICATION_HEADERS = (
    ("办件编号", 20),
    ("事项编码", 22),
    ("事项名称", 30),
    ("办理单位", 16),
    ("申请渠道", 10),
    ("申请人", 10),
    ("电话", 14),
    ("证件号码", 20),
    ("状态", 14),
    ("提交时间", 17),
    ("受理时间", 17),
    ("办结期限", 17),
    ("办结时间", 17),
    ("是否按时办结", 12),
    ("送达时间", 17),
    ("中止天数", 8),
    ("办理结果", 10),
)
APPLICATION_STATUS = {
    "submitted": "待受理",
    "correction": "待补正",
    "refused": "不予受理",
    "handling": "办理中",
    "suspended": "中止",
    "approved": "准予，待送达",
    "denied": "不予准许，待送达",
    "closed": "已办结",
}
APPLICATION_CHANNEL = {"window": "窗口", "online": "网上申报"}
# The outcome: the decision (kept after delivery), or the refusal to accept.
APPLICATION_RESULT = {"approved": "准予", "denied": "不予准许", "refused": "不予受理"}
# Decided by the decision deadline; an undecided application past it is 已超期.
ON_TIME = {True: "是", False: "否", None: ""}
OVERDUE_OPEN = "已超期"
APPLICATIONS_SHEET = "办件台账"

# The monthly report's 政务服务办件 section: the statistics' application rates and steps, by their keys.
APPLICATION_RATE_LABELS = {
    "acceptance": "受理率",
    "correction": "补正率",
    "refusal": "不予受理率",
    "on_time": "按时办结率",
    "approval": "准予率",
}
APPLICATION_RATE_FORMULAS = {
    "acceptance": "受理的办件数 ÷ 收件数",
    "correction": "曾要求补正材料的办件数 ÷ 收件数",
    "refusal": "不予受理的办件数 ÷ 收件数",
    "on_time": "在办结期限（含中止顺延）内作出决定的办件数 ÷ 已作出决定的办件数",
    "approval": "准予的办件数 ÷ 已作出决定的办件数",
}
APPLICATION_STEP_LABELS = {
    "acceptance": "待受理",
    "correction": "待补正",
    "unit": "单位办理",
    "suspension": "中止",
    "delivery": "待送达",
}
APPLICATION_TOTAL_LABELS = (
    ("received", "收件量"),
    ("accepted", "受理量"),
    ("decided", "办结量"),
    ("decided_on_time", "按时办结量"),
    ("overdue_open", "超期在办"),
)
TOP_ROWS = 10

# The 好差评 section: levels of 国办发〔2019〕51号, and the rating channels.
EVALUATION_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
EVALUATION_CHANNEL = {"web": "网站", "link": "评价链接", "pad": "评价器/电话", "api": "接口", "sms": "短信"}
CASE_KIND = {"workorder": "工单", "application": "办件", "rectification": "整改"}
