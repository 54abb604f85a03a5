"""The simulated labor-force population: deterministic, unique, valid (or invalid on purpose).

Assertions compare indexes, counts and booleans, never records: a failing test must not print
an ID number, a name or a phone number.
"""

from __future__ import annotations

import random
import re
import time
import tracemalloc
from collections import Counter
from datetime import date

import pytest
from stdnum.cn import ric

from simulators.labor_force.population import (
    BIRTHS,
    DEFAULT_SIZE,
    INVALID_KINDS,
    Population,
    check_char,
    format_time,
    parse_time,
)
from simulators.labor_force.population_tables import EDUCATION, EMPLOYMENT, ETHNICITIES, REGIONS

REGION_CODES = {code for code, _, _ in REGIONS}
ETHNICITY_CODES = {code for code, _ in ETHNICITIES}
EDUCATION_CODES = {code for code, _ in EDUCATION}
EMPLOYMENT_CODES = {code for code, _ in EMPLOYMENT}
TIME_RE = re.compile(r"^2025-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# 凯里市 (522601) replaced 凯里县 (522621) in 1983; stdnum refuses the new code for people born
# earlier, although such ID numbers are issued (the code in force at registration is used).
KAILI_CITY, KAILI_CITY_SINCE = "522601", 1983


@pytest.fixture(scope="module")
def population() -> Population:
    """The full-size population of the benchmark."""
    return Population(DEFAULT_SIZE, seed=2022)


@pytest.fixture(scope="module")
def sample(population: Population) -> list[int]:
    """5,000 indexes spread over the whole population."""
    return random.Random(11).sample(range(population.size), 5_000)


def test_same_seed_same_persons_other_seed_other_persons() -> None:
    """A person depends only on (seed, index): equal for equal seeds, different otherwise."""
    first, again, other = Population(10_000, 5), Population(10_000, 5), Population(10_000, 6)
    indexes = range(0, 10_000, 37)
    assert all(first.person(i) == again.person(i) for i in indexes)
    differing = sum(first.person(i)["AAC002"] != other.person(i)["AAC002"] for i in indexes)
    assert differing > len(indexes) * 0.99


def test_size_does_not_change_a_person() -> None:
    """Growing the population keeps its first persons as they were (same ID, fields, order)."""
    small, large = Population(7_000, 9), Population(70_000, 9)
    same = all(
        {k: v for k, v in small.person(i).items() if k != "AAE036"}
        == {k: v for k, v in large.person(i).items() if k != "AAE036"}
        for i in range(0, 7_000, 13)
    )
    assert same


def test_ids_are_unique_and_decode_to_their_index(population: Population) -> None:
    """100,000 consecutive persons have distinct ID numbers, each decoding to its own index."""
    ids = [r["AAC002"] for r in population.records(range(100_000), ("",) * 15_000, 0)]
    assert len(set(ids)) == len(ids)
    wrong = [i for i in range(0, 100_000, 53) if population.index_of(ids[i]) != i]
    assert not wrong


def test_ids_outside_the_population_are_unknown() -> None:
    """An ID number of a person beyond the population's size, or malformed, decodes to None."""
    small, large = Population(1_000, 3), Population(100_000, 3)
    beyond = [large.id_number(i) for i in range(50_000, 50_100)]
    assert all(small.index_of(number) is None for number in beyond)
    assert small.index_of("52260119900101001") is None
    assert small.index_of("5226011990010100AX") is None
    assert small.index_of("522601199002300010") is None
    altered = small.id_number(10)
    altered = altered[:-1] + ("0" if altered[-1] != "0" else "1")
    assert small.index_of(altered) is None


def test_valid_persons_pass_python_stdnum(population: Population, sample: list[int]) -> None:
    """Every valid person's ID passes stdnum.cn.ric, but for stdnum's region-history rule."""
    refused, kaili_before_1983 = [], 0
    for index in sample:
        if population.invalid_kind(index) is not None:
            continue
        number = population.person(index)["AAC002"]
        if ric.is_valid(number):
            continue
        early_kaili = number[:6] == KAILI_CITY and int(number[6:10]) < KAILI_CITY_SINCE
        checksum_ok = ric.calc_check_digit(number) == number[-1]
        if early_kaili and checksum_ok and ric.get_birth_date(number):
            kaili_before_1983 += 1
        else:
            refused.append(index)
    assert not refused
    assert kaili_before_1983 > 0


def test_fields_are_consistent_and_coded(population: Population, sample: list[int]) -> None:
    """Valid persons: gender = sequence parity, birth date and region = the ID's, ages 16 to 65
    in 2026, codes from their standards, an 11-digit mobile number, an update time in 2025."""
    problems: Counter[str] = Counter()
    for index in sample:
        if population.invalid_kind(index) is not None:
            continue
        p = population.person(index)
        number = p["AAC002"]
        checks = {
            "check": check_char(number[:17]) == number[-1],
            "gender": p["AAC004"] == ("1" if int(number[16]) % 2 else "2"),
            "birth": p["AAC006"] == number[6:14],
            "age": 16 <= 2026 - int(p["AAC006"][:4]) <= 65,
            "region": p["AAB299"] == number[:6] and p["AAB299"] in REGION_CODES,
            "ethnicity": p["AAC005"] in ETHNICITY_CODES,
            "education": p["AAC011"] in EDUCATION_CODES,
            "employment": p["AAC008"] in EMPLOYMENT_CODES,
            "name": 2 <= len(p["AAC003"]) <= 3,
            "phone": PHONE_RE.match(p["AAE005"]) is not None,
            "place": bool(p["AAE006"]),
            "status": p["HCZT"] in {"0", "1", "2"},
            "time": TIME_RE.match(p["AAE036"]) is not None,
        }
        problems.update(name for name, passed in checks.items() if not passed)
    assert not problems


def test_young_people_hold_no_degree_beyond_their_age(population: Population) -> None:
    """Nobody under 19 holds a university degree; nobody under 25 a postgraduate one."""
    too_high = 0
    for p in (population.person(i) for i in range(0, population.size, 151)):
        age = 2026 - int(p["AAC006"][:4]) if p["AAC006"].isdigit() else 40
        too_high += age < 19 and p["AAC011"] in {"11", "14", "21", "31"}
        too_high += age < 25 and p["AAC011"] in {"11", "14"}
    assert too_high == 0


def test_shares_look_like_the_prefecture(population: Population) -> None:
    """95.22 % verified as in the bureau's report; mostly Miao and Dong; both genders alike."""
    people = [population.person(i) for i in range(0, population.size, 61)]
    share = Counter(p["HCZT"] for p in people)["1"] / len(people)
    assert abs(share - 0.9522) < 0.003
    ethnic = Counter(p["AAC005"] for p in people)
    assert [code for code, _ in ethnic.most_common(3)] == ["06", "12", "01"]
    genders = Counter(p["AAC004"] for p in people)
    assert abs(genders["1"] - genders["2"]) < len(people) * 0.03
    regions = Counter(p["AAB299"] for p in people)
    assert set(regions) == REGION_CODES
    assert regions.most_common(1)[0][0] == KAILI_CITY


def test_about_two_percent_are_invalid_in_four_kinds(population: Population) -> None:
    """~2 % of persons are invalid, each of the four kinds ~0.5 %, decided by index alone."""
    kinds = Counter(population.invalid_kind(i) for i in range(300_000))
    invalid = 300_000 - kinds[None]
    assert abs(invalid / 300_000 - 0.02) < 0.002
    for kind in INVALID_KINDS:
        assert abs(kinds[kind] / 300_000 - 0.005) < 0.001


def test_invalid_records_are_broken_as_their_kind_says(population: Population) -> None:
    """Each invalid kind breaks its field; AAC002 stays 18 characters and AAE036 stays valid."""
    wrong: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for index in range(50_000):
        kind = population.invalid_kind(index)
        if kind is None:
            continue
        p = population.person(index)
        seen[kind] += 1
        number = p["AAC002"]
        broken = {
            "bad_check_digit": check_char(number[:17]) != number[-1],
            "unknown_code": p.get("AAC005") == "77" or p.get("AAC004") == "5",
            "missing_field": "AAC003" not in p,
            "malformed_date": p["AAC006"] not in BIRTHS,
        }[kind]
        intact = len(number) == 18 and TIME_RE.match(p["AAE036"]) is not None
        wrong[kind] += not (broken and intact)
    assert set(seen) == set(INVALID_KINDS)
    assert not +wrong


def test_groups_share_a_second_and_times_increase(population: Population) -> None:
    """Seven consecutive indexes share one update time; group times strictly increase over 2025."""
    assert population.person(0)["AAE036"] == population.person(6)["AAE036"]
    assert population.person(6)["AAE036"] < population.person(7)["AAE036"]
    times = [population.group_time(g) for g in range(0, population.group_count, 101)]
    assert times == sorted(set(times))
    assert format_time(population.group_time(0)).startswith("2025-01-01")
    assert format_time(population.base_end).startswith("2025-12-")
    for group in (0, 1, 5_000, population.group_count - 1):
        seconds = population.group_time(group)
        assert population.first_group_at_or_after(seconds) == group
        assert population.first_group_at_or_after(seconds + 1) == group + 1
        assert parse_time(format_time(seconds)) == seconds


def test_time_text_matches_strftime() -> None:
    """format_time's table lookups agree with strftime in Asia/Shanghai, and parse back."""
    rng = random.Random(4)
    for seconds in (rng.randrange(0, 4_000_000_000) for _ in range(2_000)):
        expected = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds + 8 * 3600))
        assert format_time(seconds) == expected
        assert parse_time(expected) == seconds


