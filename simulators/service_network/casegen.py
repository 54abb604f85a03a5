"""The simulator's applications: newly opened enterprises registering for social insurance.

Deterministic by seed: the same settings give the same cases, numbers, enterprises and people,
so the demo, the tests and a report can be reproduced. Applications arrive more on working days
and in office hours than at night or on holidays (the portal never closes). Every enterprise
has a valid unified social credit code (GB 32100, with an organisation code of the ``MA`` form
issued since 2015 and its own GB 11714 check character) and every contact person a valid
resident ID number of a county of the prefecture.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from adapters.service_network.model import CHANNELS, REGISTRATION_ITEM_LIMIT, TIME_FORMAT
from gateway.codes.idnumber import id_check_char
from gateway.codes.uscc import USCC_ALPHABET, org_check_char, uscc_check_char
from gateway.workdays import WorkCalendar

COUNTIES = (
    ("522601", "凯里市"), ("522622", "黄平县"), ("522623", "施秉县"), ("522624", "三穗县"),
    ("522625", "镇远县"), ("522626", "岑巩县"), ("522627", "天柱县"), ("522628", "锦屏县"),
    ("522629", "剑河县"), ("522630", "台江县"), ("522631", "黎平县"), ("522632", "榕江县"),
    ("522633", "从江县"), ("522634", "雷山县"), ("522635", "麻江县"), ("522636", "丹寨县"),
)  # fmt: skip
COUNTY_WEIGHTS = (30, 6, 4, 4, 6, 4, 6, 4, 4, 3, 8, 6, 6, 3, 3, 3)
PREFECTURE = "贵州省黔东南苗族侗族自治州"
BRANDS = "黔苗侗山禾鑫华恒盛源锦泰瑞丰达兴宏森越嘉清江和福安云景润信诚"
INDUSTRIES = (
    "商贸", "科技", "建筑工程", "餐饮管理", "农业开发", "旅游开发", "物流", "劳务服务",
    "文化传媒", "电子商务", "酒店管理", "建材", "茶业", "食品", "汽车服务", "装饰工程",
)  # fmt: skip
STREETS = ("北京东路", "韶山南路", "宁波路", "营盘东路", "清江路", "文化北路", "迎宾大道", "环城路")
SURNAMES = "杨吴龙潘王张李刘陈石姚欧罗邰顾黄赵周胡杨吴龙"
GIVEN = "明华军平芳丽强伟敏静磊洋勇艳杰涛娟超霞秀英德兴春梅光文胜林海燕"
MOBILE_PREFIXES = (
    "139", "138", "135", "150", "151", "152", "158", "182", "187", "130", "155", "186", "133",
)  # fmt: skip
HEADCOUNTS = ((1, 2, 3, 5, 8, 15), (30, 25, 18, 12, 10, 5))
MISSING_MATERIALS = ("营业执照副本", "参保职工花名册", "法定代表人身份证明", "银行开户信息")
CHANNEL_WEIGHTS = (70, 20, 10)  # portal, mobile app, service-hall window (model.CHANNELS)
# GB 11714 organisation code: weights of the eight body characters.
_ORG_BODY = [c for c in USCC_ALPHABET if c not in "IOSVZ"]


@dataclass(frozen=True)
class CaseSettings:
    """How many registrations, over which dates, for which catalogue item."""

    seed: int
    count: int
    start: date
    end: date
    item_code: str
    item_name: str
    promised_limit: str = REGISTRATION_ITEM_LIMIT
    region: str = "522600"
    incomplete_share: float = 0.04
    # Another kind of case draws from its own random stream and numbers its cases from here on
    # within a day, so its case numbers never meet the registrations'.
    stream: str = "service-network"
    first_sequence: int = 1


def _uscc(rng: random.Random, county: str) -> str:
    body = "MA" + "".join(rng.choice(_ORG_BODY) for _ in range(6))
    first17 = "91" + county + body + org_check_char(body)
    return first17 + uscc_check_char(first17)


def _id_number(rng: random.Random, county: str) -> str:
    born = date(1962, 1, 1) + timedelta(days=rng.randrange(40 * 365))
    first17 = f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_char(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _arrival(rng: random.Random, day: date, working: bool) -> datetime:
    if working and rng.random() < 0.85:
        start, span = time(8, 30), 9.5 * 3600
    elif working:
        start, span = time(18, 0), 5 * 3600
    else:
        start, span = time(9, 0), 13 * 3600
    return datetime.combine(day, start) + timedelta(seconds=rng.randrange(int(span)))


def _arrivals(settings: CaseSettings, calendar: WorkCalendar, rng: random.Random) -> list[datetime]:
    days = [
        settings.start + timedelta(days=n) for n in range((settings.end - settings.start).days + 1)
    ]
    working = {day: calendar.is_working_day(day) for day in days}
    # The portal takes applications every day; people mostly apply on working days.
    weights = list(accumulate(10 if working[day] else 2 for day in days))
    chosen = rng.choices(days, cum_weights=weights, k=settings.count)
    return sorted(_arrival(rng, day, working[day]) for day in chosen)


def _enterprise(rng: random.Random, day: date, seen: set[str]) -> dict[str, Any]:
    county, county_name = rng.choices(COUNTIES, weights=COUNTY_WEIGHTS)[0]
    uscc = _uscc(rng, county)
    while uscc in seen:
        uscc = _uscc(rng, county)
    seen.add(uscc)
    legal_rep = _name(rng)
    brand = "".join(rng.sample(BRANDS, 2))
    street = f"{rng.choice(STREETS)}{rng.randint(1, 300)}号"
    return {
        "entName": f"{county_name[:2]}{brand}{rng.choice(INDUSTRIES)}有限公司",
        "entUscc": uscc,
        "establishDate": f"{day - timedelta(days=rng.randint(1, 20)):%Y%m%d}",
        "entAddress": f"{PREFECTURE}{county_name}{street}",
        "legalRepName": legal_rep,
        "contactName": legal_rep if rng.random() < 0.6 else _name(rng),
        "contactIdNo": _id_number(rng, county),
        "contactMobile": rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
        "insuredCount": rng.choices(*HEADCOUNTS)[0],
    }


def generate_cases(settings: CaseSettings, calendar: WorkCalendar) -> list[dict[str, Any]]:
    """The cases in receipt order, as the platform holds them (status and update time apart)."""
    rng = random.Random(f"{settings.stream}:{settings.seed}")
    cases: list[dict[str, Any]] = []
    per_day: dict[date, int] = {}
    seen_uscc: set[str] = set()
    for received in _arrivals(settings, calendar, rng):
        day = received.date()
        per_day[day] = per_day.get(day, 0) + 1
        sequence = settings.first_sequence - 1 + per_day[day]
        case: dict[str, Any] = {
            "caseNo": f"{settings.region}{day:%Y%m%d}{sequence:06d}",
            "itemCode": settings.item_code,
            "itemName": settings.item_name,
            "promisedLimit": settings.promised_limit,
            "receiveTime": received.strftime(TIME_FORMAT),
            "channel": rng.choices(list(CHANNELS), weights=CHANNEL_WEIGHTS)[0],
            "applicantType": "2",
            **_enterprise(rng, day, seen_uscc),
        }
        complete = rng.random() >= settings.incomplete_share
        case["materialsComplete"] = "1" if complete else "0"
        case["missingMaterial"] = "" if complete else rng.choice(MISSING_MATERIALS)
        cases.append(case)
    return cases
