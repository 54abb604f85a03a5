"""What the platform checks before it accepts a record, and the codes it rejects with.

Reasons are the platform's words (Chinese, as its interface document has them) and never quote
a value: a value may be an ID number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from gateway.codes import code_table, is_valid_id_number, is_valid_uscc

CODE_PATTERN = re.compile(r"[0-9A-Z][0-9A-Z-]{3,39}", re.ASCII)
RESULT_TABLE = "inspection_result"


@dataclass(frozen=True)
class Rejection:
    code: str
    reason: str


Check = Callable[[Mapping[str, Any]], Rejection | None]

INVALID_FIELD = "INVALID_FIELD"
INVALID_USCC = "INVALID_USCC"
INVALID_ID_NUMBER = "INVALID_ID_NUMBER"
UNKNOWN_CHECK_ITEM = "UNKNOWN_CHECK_ITEM"
UNKNOWN_TASK = "UNKNOWN_TASK"
SUBJECT_NOT_DRAWN = "SUBJECT_NOT_DRAWN"
UNKNOWN_INSPECTOR = "UNKNOWN_INSPECTOR"
INVALID_RESULT_CODE = "INVALID_RESULT_CODE"
INVALID_DATE = "INVALID_DATE"


def _missing(record: Mapping[str, Any], *fields: str) -> Rejection | None:
    for name in fields:
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            return Rejection(INVALID_FIELD, f"{name} 不能为空")
    return None


def _code(record: Mapping[str, Any], name: str) -> Rejection | None:
    if CODE_PATTERN.fullmatch(str(record.get(name))) is None:
        return Rejection(INVALID_FIELD, f"{name} 格式不正确 (4-40 位大写字母、数字或连字符)")
    return None


def _uscc(record: Mapping[str, Any]) -> Rejection | None:
    if not is_valid_uscc(str(record.get("uscc"))):
        return Rejection(INVALID_USCC, "统一社会信用代码不符合 GB 32100 (格式或校验码错误)")
    return None


def check_item(record: Mapping[str, Any]) -> Rejection | None:
    return _missing(record, "itemCode", "itemName") or _code(record, "itemCode")


def check_subject(record: Mapping[str, Any]) -> Rejection | None:
    return _missing(record, "uscc", "name") or _uscc(record)


def check_inspector(record: Mapping[str, Any]) -> Rejection | None:
    found = _missing(record, "certNo", "name", "idNumber") or _code(record, "certNo")
    if found is None and not is_valid_id_number(str(record["idNumber"])):
        return Rejection(
            INVALID_ID_NUMBER, "公民身份号码不符合 GB 11643 (格式、出生日期或校验码错误)"
        )
    return found


def _day(record: Mapping[str, Any], name: str) -> date | None:
    value = record.get(name)
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _dates(record: Mapping[str, Any]) -> Rejection | None:
    checked, published = _day(record, "checkDate"), _day(record, "publishDate")
    if checked is None or published is None:
        return Rejection(INVALID_DATE, "checkDate 和 publishDate 须为 YYYY-MM-DD")
    if published < checked:
        return Rejection(INVALID_DATE, "公示日期不能早于检查日期")
    return None


def result_checker(
    tasks: Mapping[str, Mapping[str, Any]], items: Container[str], inspectors: Container[str]
) -> Check:
    """The results check, against the tasks drawn and the directories held at call time."""
    results = code_table(RESULT_TABLE)

    def check(record: Mapping[str, Any]) -> Rejection | None:
        found = _missing(record, "taskId", "uscc", "itemCode", "resultCode")
        if found is not None:
            return found
        task = tasks.get(str(record["taskId"]))
        if task is None:
            return Rejection(UNKNOWN_TASK, "抽查任务不存在")
        if record["itemCode"] not in items:
            return Rejection(UNKNOWN_CHECK_ITEM, "抽查事项不在事项清单中")
        if record["itemCode"] != task["itemCode"]:
            return Rejection(UNKNOWN_CHECK_ITEM, "抽查事项与任务的事项不一致")
        found = _uscc(record)
        if found is not None:
            return found
        if record["uscc"] not in task["subjects"]:
            return Rejection(SUBJECT_NOT_DRAWN, "该检查对象不在本任务的抽取名单中")
        team = record.get("inspectors")
        if not isinstance(team, list) or not team:
            return Rejection(INVALID_FIELD, "inspectors 须为非空的执法证号列表")
        if any(not isinstance(cert, str) or cert not in inspectors for cert in team):
            return Rejection(UNKNOWN_INSPECTOR, "执法人员不在执法检查人员名录库中")
        if record["resultCode"] not in results:
            return Rejection(INVALID_RESULT_CODE, "检查结果代码不在抽查检查结果代码表中")
        return _dates(record)

    return check
