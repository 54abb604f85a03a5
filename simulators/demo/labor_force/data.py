"""The bureau's job postings for the demo: 95,100 entered over the years, 18,800 valid on
2022-11-30 (the figures of its 2022 report), scaled with the demo's population."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from simulators.labor_force.employers import COUNTIES, employers

POSTINGS = 95_100  # 累计录入岗位9.51万个
VALID_POSTINGS = 18_800  # 目前有效岗位1.88万个
REPORT_DAY = date(2022, 11, 30)
FIRST_DAY = date(2015, 1, 1)
PERSONS = 2_247_000  # the population these figures belong to
COLUMNS = (
    "岗位编号", "岗位名称", "招聘单位", "统一社会信用代码", "招聘人数", "最低年龄",
    "最高年龄", "工作地点", "发布日期", "截止日期", "最低月薪", "最高月薪", "联系电话",
)  # fmt: skip
_TITLES = (
    "普工", "电工", "焊工", "厨师", "服务员", "保安", "司机", "仓管员", "营业员", "会计",
    "护理员", "建筑工", "缝纫工", "快递员", "导游", "销售代表", "技术员", "保洁员",
)  # fmt: skip
_TOWNS = (
    "凯里市", "黄平县", "施秉县", "三穗县", "镇远县", "岑巩县", "天柱县", "锦屏县",
    "剑河县", "台江县", "黎平县", "榕江县", "从江县", "雷山县", "麻江县", "丹寨县",
)  # fmt: skip


def scaled(size: int) -> tuple[int, int]:
    """(postings, valid) for a demo of ``size`` persons: the report's figures at full size."""
    if size >= PERSONS:
        return POSTINGS, VALID_POSTINGS
    return max(1, round(POSTINGS * size / PERSONS)), max(1, round(VALID_POSTINGS * size / PERSONS))


def posting_rows(count: int, valid: int, seed: int, on: date = REPORT_DAY) -> list[list[str]]:
    """``count`` postings, ``valid`` of them valid on ``on`` and the rest expired before it."""
    rng = random.Random(f"postings:{seed}")
    known = employers(seed)
    current = set(rng.sample(range(count), valid))
    span = (on - timedelta(days=31) - FIRST_DAY).days
    rows = []
    for n in range(count):
        if n in current:
            start = on - timedelta(days=rng.randint(0, 180))
            end = on + timedelta(days=rng.randint(0, 180))
        else:
            start = FIRST_DAY + timedelta(days=rng.randint(0, span))
            end = min(start + timedelta(days=rng.randint(30, 365)), on - timedelta(days=1))
        employer = known[rng.randrange(len(known))]
        age_min = rng.randint(16, 35)
        salary_min = rng.randrange(2000, 6001, 100)
        rows.append(
            [
                f"GW{start.year}{n + 1:07d}",
                _TITLES[rng.randrange(len(_TITLES))],
                employer.name,
                employer.uscc,
                str(rng.randint(1, 50)),
                str(age_min),
                str(min(70, age_min + rng.randint(10, 30))),
                _TOWNS[COUNTIES.index(employer.county)] + "城区",
                start.isoformat(),
                end.isoformat(),
                str(salary_min),
                str(salary_min + rng.randrange(500, 4001, 100)),
                f"0855-8{rng.randint(100000, 999999)}",
            ]
        )
    return rows


def postings_csv(rows: list[list[str]]) -> bytes:
    """UTF-8 with a BOM, as Excel saves "CSV UTF-8"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
