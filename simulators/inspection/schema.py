"""The platform's records as its interface document describes them.

These models document the API (the simulator's OpenAPI file is generated from them); the routes
parse bodies themselves so that one bad record is answered as a rejection, not a refused batch.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.inspection.streams import MAX_BATCH

KEY = Field(description="Unique per record version; a resend with the same key is not re-applied")


class CheckItem(BaseModel):
    """抽查事项: one entry of the bureau's random-check item list."""

    idempotencyKey: str = KEY
    itemCode: str = Field(description="事项编码, unique on the platform")
    itemName: str = Field(description="事项名称")
    itemType: str | None = Field(None, description="检查类别: 一般检查事项 or 重点检查事项")
    checkMethod: str | None = Field(None, description="检查方式, e.g. 书面检查, 实地核查")
    legalBasis: str | None = Field(None, description="检查依据")
    department: str | None = Field(None, description="实施主体")
    subjectType: str | None = Field(None, description="检查对象类型 code")


class Subject(BaseModel):
    """检查对象: one supervised object of the directory, keyed by its USCC."""

    idempotencyKey: str = KEY
    uscc: str = Field(description="统一社会信用代码 (GB 32100; check character verified)")
    name: str = Field(description="单位名称")
    subjectType: str | None = Field(None, description="对象类型 code")
    regionCode: str | None = Field(None, description="所在地 (GB/T 2260)")
    address: str | None = Field(None, description="地址")


class Inspector(BaseModel):
    """执法检查人员: one inspector of the directory, keyed by enforcement certificate number."""

    idempotencyKey: str = KEY
    certNo: str = Field(description="执法证号")
    name: str = Field(description="姓名 (personal data)")
    idNumber: str = Field(description="公民身份号码 (GB 11643; personal data)")
    department: str | None = Field(None, description="所属单位")
    mobile: str | None = Field(None, description="手机号码 (personal data)")


class Result(BaseModel):
    """抽查结果: the outcome of one drawn subject of one task, published on the platform."""

    idempotencyKey: str = KEY
    taskId: str = Field(description="The task the platform drew")
    uscc: str = Field(description="A subject drawn for that task")
    itemCode: str = Field(description="The task's check item")
    checkDate: str = Field(description="检查日期, YYYY-MM-DD")
    resultCode: str = Field(description="检查结果 code (01 未发现问题 … 99 其他)")
    inspectors: list[str] = Field(description="执法证号 of the inspectors who checked")
    publishDate: str = Field(description="公示日期, YYYY-MM-DD, not before the check")
    remark: str | None = Field(None, description="结果说明")


class CheckItemBatch(BaseModel):
    items: list[CheckItem] = Field(max_length=MAX_BATCH)


class SubjectBatch(BaseModel):
    items: list[Subject] = Field(max_length=MAX_BATCH)


class InspectorBatch(BaseModel):
    items: list[Inspector] = Field(max_length=MAX_BATCH)


class ResultBatch(BaseModel):
    items: list[Result] = Field(max_length=MAX_BATCH)


class PushAnswer(BaseModel):
    """What became of one record: accepted with a receipt, or rejected with a code and reason."""

    idempotencyKey: str
    status: Literal["accepted", "rejected"]
    receiptNo: str | None = None
    code: str | None = Field(None, description="Rejection code, e.g. INVALID_USCC")
    reason: str | None = None


class PushAnswers(BaseModel):
    results: list[PushAnswer]


class Task(BaseModel):
    """抽查任务: one check the platform drew, with its subjects and inspectors."""

    taskId: str
    taskName: str
    itemCode: str
    drawnAt: str = Field(description="抽取时间, YYYY-MM-DD HH:mm:ss (Beijing time)")
    deadline: str = Field(description="完成期限, YYYY-MM-DD")
    subjects: list[str] = Field(description="USCCs of the drawn subjects")
    inspectors: list[str] = Field(description="执法证号 of the drawn inspectors")
    updatedAt: str = Field(
        description="YYYY-MM-DD HH:mm:ss; the list is ordered by it, then taskId"
    )


class TaskCursor(BaseModel):
    updated_since: str
    after_key: str


class TaskPage(BaseModel):
    items: list[Task]
    has_more: bool
    next: TaskCursor | None = None


class TaskRange(BaseModel):
    """Tasks of a taskId range, in taskId order."""

    items: list[Task]
    has_more: bool
    next: RangeCursor | None = None


class RangeCursor(BaseModel):
    """Where the next page of a range starts: pass it back as ``after_key``."""

    after_key: str


class TaskMutation(BaseModel):
    """Change, delete and add drawn tasks behind the gateway's back (a reconciliation test)."""

    model_config = ConfigDict(extra="forbid")

    change: int = Field(0, ge=0)
    delete: int = Field(0, ge=0)
    add: int = Field(0, ge=0)
    seed: int = 0


class TaskMutated(BaseModel):
    changed: list[str]
    deleted: list[str]
    added: list[str]
