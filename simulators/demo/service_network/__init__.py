"""The service network's part of ``gateway demo``: its simulator, jobs and catalogue file.

The flow: the bureau's catalogue (an XLSX export of its item-management system) is loaded from
the inbox and published on the platform; the portal's registrations are pulled; the local
handling rules decide what the desks do and when; those events are reported back.
``gateway report cases`` then tells how many registrations were handled within the limit.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from adapters.service_network.model import ITEM_TYPES, ONLINE_DEPTHS
from simulators.demo.config import DemoContext, DemoPart
from simulators.demo.service_network.data import CatalogueEntry, catalogue

INBOX_PLATFORM = {"adapter": "files", "options": {"inbox": "inbox", "outbox": "outbox"}}
CATALOGUE_FILE = "service-items-2022.xlsx"
SHEET = "事项目录"
COLUMNS = (
    "事项编码", "事项名称", "事项类型", "实施主体", "设定依据", "法定办结时限（工作日）",
    "承诺办结时限（工作日）", "网办深度", "是否跨省通办", "是否高频事项", "服务对象", "受理条件",
    "申请材料", "办理流程", "收费标准", "办理地点", "咨询电话",
)  # fmt: skip
REGISTRATIONS = 2551  # 今年前11个月，全州受理开办企业社会保险参保登记2551家
LICENCE_CASES = 48  # 人力资源服务许可 applications, most under 告知承诺 (not a report figure)
# The notice issued last before the report day (2022-11-30): on 1 November, for October.
NOTICE_MONTH = "2022-10"


def catalogue_row(entry: CatalogueEntry) -> list[str]:
    """One row as the item-management system exports it: labels, not codes."""
    return [
        entry.code,
        entry.name,
        ITEM_TYPES[entry.item_type],
        entry.implementer,
        entry.legal_basis,
        entry.statutory_days,
        entry.promised_days,
        ONLINE_DEPTHS[entry.online_depth],
        "是" if entry.cross_province else "否",
        "是" if entry.high_frequency else "否",
        entry.service_object,
        entry.conditions,
        entry.materials,
        entry.procedure,
        entry.charge,
        entry.place,
        entry.phone,
    ]


def write_catalogue_file(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = SHEET
    sheet.append(list(COLUMNS))
    for entry in catalogue():
        # Time limits stay text: "0.5" must not become the float 0.5 and come back as "0.5000…".
        sheet.append(catalogue_row(entry))
    workbook.save(path)


def demo_part(ctx: DemoContext) -> DemoPart:
    write_catalogue_file(ctx.inbox() / CATALOGUE_FILE)
    connection = {
        "base_url": ctx.platform_url(),
        "app_key": "bureau-demo",
        "app_secret": ctx.secret("service-network"),
        "signature": "hmac-sm3",
        "rate_limit": {"per_second": 100, "burst": 200},
        "options": {"calendar": {"working_hours": ["09:00-12:00", "13:00-17:00"]}},
    }
    return DemoPart(
        platforms={
            "service_network": {
                "adapter": "service_network",
                **connection,
                "simulator": {
                    "seed": ctx.seed,
                    "cases": REGISTRATIONS,
                    "licence_cases": LICENCE_CASES,
                },
            },
            # The stand-in for the bureau's own system reads the cases from the same platform.
            "bureau_handling": {"adapter": "bureau_handling", **connection},
            "inbox": INBOX_PLATFORM,
        },
        jobs={
            "sn-items-load": {
                "source": "inbox.items",
                "target": "store",
                "mapping": "files/items.yaml",
                "schedule": "every 1h",
                "options": {"pattern": "service-items*.xlsx", "sheet": SHEET, "settle_seconds": 1},
            },
            "sn-items-push": {
                "source": "store",
                "target": "service_network.items",
                "mapping": "service_network/items.push.yaml",
                "schedule": "every 1h",
                "batch_size": 500,
                "depends_on": ["sn-items-load"],
            },
            "sn-cases": {
                "source": "service_network.cases",
                "target": "store",
                "mapping": "service_network/cases.yaml",
                "schedule": "every 5m",
                "batch_size": 500,
            },
            "sn-handling": {
                "source": "bureau_handling.handling",
                "target": "store",
                "mapping": "service_network/handling.yaml",
                "schedule": "every 5m",
                "batch_size": 500,
                "depends_on": ["sn-cases"],
                "options": {"desks": 2},
            },
            "sn-case-events-push": {
                "source": "store",
                "target": "service_network.case_events",
                "mapping": "service_network/case_events.push.yaml",
                "schedule": "every 5m",
                "batch_size": 500,
                "depends_on": ["sn-handling", "sn-items-push"],
            },
            "sn-justice-notice": {
                "source": "store",
                "target": "service_network.justice_notice",
                "mapping": "service_network/justice_notice.push.yaml",
                "schedule": "first working day of month 09:00",
                "depends_on": ["sn-case-events-push"],
                "options": {"outbox": "outbox/justice", "month": NOTICE_MONTH},
            },
        },
    )
