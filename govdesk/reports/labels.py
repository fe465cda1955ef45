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
