"""The service network's vocabulary: item types, online depth, case and event codes.

Shared by the client streams, the simulator and the demo data, so the three cannot drift.
Item codes follow Guizhou's local standard DB52/T 1264-2018: a 10-character basic code, two
letters naming the item type and eight digits (five for the item, three for the sub-item),
e.g. ``XK00012001``. Codes stay opaque strings: another province's pattern is a setting.
"""

from __future__ import annotations

from typing import Final

# The two letters of a basic code, and the item type they stand for.
ITEM_TYPES: Final = {
    "XK": "行政许可",
    "CF": "行政处罚",
    "QZ": "行政强制",
    "ZS": "行政征收",
    "JF": "行政给付",
    "JC": "行政检查",
    "QR": "行政确认",
    "JL": "行政奖励",
    "CJ": "行政裁决",
    "QT": "其他行政权力",
    "GG": "公共服务",
}
DEFAULT_ITEM_CODE_PATTERN: Final = r"[A-Z]{2}\d{5}\d{3}"

# 网上办理深度: how far an application can go online; depth 4 is 全程网办 (fully online).
ONLINE_DEPTHS: Final = {"1": "线下办理", "2": "网上预审", "3": "网上受理", "4": "全程网办"}
FULLY_ONLINE: Final = "4"

# Case events as the platform codes them: 1 and 4 once each, 2 or 3 in between.
EVENT_LABELS: Final = {"1": "受理", "2": "准予", "3": "不予", "4": "办结"}
# Case status after each event; "0" is 待受理 (submitted, nothing done yet).
SUBMITTED: Final = "0"
STATUS_LABELS: Final = {"0": "待受理", "1": "已受理", "2": "已准予", "3": "不予", "4": "已办结"}
# Which status each event may follow.
EVENT_REQUIRES: Final = {"1": ("0",), "2": ("1",), "3": ("1",), "4": ("2", "3")}

CHANNELS: Final = {"01": "一网通办门户", "02": "移动端", "03": "政务大厅窗口"}

TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"

# The catalogue item the one-stop portal files enterprise social-insurance registrations under.
REGISTRATION_ITEM_CODE: Final = "GG00101001"
REGISTRATION_ITEM_NAME: Final = "企业开办社会保险参保登记"
# Its promised time limit (承诺办结时限) in working days, as the catalogue publishes it.
REGISTRATION_ITEM_LIMIT: Final = "0.5"

# The human-resources-service licence (人力资源服务许可) for job placement, as the catalogue
# codes it, and the two proofs its applicant may replace by a signed commitment under the
# notification-and-commitment system (证明事项告知承诺制), by the platform's codes.
LICENCE_ITEM_CODE: Final = "XK00002000"
LICENCE_ITEM_NAME: Final = "经营性人力资源服务机构从事职业中介活动许可"
LICENCE_ITEM_LIMIT: Final = "10"
COMMITMENTS: Final = {"01": "场所使用权证明", "02": "专职工作人员证明"}
