"""The employers the simulated platform knows, shared by its posting intake and the demo's file.

A real platform accepts postings only from employers registered with it; the simulator's
register is derived from its seed, so the demo's postings file (made from the same seed) names
employers the platform knows, and a test can name one it does not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from gateway.codes.uscc import org_check_char, uscc_check_char

DEFAULT_EMPLOYERS = 2000
# The prefecture's counties (GB/T 2260): an employer registers where it is based.
COUNTIES = (
    "522601", "522622", "522623", "522624", "522625", "522626", "522627", "522628",
    "522629", "522630", "522631", "522632", "522633", "522634", "522635", "522636",
)  # fmt: skip
_PLACES = ("凯里", "黄平", "施秉", "三穗", "镇远", "岑巩", "天柱", "锦屏", "剑河", "台江", "黎平",
           "榕江", "从江", "雷山", "麻江", "丹寨")  # fmt: skip
_TRADES = ("建筑工程", "电子科技", "食品加工", "物流", "农业开发", "旅游服务", "纺织", "医药",
           "机械制造", "餐饮管理", "物业服务", "商贸")  # fmt: skip


@dataclass(frozen=True)
class Employer:
    name: str
    uscc: str
    county: str


def make_uscc(county: str, serial: int) -> str:
    """A valid USCC of an enterprise (91) registered in ``county``: GB 11714 body, GB 32100."""
    body = f"{serial:08d}"
    first17 = f"91{county}{body}{org_check_char(body)}"
    return first17 + uscc_check_char(first17)


@cache
def employers(seed: int, count: int = DEFAULT_EMPLOYERS) -> tuple[Employer, ...]:
    rng = random.Random(f"employers:{seed}")
    found = []
    for n in range(count):
        county = rng.randrange(len(COUNTIES))
        name = f"{_PLACES[county]}{_TRADES[rng.randrange(len(_TRADES))]}有限公司第{n + 1}分公司"
        found.append(Employer(name, make_uscc(COUNTIES[county], 10_000_000 + n), COUNTIES[county]))
    return tuple(found)