def test_span_records_are_in_listing_order(population: Population) -> None:
    """span_records lists groups by time and, within a group, by AAC002; skips what is asked."""
    records = population.span_records(100, 400, skip={705, 706, 1_000})
    keys = [(r["AAE036"], r["AAC002"]) for r in records]
    assert keys == sorted(keys)
    assert len(records) == 300 * 7 - 3
    kept = {population.index_of(r["AAC002"]) for r in records}
    assert not kept & {705, 706, 1_000}


def test_a_big_population_costs_no_memory() -> None:
    """A 2,247,000-person population holds a few MB of per-seed tables, as much as 1,000 do."""
    tracemalloc.start()
    try:
        small = Population(1_000, 1)
        small_bytes = tracemalloc.get_traced_memory()[0]
        big = Population(DEFAULT_SIZE, 1)
        big_bytes = tracemalloc.get_traced_memory()[0] - small_bytes
    finally:
        tracemalloc.stop()
    assert big.size > small.size * 2_000
    assert big_bytes < 8 * 1024 * 1024
    assert abs(big_bytes - small_bytes) < 256 * 1024


def test_check_char_matches_stdnum() -> None:
    """The local ISO 7064 MOD 11-2 routine agrees with python-stdnum on random input."""
    rng = random.Random(2)
    for _ in range(2_000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert check_char(first17) == ric.calc_check_digit(first17 + "0")


def test_birth_dates_cover_ages_16_to_65() -> None:
    """The birth-date table runs from 1961-01-01 to 2010-12-31 without gaps."""
    assert BIRTHS[0] == "19610101"
    assert BIRTHS[-1] == "20101231"
    assert len(BIRTHS) == (date(2010, 12, 31) - date(1961, 1, 1)).days + 1
