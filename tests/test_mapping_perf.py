"""The person mapping stays on its performance budget (a loose bound that catches regressions
such as per-record compilation; the benchmark measures the real figure)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from gateway.codes import id_check_char
from gateway.codes.regions import region_codes
from gateway.mapping import load_mapping
from mappings import MAPPINGS_DIR

BUDGET_US = 60.0


def people(count: int) -> list[dict[str, str]]:
    rnd = random.Random(7)
    by_year = {y: region_codes("52", level="county", year=y) for y in range(1960, 2006)}
    found = []
    for n in range(count):
        year = rnd.randint(1960, 2005)
        first17 = (
            f"{rnd.choice(by_year[year])}{year}{rnd.randint(1, 12):02d}"
            f"{rnd.randint(1, 28):02d}{rnd.randint(0, 999):03d}"
        )
        found.append(
            {
                "AAC002": first17 + id_check_char(first17),
                "AAC003": "张三",
                "AAC004": "1" if int(first17[16]) % 2 else "2",
                "AAC005": "01",
                "AAC006": first17[6:14],
                "AAB299": first17[:6],
                "AAC011": "21",
                "AAC008": "1",
                "AAE006": f"凯里市{n}号",
                "AAE005": f"138{n:08d}",
                "HCZT": "1",
                "AAE036": "2023-05-01 10:11:12",
            }
        )
    return found


def test_person_mapping_budget() -> None:
    """Mapping 10,000 generated persons costs well under the budget per record."""
    mapping = load_mapping(MAPPINGS_DIR / "labor_force" / "persons.yaml")
    batch = people(10_000)
    mapping.map_many(batch[:1000])
    best = min(_timed(mapping.map_many, batch) for _ in range(2))
    per_record_us = best / len(batch) * 1e6
    assert all(r.ok for r in mapping.map_many(batch))
    assert per_record_us < BUDGET_US, f"{per_record_us:.1f} µs per record"


def _timed(
    function: Callable[[list[dict[str, str]]], object], batch: list[dict[str, str]]
) -> float:
    start = time.process_time()
    function(batch)
    return time.process_time() - start
