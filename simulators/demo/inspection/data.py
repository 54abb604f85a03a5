"""The bureau's three directories for the demo, generated deterministically from a seed.

Sizes mirror the 2022 report of the prefecture (黔东南州): 127 check items, 4,125 supervised
objects and 137 inspectors across the prefecture bureau and its 16 county bureaus. Every USCC
carries a correct GB 11714 organisation-code check and GB 32100 check character; every ID number
a real county code, a real birth date and a correct GB 11643 check character. The rows are in
the bureau's column names, as its office software exports them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from gateway.codes import id_check_char, region_status, uscc_check_char

PREFECTURE = ("522600", "黔东南州")
COUNTIES = (
    ("522601", "凯里市"), ("522622", "黄平县"), ("522623", "施秉县"), ("522624", "三穗县"),
    ("522625", "镇远县"), ("522626", "岑巩县"), ("522627", "天柱县"), ("522628", "锦屏县"),
    ("522629", "剑河县"), ("522630", "台江县"), ("522631", "黎平县"), ("522632", "榕江县"),
    ("522633", "从江县"), ("522634", "雷山县"), ("522635", "麻江县"), ("522636", "丹寨县"),
)  # fmt: skip
SUBJECT_TYPES = ("用人单位", "人力资源服务机构", "劳务派遣单位", "民办职业培训机构", "技工院校")
# (topic, 检查类别, 检查方式, 检查依据, index of the 检查对象类型)
TOPICS = (
    ("用人单位遵守劳动合同制度情况的检查", "一般检查事项", "书面检查",
     "《劳动保障监察条例》第十一条", 0),
    ("用人单位支付工资和执行最低工资标准情况的检查", "重点检查事项", "实地核查",
     "《保障农民工工资支付条例》第四十五条", 0),
    ("用人单位遵守禁止使用童工规定情况的检查", "重点检查事项", "实地核查",
     "《禁止使用童工规定》第十二条", 0),
    ("用人单位参加社会保险和缴纳社会保险费情况的检查", "一般检查事项", "书面检查",
     "《中华人民共和国社会保险法》第七十七条", 0),
    ("人力资源服务机构遵守人力资源市场管理规定情况的检查", "一般检查事项", "实地核查",
     "《人力资源市场暂行条例》第三十六条", 1),
    ("劳务派遣单位经营劳务派遣业务情况的检查", "一般检查事项", "书面检查",
     "《劳务派遣行政许可实施办法》第二十二条", 2),
    ("民办职业培训机构办学情况的检查", "一般检查事项", "实地核查",
     "《中华人民共和国民办教育促进法》第四十一条", 3),
    ("技工院校办学情况的检查", "一般检查事项", "书面检查",
     "《中华人民共和国职业教育法》第四十三条", 4),
)  # fmt: skip
# USCC registration authority and category per subject type: 91 enterprise, 92 individual
# business, 52 private non-enterprise unit (民办非企业单位), 12 public institution (事业单位).
_USCC_PREFIXES = (("91", "92"), ("91",), ("91",), ("52",), ("12",))
_BRANDS = (
    "黔丰", "苗岭", "清水江", "侗乡", "金泉", "雷公山", "舞阳", "都柳江", "鼎盛",
    "华信", "恒通", "瑞祥", "兴黔", "云台", "宏达", "博远", "嘉禾", "锦程",
)  # fmt: skip
_TRADES = (
    ("建筑工程有限公司", "商贸有限公司", "食品有限公司", "旅游开发有限公司", "农业发展有限公司",
     "餐饮店", "服装厂", "木业有限公司", "矿业有限公司", "物流有限公司"),
    ("人力资源服务有限公司", "职业介绍所", "人才服务有限公司"),
    ("劳务派遣有限公司", "劳务服务有限公司"),
    ("职业技能培训学校", "技能培训中心"),
    ("技工学校",),
)  # fmt: skip
_STREETS = (
    "北京东路", "韶山南路", "营盘路", "文化北路", "环城路",
    "民主路", "解放路", "清江路", "滨江大道", "永乐路",
)  # fmt: skip
_SURNAMES = "杨吴龙潘石欧王李张刘陈黄罗周邰姚"
_GIVEN = "明华军勇丽芳静伟强磊敏燕霞涛斌鹏娟玲忠文志红英林建国"
_MOBILE_PREFIXES = ("138", "139", "158", "187", "151", "182", "135", "136", "137", "159", "188")

ITEM_COLUMNS = (
    "事项编码", "事项名称", "检查类别", "检查方式", "检查依据", "实施主体", "检查对象类型",
)  # fmt: skip
SUBJECT_COLUMNS = ("统一社会信用代码", "单位名称", "对象类型", "所在地区划代码", "地址")
INSPECTOR_COLUMNS = ("执法证号", "姓名", "身份证号", "所属单位", "手机号码")


@dataclass(frozen=True)
class DirectorySizes:
    check_items: int = 127
    subjects: int = 4125
    inspectors: int = 137


def _rng(seed: int, what: str) -> random.Random:
    return random.Random(f"inspection-demo/{seed}/{what}")


def bureaus() -> list[tuple[str, str]]:
    """(region code, bureau name): the prefecture bureau first, then the county bureaus."""
    return [(PREFECTURE[0], f"{PREFECTURE[1]}人力资源和社会保障局")] + [
        (code, f"{name}人力资源和社会保障局") for code, name in COUNTIES
    ]


def check_items(count: int) -> list[dict[str, str]]:
    """Each bureau lists the topics in order until ``count`` items are listed."""
    rows: list[dict[str, str]] = []
    pairs = [(bureau, n) for bureau in bureaus() for n in range(len(TOPICS))]
    for (region, department), n in pairs[:count]:
        topic, kind, method, basis, subject_type = TOPICS[n]
        code = f"RSJC{region}{n + 1:03d}"
        values = (code, topic, kind, method, basis, department, SUBJECT_TYPES[subject_type])
        rows.append(dict(zip(ITEM_COLUMNS, values, strict=True)))
    return rows


def organisation_code(body8: str) -> str:
    """An 8-digit organisation code body with its GB 11714 check character."""
    total = sum(int(c) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body8 + {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(prefix: str, region: str, body8: str) -> str:
    first17 = prefix + region + organisation_code(body8)
    return first17 + uscc_check_char(first17)


def subjects(count: int, seed: int) -> list[dict[str, str]]:
    rng = _rng(seed, "subjects")
    bodies = rng.sample(range(10_000_000, 100_000_000), count)
    rows = []
    for body in bodies:
        # Most supervised objects are employers; schools and agencies are a small share.
        kind = rng.choices(range(len(SUBJECT_TYPES)), weights=(80, 7, 6, 5, 2))[0]
        region, county = rng.choice(COUNTIES[:1] * 5 + COUNTIES)
        name = f"{county.removesuffix('县').removesuffix('市')}{rng.choice(_BRANDS)}"
        name += rng.choice(_TRADES[kind])
        street = f"{rng.choice(_STREETS)}{rng.randrange(1, 300)}号"
        address = f"贵州省黔东南苗族侗族自治州{county}{street}"
        uscc = make_uscc(rng.choice(_USCC_PREFIXES[kind]), region, str(body))
        values = (uscc, name, SUBJECT_TYPES[kind], region, address)
        rows.append(dict(zip(SUBJECT_COLUMNS, values, strict=True)))
    return rows


def id_number(rng: random.Random, region: str) -> str:
    """A valid ID number issued under ``region`` in force in the birth year (凯里市, 522601,
    exists since 1983: an older resident's number would be flagged)."""
    born = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 32))
    while region_status(region, born.year) != "ok":
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 32))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1, 1000):03d}"
    return first17 + id_check_char(first17)


def inspectors(count: int, seed: int) -> list[dict[str, str]]:
    rng = _rng(seed, "inspectors")
    offices = bureaus()
    rows = []
    for n in range(count):
        region, department = offices[n % len(offices)]
        name = rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, rng.choice((1, 2))))
        mobile = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        # The county bureaus' inspectors were mostly born in their county.
        home = region if region != PREFECTURE[0] else rng.choice(COUNTIES)[0]
        values = (f"GZ{region}{n + 1:05d}", name, id_number(rng, home), department, mobile)
        rows.append(dict(zip(INSPECTOR_COLUMNS, values, strict=True)))
    return rows
