"""The service network's records as its interface document describes them.

These models document the API (the simulator's OpenAPI file is generated from them); routes
parse bodies themselves, so one bad record is answered as a rejection, not a refused batch.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.service_network.streams import MAX_BATCH

KEY = Field(description="Unique per record version; a resend with the same key is not re-applied")


class PublishedItem(BaseModel):
    """政务服务事项: one entry of the bureau's catalogue, with its guide (办事指南)."""

    itemCode: str = Field(description="事项编码: DB52/T 1264-2018 basic code, 2 letters + 8 digits")
    itemName: str = Field(description="事项名称")
    itemType: str = Field(description="事项类型: XK 行政许可, CF 行政处罚, … GG 公共服务")
    implementer: str = Field(description="实施主体")
    legalBasis: str = Field(description="设定依据")
    statutoryLimit: str = Field(description="法定办结时限, working days")
    promisedLimit: str = Field(description="承诺办结时限, working days, not over the statutory")
    onlineDepth: Literal["1", "2", "3", "4"] = Field(
        description="网办深度: 1 线下办理, 2 网上预审, 3 网上受理, 4 全程网办"
    )
    crossProvince: Literal["0", "1"] = Field(description="跨省通办: 1 yes")
    serviceObject: str | None = Field(None, description="服务对象: 自然人, 法人, or both")
    conditions: str | None = Field(None, description="受理条件")
    materials: str | None = Field(None, description="申请材料")
    procedure: str | None = Field(None, description="办理流程")
    charge: str | None = Field(None, description="收费标准")
    place: str | None = Field(None, description="办理地点")
    consultPhone: str | None = Field(None, description="咨询电话")


class CatalogueItem(PublishedItem):
    """A catalogue entry as the bureau submits it."""

    idempotencyKey: str = KEY


class Case(BaseModel):
    """办件: one application the one-stop portal received, with the applicant's data."""

    caseNo: str = Field(description="办件编号: region code, receipt date, daily sequence")
    itemCode: str
    itemName: str
    promisedLimit: str = Field(description="承诺办结时限 of the item, working days")
    receiveTime: str = Field(description="收件时间, yyyy-MM-dd HH:mm:ss, Asia/Shanghai")
    channel: str = Field(description="申报渠道: 01 portal, 02 mobile app, 03 service-hall window")
    applicantType: str = Field(description="申请人类型: 1 自然人, 2 法人")
    entName: str = Field(description="单位名称")
    entUscc: str = Field(description="统一社会信用代码")
    establishDate: str = Field(description="成立日期, yyyyMMdd")
    entAddress: str
    legalRepName: str = Field(description="法定代表人 (personal data)")
    contactName: str = Field(description="经办人 (personal data)")
    contactIdNo: str = Field(description="经办人身份证号 (personal data)")
    contactMobile: str = Field(description="经办人手机 (personal data)")
    insuredCount: int = Field(description="参保职工人数")
    materialsComplete: Literal["0", "1"] = Field(description="申请材料是否齐全")
    missingMaterial: str = Field(description="所缺材料, empty when complete")
    notifyCommit: Literal["0", "1"] | None = Field(
        None, description="告知承诺制: 1 when the applicant replaced proofs by a commitment"
    )
    commitItems: str | None = Field(
        None, description="承诺事项, codes joined by ',': 01 场所使用权证明, 02 专职工作人员证明"
    )
    caseStatus: str = Field(description="0 待受理, 1 已受理, 2 已准予, 3 不予, 4 已办结")
    updateTime: str = Field(description="更新时间, yyyy-MM-dd HH:mm:ss.SSS")


class CaseEvent(BaseModel):
    """办件过程信息: one step the bureau took on a case."""

    idempotencyKey: str = KEY
    caseNo: str
    eventType: Literal["1", "2", "3", "4"] = Field(
        description="1 受理, 2 准予, 3 不予, 4 办结; in that order (2 or 3, not both)"
    )
    eventTime: str = Field(description="yyyy-MM-dd HH:mm:ss, not before the previous step")
    handlerDept: str | None = Field(None, description="办理部门")
    handlerCode: str | None = Field(None, description="办理窗口或人员编号")
    opinion: str | None = Field(None, description="办理意见; required for 3 不予")
    dueTime: str | None = Field(None, description="办结期限 the bureau counts, yyyy-MM-dd HH:mm:ss")
    dueProvisional: bool | None = Field(
        None,
        description="true when the due time was counted through a year whose holiday notice "
        "the bureau's calendar lacks; a later resend with a definite due time corrects it",
    )


class ItemBatch(BaseModel):
    items: list[CatalogueItem] = Field(max_length=MAX_BATCH)


class EventBatch(BaseModel):
    items: list[CaseEvent] = Field(max_length=MAX_BATCH)


class PushAnswer(BaseModel):
    idempotencyKey: str
    status: Literal["accepted", "rejected"]
    receiptNo: str | None = None
    code: str | None = Field(None, description="Why a record was rejected")
    reason: str | None = None


class PushAnswers(BaseModel):
    results: list[PushAnswer]


class CataloguePage(BaseModel):
    items: list[PublishedItem]
    total: int
    page_no: int
    page_size: int


class Position(BaseModel):
    updated_since: str
    after_key: str


class CasePage(BaseModel):
    items: list[Case]
    has_more: bool
    next: Position | None = Field(description="Pass as updated_since and after_key")


class CaseRange(BaseModel):
    """Cases of a caseNo range, in caseNo order."""

    items: list[Case]
    has_more: bool
    next: RangeCursor | None = None


class RangeCursor(BaseModel):
    """Where the next page of a range starts: pass it back as ``after_key``."""

    after_key: str


class CaseMutation(BaseModel):
    """Change, delete and add cases behind the gateway's back (a reconciliation test)."""

    model_config = ConfigDict(extra="forbid")

    change: int = Field(0, ge=0)
    delete: int = Field(0, ge=0)
    add: int = Field(0, ge=0)
    seed: int = 0


class CaseMutated(BaseModel):
    changed: list[str]
    deleted: list[str]
    added: list[str]
